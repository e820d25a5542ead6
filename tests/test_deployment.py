"""Production deployment (docs/operations.md, "Production deployment"): the health check, JSON logs, pool
settings, rate limits shared through Redis by separate app instances, gunicorn serving the app, and
a PostgreSQL backup (pg_dump -Fc) restored into a new database with every row.

Redis (127.0.0.1:6379, or LEC_TEST_REDIS_URL) and the PostgreSQL client tools are skipped with a
message when missing, and fail under CI=true: .ci/run installs postgresql-client."""

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.pool import QueuePool

from app import create_app
from app.extensions import db
from app.logs import JsonFormatter
from app.models import LecUser

from conftest import PASSWORD, close, database_url, login, make_app

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"
REDIS_URL = os.environ.get("LEC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HEAD = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
CODE = "ABCDEFGHJKMNPQRSTUVW"  # shaped like an activation code, issued to nobody


def required(reason):
    """Skip with a message on a developer's machine; fail in CI, which must run every test."""
    if IN_CI:
        pytest.fail(reason + ": CI must run this test; .ci/run installs what it needs", pytrace=False)
    pytest.skip(reason)


def app_config(url, **config):
    """create_app's settings for a second app on an existing database (no migrations, no seed)."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
        **config,
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------- /health


def test_health_answers_ok_with_the_revision_and_no_cookie(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migration": HEAD}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get_cookie("session") is None


def test_health_is_public_and_exempt_from_rate_limits(app):
    limited = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_DEFAULT="2 per minute",
                                     RATELIMIT_KEY_PREFIX=uuid.uuid4().hex))  # fmt: skip
    try:
        client = limited.test_client()
        assert [client.get("/login/").status_code for _ in range(3)] == [200, 200, 429]  # the default applies
        assert {client.get("/health").status_code for _ in range(5)} == {200}
    finally:
        close(limited)


def test_health_answers_503_when_the_database_is_down():
    down = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:%d/lec" % free_port()))
    try:
        started = time.monotonic()
        response = down.test_client().get("/health")
        assert response.status_code == 503
        assert response.json == {"status": "unavailable", "database": "unreachable"}
        assert time.monotonic() - started < 5
        with down.app_context():  # PostgreSQL gets config.py's pool sizing
            pool = db.engine.pool
            assert isinstance(pool, QueuePool)
            assert (pool.size(), pool._max_overflow, pool._pre_ping) == (4, 4, True)
    finally:
        close(down)


def test_health_answers_503_before_the_schema_is_migrated(tmp_path):
    empty = create_app(app_config("sqlite:///%s" % (tmp_path / "empty.db")))
    try:
        response = empty.test_client().get("/health")
        assert response.status_code == 503
        assert response.json == {"status": "unavailable", "database": "ok", "migration": None}
        with empty.app_context():  # SQLite keeps SQLAlchemy's own pool settings
            assert "SQLALCHEMY_ENGINE_OPTIONS" not in empty.config or not empty.config["SQLALCHEMY_ENGINE_OPTIONS"]
    finally:
        close(empty)


# ---------------------------------------------------------------------------------- logs


def json_lines(captured):
    lines = []
    for line in captured.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_one_json_line_per_request_without_secrets(app, capsys):
    logged = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], LEC_JSON_LOGS=True))
    root = logging.getLogger()
    try:
        capsys.readouterr()
        client = logged.test_client()
        login(client, "school")
        assert client.get("/", headers={"X-Request-ID": "lb-4711"}).status_code == 200
        response = client.get("/activate/" + CODE)
        assert response.status_code == 404
        generated = response.headers["X-Request-ID"]
        assert len(generated) == 32
        assert client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"}).status_code == 200
        other = logging.getLogger("lec.test-" + uuid.uuid4().hex)  # new: no earlier fileConfig disabled it
        other.warning("GET /activate/%s HTTP/1.1", CODE)
        with logged.app_context():
            school_id = db.session.scalar(select(LecUser.id).where(LecUser.username == "school"))
    finally:
        close(logged)
        for handler in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
            root.removeHandler(handler)
    err = capsys.readouterr().err
    assert PASSWORD not in err and CODE not in err
    requests = [line for line in json_lines(err) if line["logger"] == "lec.request"]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("POST", "/login/", 302), ("GET", "/", 200), ("GET", "/activate/…", 404), ("GET", "/health", 200),
    ]  # fmt: skip
    for line in requests:
        assert set(line) == {"time", "level", "logger", "method", "path", "status", "duration_ms", "user_id",
                             "remote_addr", "request_id"}  # fmt: skip
        assert line["level"] == "INFO" and line["remote_addr"] == "127.0.0.1" and line["duration_ms"] >= 0
    assert requests[1]["user_id"] == school_id and requests[1]["request_id"] == "lb-4711"
    assert requests[2]["request_id"] == generated
    assert requests[3]["user_id"] is None and requests[3]["request_id"] not in ("", "bad id\twith spaces")
    others = [line for line in json_lines(err) if line["logger"] == other.name]  # any record is a JSON line
    assert others[0]["message"] == "GET /activate/… HTTP/1.1" and others[0]["level"] == "WARNING"


def test_plain_logs_by_default(app):
    assert app.config["LEC_JSON_LOGS"] is False
    response = app.test_client().get("/health")
    assert "X-Request-ID" not in response.headers


# ---------------------------------------------------------------------------------- Redis


def test_redis_url_becomes_the_rate_limit_storage():
    def storage(**env):
        clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
        return subprocess.run(
            [sys.executable, "-c", "import config; print(config.RATELIMIT_STORAGE_URI)"],
            cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip()  # fmt: skip

    assert storage() == "memory://"
    assert storage(REDIS_URL="redis://cache.internal:6379/2") == "redis://cache.internal:6379/2"
    assert storage(REDIS_URL="redis://a:6379", RATELIMIT_STORAGE_URI="redis://b:6379") == "redis://b:6379"


def test_two_app_instances_share_the_sign_in_limit_through_redis(tmp_path):
    """Two app instances (two hosts behind the load balancer) count sign-ins in the same Redis."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        required("Redis not reachable at %s (%s): shared rate-limit test skipped" % (REDIS_URL, error))
    prefix = "lec-test-" + uuid.uuid4().hex
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "AUTH_RATE_LIMIT": "3 per minute"}
    url = "sqlite:///%s" % (tmp_path / "lec.db")
    first = make_app(url, **shared)
    second = create_app(app_config(url, **shared))
    try:
        from limits.storage import RedisStorage

        assert isinstance(first.appbuilder.sm.limiter.storage, RedisStorage)
        wrong = {"username": "nobody-" + prefix, "password": "wrong-password-1A"}
        a, b = first.test_client(), second.test_client()
        assert a.post("/login/", data=wrong).status_code != 429
        assert b.post("/login/", data=wrong).status_code != 429
        assert a.post("/login/", data=wrong).status_code != 429
        assert b.post("/login/", data=wrong).status_code == 429  # the 4th, counted across both
        assert a.post("/login/", data=wrong).status_code == 429
    finally:
        close(first)
        close(second)
        keys = list(server.scan_iter(match="*%s*" % prefix))
        if keys:
            server.delete(*keys)
        server.close()
    assert keys, "the counts were not kept in Redis"


# ---------------------------------------------------------------------------------- gunicorn


def test_gunicorn_serves_the_app(tmp_path):
    url = "sqlite:///%s" % (tmp_path / "lec.db")
    close(make_app(url))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    env.update(DATABASE_URL=url, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", GUNICORN_THREADS="2",
               SECRET_KEY="test-secret-key-of-at-least-32-bytes", LEC_JSON_LOGS="1")  # fmt: skip
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "run:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = "http://127.0.0.1:%d" % port
    try:
        health = None
        deadline = time.monotonic() + 60
        while health is None:
            assert server.poll() is None, "gunicorn exited:\n" + log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not answer in 60 s:\n" + log.read_text()
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:
                    health = (response.status, json.load(response), response.headers.get("Set-Cookie"))
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert health == (200, {"status": "ok", "database": "ok", "migration": HEAD}, None)
        with urllib.request.urlopen(base + "/login/", timeout=10) as response:
            assert response.status == 200
            assert "X-Request-ID" in response.headers
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # the master; it stops its workers gracefully
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
    assert server.returncode == 0, log.read_text()
    lines = json_lines(log.read_text())
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    paths = [(line["path"], line["status"]) for line in lines if line["logger"] == "lec.request"]
    assert ("/health", 200) in paths and ("/login/", 200) in paths


# ---------------------------------------------------------------------------------- backup


def libpq_url(url):
    """pg_dump and pg_restore speak libpq: postgresql://, without SQLAlchemy's driver name."""
    return make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)


def snapshot(engine, schema):
    """Every table's row count, and a checksum of the learner rows in id order."""
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names(schema=schema)
        counts = {table: conn.scalar(text('SELECT count(*) FROM "%s"."%s"' % (schema, table))) for table in tables}
        rows = conn.execute(text('SELECT s::text FROM "%s".student s ORDER BY s.id' % schema)).scalars()
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return counts, digest


def test_backup_and_restore_keep_every_row(tmp_path):
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("backup and restore are PostgreSQL's (pg_dump/pg_restore): set TEST_DATABASE_URL to run it")
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if not all(tools.values()):
        required("pg_dump or pg_restore missing (package postgresql-client): backup test skipped")
    with database_url("postgresql", tmp_path) as url:
        source = make_app(url)
        close(source)
        schema = make_url(url).query["options"].split("search_path=")[1]
        dump = tmp_path / "lec.dump"
        subprocess.run([tools["pg_dump"], "-Fc", "-n", schema, "-f", str(dump), libpq_url(base_url)],
                       check=True, timeout=120, capture_output=True)  # fmt: skip
        restored_db = "lec_restore_" + uuid.uuid4().hex[:10]
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "%s"' % restored_db))
        restored_url = make_url(base_url).set(database=restored_db).render_as_string(hide_password=False)
        engines = []
        try:
            subprocess.run(
                [tools["pg_restore"], "--clean", "--if-exists", "--no-owner", "-d", libpq_url(restored_url),
                 str(dump)],
                check=True, timeout=120, capture_output=True,
            )  # fmt: skip
            engines = [create_engine(base_url), create_engine(restored_url)]
            before, after = (snapshot(engine, schema) for engine in engines)
            assert before[0]["student"] > 500 and before[0]["ab_user"] >= 6 and before[0]["alembic_version"] == 1
            assert after == before
            restored_app = create_app(app_config(restored_url + "?options=-csearch_path%3D" + schema))
            try:
                response = restored_app.test_client().get("/health")
                assert response.json == {"status": "ok", "database": "ok", "migration": HEAD}
                login(restored_app.test_client(), "school")  # the accounts came back with their passwords
            finally:
                close(restored_app)
        finally:
            for engine in engines:
                engine.dispose()
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % restored_db))
            admin.dispose()
