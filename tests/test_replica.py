"""Reads on a streaming replica (app/replica.py, LEC_REPORTS_DATABASE_URL): the report pages and
downloads read the replica, say how old their data is while it lags, and never write there; the
rest of the app reads and writes the primary. The test runs a primary and a replica of its own,
made with PostgreSQL's tools on free ports of 127.0.0.1 (the shared server on 5432 is left alone)."""

import csv
import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from flask import get_flashed_messages
from flask_login import login_user
from sqlalchemy import create_engine, select, text

from app import workflow
from app.errors import ReadOnlyReplica
from app.extensions import db
from app.levels import key_of
from app.models import AcademicYear, Confirmation, School

from conftest import PASSWORD, SCHOOL_OF, api_headers, close, learner_form, login, make_app

TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "pg_isready", "postgres")
SERVER_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)  # Debian keeps them off PATH
DEADLINE = 20  # seconds for a server to start or the replica to catch up


def tool(name):
    return shutil.which(name) or next((str(Path(d) / name) for d in SERVER_DIRS if (Path(d) / name).exists()), None)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One PostgreSQL server under a temporary directory, run as the `postgres` user when the
    test runs as root (initdb and postgres refuse root)."""

    def __init__(self, root, name):
        self.data, self.port, self.log = root / name, free_port(), root / (name + ".log")
        self.url = "postgresql+psycopg://postgres@127.0.0.1:%d/postgres" % self.port

    def run(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        env = {**os.environ, "PATH": os.pathsep.join([*SERVER_DIRS, os.environ.get("PATH", "")])}
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, env=env)
        assert done.returncode == 0, "%s failed: %s" % (command[0], done.stderr or self.log_text())

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ""

    def configure(self, **settings):
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines("%s = %s\n" % item for item in settings.items())

    def start(self):
        self.run(tool("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start")
        wait_until(lambda: subprocess.run([tool("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                          capture_output=True).returncode == 0)  # fmt: skip

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self.run(tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def wait_until(condition):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "PostgreSQL did not get there in %d s" % DEADLINE
        time.sleep(0.05)


@pytest.fixture(scope="module")
def servers():
    """A primary (wal_level=replica, replication from 127.0.0.1 allowed) and a hot standby made
    from it by pg_basebackup -R; both stopped at the end, whatever happened."""
    if not all(tool(name) for name in TOOLS):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server tools are missing: CI must run the replica test")
        pytest.skip("PostgreSQL's server tools (initdb, pg_ctl, pg_basebackup) are not installed")
    root = Path(tempfile.mkdtemp(prefix="lec-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary, replica = Cluster(root, "primary"), Cluster(root, "replica")
    try:
        primary.run(tool("initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync", "--no-instructions")  # fmt: skip
        primary.configure(port=primary.port, listen_addresses="'127.0.0.1'", unix_socket_directories="'%s'" % root,
                          wal_level="replica", max_wal_senders=4, fsync="off", autovacuum="off",
                          timezone="'Asia/Bangkok'")  # fmt: skip
        with open(primary.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.start()
        replica.run(tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(replica.data), "-R", "-c", "fast", "-X", "stream", "--no-sync")  # fmt: skip
        replica.configure(port=replica.port, hot_standby="on")
        replica.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def app(servers):
    primary, replica = servers
    # Accounts read on every request (no LEC_USER_CACHE_SECONDS), to show which server they come from.
    flask_app = make_app(primary.url, LEC_REPORTS_DATABASE_URL=replica.url, LEC_USER_CACHE_SECONDS=0)
    yield flask_app
    flask_app.extensions["lec_replica"].engine.dispose()
    close(flask_app)


@pytest.fixture(scope="module")
def replica_sql(servers):
    """One statement on the replica, by itself (pause or resume the replay, read what it holds)."""
    engine = create_engine(servers[1].url, isolation_level="AUTOCOMMIT")

    def run(sql):
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()

    yield run
    engine.dispose()


@pytest.fixture(scope="module")
def caught_up(servers, replica_sql):
    """Wait until the replica has replayed everything the primary has written so far."""
    primary = create_engine(servers[0].url, isolation_level="AUTOCOMMIT")

    def wait():
        with primary.connect() as connection:
            written = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
        wait_until(lambda: replica_sql("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % written))

    yield wait
    primary.dispose()


def csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def head_count_total(client, school_id):
    rows = csv_rows(client.get("/reports/school/%d/csv" % school_id))
    return rows[-1]


def test_report_pages_read_the_replica_and_say_how_old_their_data_is_while_it_lags(app, replica_sql, caught_up):
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.code == SCHOOL_OF["school"]))
    school = login(app.test_client(), "school")
    caught_up()
    before = head_count_total(school, school_id)
    page = school.get("/reports/school/%d" % school_id).get_data(as_text=True)
    assert "ข้อมูล ณ เวลา" not in page and 'id="notification-bell"' in page

    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        form = learner_form(app, first_name="ระหว่างรอ")
        assert school.post("/studentview/add", data=form).status_code == 302  # written on the primary
        with app.app_context():
            assert db.session.scalar(text("SELECT count(*) FROM student WHERE id_number = :n"),
                                     {"n": form["id_number"]}) == 1  # fmt: skip
        assert form["id_number"] not in {row[0] for row in csv_rows(school.get("/studentview/export/csv"))}
        assert head_count_total(school, school_id) == before
        page = school.get("/reports/school/%d" % school_id).get_data(as_text=True)
        assert "ข้อมูล ณ เวลา" in page and " น." in page  # the replica's replay time, Buddhist era
        for path in ("/charts/", "/workflow/board", "/quality/school/%d" % school_id):
            shown = school.get(path)
            assert shown.status_code == 200 and "ข้อมูล ณ เวลา" in shown.get_data(as_text=True), path
        listing = school.get("/studentview/list/?_flt_0_id_number=" + form["id_number"]).get_data(as_text=True)
        assert form["id_number"] in listing and "ข้อมูล ณ เวลา" not in listing  # lists read the primary
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")

    caught_up()
    assert form["id_number"] in {row[0] for row in csv_rows(school.get("/studentview/export/csv"))}
    assert head_count_total(school, school_id) != before
    assert "ข้อมูล ณ เวลา" not in school.get("/reports/school/%d" % school_id).get_data(as_text=True)


def test_accounts_are_read_from_the_primary_on_replica_pages(app, replica_sql, caught_up):
    """A temporary password given while the replica lags still sends its holder to change it, when
    the process reads the account again (LEC_USER_CACHE_SECONDS; this module's app: every request)."""
    with app.app_context():
        lao_id = db.session.scalar(text("SELECT lao_id FROM ab_user WHERE username = 'lao'"))
    client = login(app.test_client(), "lao")
    caught_up()
    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        with app.app_context():
            db.session.execute(text("UPDATE ab_user SET must_change_password = true WHERE username = 'lao'"))
            db.session.commit()
        answer = client.get("/reports/lao/%d" % lao_id)
        assert answer.status_code == 302 and "resetmypassword" in answer.location.lower()
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")
        with app.app_context():
            db.session.execute(text("UPDATE ab_user SET must_change_password = false WHERE username = 'lao'"))
            db.session.commit()
    assert client.get("/reports/lao/%d" % lao_id).status_code == 200


def test_a_confirmation_is_refused_on_the_replica_and_done_on_the_primary(app, replica_sql, caught_up):
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
        school_id, key = school.id, key_of(school)
        year = db.session.scalar(select(AcademicYear.year).where(AcademicYear.is_current))
    state = "SELECT state FROM confirmation WHERE org_key = '%s'" % key
    caught_up()

    with app.test_request_context("/workflow/board"):  # a page that reads the replica
        user = app.appbuilder.sm.find_user(username="school")
        login_user(user)
        app.preprocess_request()
        school = db.session.get(School, school_id)
        with pytest.raises(ReadOnlyReplica) as refused:
            workflow.confirm_school(school, workflow.current_year())
            db.session.flush()
        response = app.handle_user_exception(refused.value)  # the one refusal map: no 500
        assert response.status_code == 302
        assert any("สำเนาข้อมูลสำหรับรายงาน" in message for message in get_flashed_messages())
        school = db.session.get(School, school_id)
        school.name_th = "เปลี่ยนบนสำเนา"
        with pytest.raises(ReadOnlyReplica):  # an ORM flush too
            db.session.flush()
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(text(state)) == workflow.OPEN  # nothing written on the primary
        assert db.session.get(School, school_id).name_th != "เปลี่ยนบนสำเนา"
    assert replica_sql(state) == workflow.OPEN

    client = app.test_client()
    answer = client.post("/api/v1/workflow/confirm", json={"org": SCHOOL_OF["school"], "year": year},
                         headers=api_headers(client, "school", PASSWORD))  # fmt: skip
    assert answer.status_code == 200 and answer.json["state"] == workflow.CONFIRMED
    caught_up()
    assert replica_sql(state) == workflow.CONFIRMED
    with app.app_context():
        assert db.session.scalar(select(Confirmation.state).where(Confirmation.org_key == key)) == workflow.CONFIRMED
