"""Shared fixtures: the demo hierarchy on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

Each backend gets its own database (a temporary SQLite file, or a fresh PostgreSQL schema that is
dropped at the end), built by the real migrations, the real role sync and the real demo seed."""

import hashlib
import os
import re
import socket
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, insert, select, text
from stdnum.th import pin

from app import create_app
from app.demo import seed_demo
from app.extensions import db
from app.models import AcademicYear, School, Student

pytest_plugins = ["browsing"]  # the browser tests' live server, Chromium and steps

PASSWORD = "lec-demo-2569"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@contextmanager
def database_url(backend, tmp_dir):
    """A fresh, empty database for one backend; dropped afterwards."""
    if backend == "sqlite":
        yield "sqlite:///%s" % (tmp_dir / "lec.db")
        return
    base_url = os.environ["TEST_DATABASE_URL"]
    schema = "lec_test_" + uuid.uuid4().hex[:10]
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text('CREATE SCHEMA "%s"' % schema))
    separator = "&" if "?" in base_url else "?"
    try:
        yield base_url + separator + "options=-csearch_path%3D" + schema
    finally:
        with engine.begin() as conn:
            conn.execute(text('DROP SCHEMA "%s" CASCADE' % schema))
        engine.dispose()


def make_app(database_url, **config):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
            "LEC_DEMO_PASSWORD": PASSWORD,
            "LEC_DEMO": False,  # as in production: credential sheets need LEC_BASE_URL
            "LEC_BASE_URL": "https://lec.example.go.th",
            "AUTH_RATE_LIMIT": "10000 per minute",  # tests sign in often; test_security sets its own
            "LEC_ACTIVATION_RATE_LIMIT": "10000 per minute",  # and open codes often; test_credentials sets its own
            **config,
        }
    )
    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        seed_demo(PASSWORD)
    return app


def close(flask_app):
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    with database_url(request.param, tmp_path_factory.mktemp("db")) as url:
        flask_app = make_app(url)
        yield flask_app
        close(flask_app)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def fresh(app):
    """Every confirmation of the current year back to open, and no province's confirmed snapshot
    (tests share one database)."""
    with app.app_context():
        db.session.execute(text("UPDATE confirmation SET state = 'open', exception_until = NULL"))
        wipe_snapshots()
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(text("UPDATE confirmation SET state = 'open', exception_until = NULL"))
        wipe_snapshots()
        db.session.commit()


def wipe_snapshots(after_step=0):
    """Take back the snapshots provinces froze as they confirmed (app/snapshots.py) at steps after
    ``after_step``: append-only for the application, so a test that confirms a province would change
    every later test's confirmed figures."""
    connection = db.session.connection()
    taken = "SELECT id FROM snapshot WHERE transition_id > :step"
    for table, where in (("snapshot_other_count", "snapshot_id IN (%s)" % taken),
                         ("snapshot_count", "snapshot_id IN (%s)" % taken), ("snapshot", "transition_id > :step")):
        with append_only_lifted(connection, table):
            connection.execute(text('DELETE FROM "%s" WHERE %s' % (table, where)), {"step": after_step})


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username, password=PASSWORD):
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, "login failed for %s" % username
    return client


def api_headers(client, username, password=PASSWORD):
    """Sign in through the REST API and return the bearer header."""
    response = client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db"}
    )
    assert response.status_code == 200, "API sign-in failed for %s" % username
    return {"Authorization": "Bearer " + response.json["access_token"]}


@pytest.fixture
def as_user(app):
    """as_user("school") → a test client logged in as that demo account."""
    return lambda username: login(app.test_client(), username)


SCHOOL_OF = {"school": "1050130001", "cdc": "2050130001"}  # the demo accounts' own schools


def learner_of(school_code):
    """The id of the first learner of a demo school (needs an app context)."""
    return db.session.scalar(
        select(Student.id).join(School).where(School.code == school_code).order_by(Student.id).limit(1)
    )


def digest(*parts):
    """A large number made from the parts, the same in every run (``hash()`` of a string changes
    per process, so test data built from it would too)."""
    return int(hashlib.sha256(repr(parts).encode()).hexdigest(), 16)


def new_national_id(seed):
    body = "1" + ("%011d" % (seed * 7919 % 10**11))
    return body + pin.calc_check_digit(body)


def learner_form(app, **changes):
    """A valid add/edit form for a learner of the school account's own school; its national ID is a
    digest of the changes, the same in every run."""
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
        form = {
            "academic_year": "1",
            "school": str(school.id),
            "id_kind": "national_id",
            "id_number": new_national_id(digest(str(changes)) % 10**9),
            "prefix": "เด็กหญิง",
            "first_name": "ปิ่นมณี",
            "last_name": "ชื่นชม",
            "sex": "F",
            "birth_date": "01/06/2561",
            "nationality": "ไทย",
            "class_level": "p1",
        }
    form.update(changes)
    return form


def visible_text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def close_entry_until(year, deadline):
    """Put `deadline` and every deadline before it at yesterday, as the calendar would (a year's
    dates keep the order of the work); returns the dates to put back with ``restore_dates``."""
    names = ["school_deadline", "lao_deadline", "province_deadline"]
    saved = {name: getattr(year, name) for name in names}
    for name in names[: names.index(deadline) + 1]:
        setattr(year, name, date.today() - timedelta(days=1))
    return saved


def restore_dates(year, saved):
    for name, value in saved.items():
        setattr(year, name, value)


def add_closed_year(year_be):
    """An earlier academic year, closed and not current, written straight to the table (its dates
    from 16 May of that year, as the year left them); returns its id."""
    may16 = date(year_be - 543, 5, 16)
    return db.session.execute(
        insert(AcademicYear.__table__).values(
            year=year_be, entry_opens=may16, school_deadline=may16 + timedelta(days=60),
            lao_deadline=may16 + timedelta(days=65), province_deadline=may16 + timedelta(days=70),
            is_current=False,
        )
    ).inserted_primary_key[0]  # fmt: skip


@contextmanager
def sql_run_on(engine):
    """The SQL statements run on ``engine`` inside the block, as a list filled while it runs."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def append_only_lifted(connection, table):
    """Let a test take back rows it wrote to an append-only table (history, transition;
    migrations/versions/0011): the table's triggers are off inside the block, in the connection's
    transaction, and on again after it (a rollback puts them back too)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text('ALTER TABLE "%s" DISABLE TRIGGER USER' % table))
        yield
        connection.execute(text('ALTER TABLE "%s" ENABLE TRIGGER USER' % table))
        return
    query = text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table")
    triggers = connection.execute(query, {"table": table}).all()
    for name, _sql in triggers:
        connection.execute(text('DROP TRIGGER "%s"' % name))
    yield
    for _name, sql in triggers:
        connection.execute(text(sql))


class Mailbox:
    """What a real SMTP server (aiosmtpd) received: the parsed messages, in order."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(app):
    """A real SMTP server on a free port of 127.0.0.1, and the app sending to it while the test runs."""
    received = Mailbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        yield received
    finally:
        app.config.update(saved)
        controller.stop()
