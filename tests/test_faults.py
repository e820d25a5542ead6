"""Faults answer in Thai (app/faults.py): a database that cannot be reached is a Thai 503 page with
Retry-After (JSON on the REST API), and the same app recovers when the database is back; any other
unexpected error is a Thai 500 page (JSON on the API) with a reference that the request's log line
carries too. Never Werkzeug's English page, and nothing the request wrote is kept."""

import json
import logging
import re
import socket
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, update

from app import create_app
from app.extensions import db
from app.logs import JsonFormatter
from app.models import Province

from conftest import BACKENDS, api_headers, close, database_url, login, make_app, visible_text

FRAMEWORK_PAGE = "Internal Server Error"
UNAVAILABLE = "ระบบไม่พร้อมให้บริการชั่วคราว"
NOT_SAVED = "ขณะนี้ระบบเชื่อมต่อฐานข้อมูลไม่ได้"
WENT_WRONG = "ระบบขัดข้อง"
BROKEN_NAME = "ชื่อที่ไม่ควรถูกบันทึก"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_then_fail():
    """A route that changes a row in the request's transaction, then fails as a bug would."""
    first = db.session.scalar(select(func.min(Province.id)))
    db.session.execute(update(Province).where(Province.id == first).values(name_th=BROKEN_NAME))
    raise RuntimeError("a bug")


@pytest.fixture(scope="module", params=BACKENDS)
def faulty(request, tmp_path_factory):
    """The demo app as production runs it (exceptions answered, not raised to the test; JSON logs),
    with two routes that fail."""
    with database_url(request.param, tmp_path_factory.mktemp("faults-db")) as url:
        close(make_app(url))  # migrated and seeded; its in-process migration reset the logging set-up
        flask_app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "PROPAGATE_EXCEPTIONS": False, "LEC_JSON_LOGS": True,
            "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
            "AUTH_RATE_LIMIT": "10000 per minute",
        })  # fmt: skip
        flask_app.add_url_rule("/test-fault/", "test_fault", write_then_fail)
        flask_app.add_url_rule("/api/v1/test-fault/", "test_api_fault", write_then_fail)
        try:
            yield flask_app
        finally:
            close(flask_app)
            root = logging.getLogger()
            for handler in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
                root.removeHandler(handler)


@contextmanager
def database_down(flask_app):
    """The app's engine swapped for one aimed at a PostgreSQL port where nothing listens (the real
    server keeps running for everyone else), and put back afterwards, as a restarted server comes back."""
    engines = db._app_engines[flask_app]
    working = engines[None]
    down = create_engine("postgresql+psycopg://lec@127.0.0.1:%d/lec" % closed_port(),
                         connect_args={"connect_timeout": 2})  # fmt: skip
    engines[None] = down
    try:
        yield
    finally:
        engines[None] = working
        down.dispose()


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_database_that_cannot_be_reached_is_a_thai_503_and_the_app_recovers(faulty):
    browser = login(faulty.test_client(), "school")
    api = faulty.test_client()
    bearer = api_headers(api, "school")
    with database_down(faulty):
        page = browser.get("/studentview/list/")
        assert page.status_code == 503
        assert page.headers["Retry-After"].isdigit() and int(page.headers["Retry-After"]) > 0
        text = visible_text(page.get_data(as_text=True))
        assert UNAVAILABLE in text and NOT_SAVED in text and FRAMEWORK_PAGE not in text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")  # headers even now

        answer = api.get("/api/v1/student/", headers=bearer)
        assert answer.status_code == 503 and answer.is_json
        assert answer.headers["Retry-After"] == page.headers["Retry-After"]
        assert NOT_SAVED in answer.json["message"]

        assert browser.get("/health").status_code == 503
    assert browser.get("/studentview/list/").status_code == 200
    assert api.get("/api/v1/student/", headers=bearer).status_code == 200
    assert browser.get("/health").status_code == 200


def test_an_unexpected_error_is_a_thai_500_with_a_reference_in_the_log_and_nothing_saved(faulty, capsys):
    client = login(faulty.test_client(), "central")
    capsys.readouterr()
    page = client.get("/test-fault/")
    answer = client.get("/api/v1/test-fault/")
    logged = json_lines(capsys.readouterr().err)

    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert WENT_WRONG in visible_text(html) and FRAMEWORK_PAGE not in html and "a bug" not in html
    reference = re.search(r'id="fault-reference">([0-9a-f]{8})<', html).group(1)

    assert answer.status_code == 500 and answer.is_json
    assert set(answer.json) == {"message", "reference"}
    assert re.fullmatch("[0-9a-f]{8}", answer.json["reference"]) and answer.json["reference"] != reference
    assert "ดำเนินการตามคำขอนี้ไม่สำเร็จ" in answer.json["message"]

    lines = {line.get("path"): line for line in logged if line["logger"] == "lec.request"}
    assert lines["/test-fault/"]["status"] == 500 and lines["/test-fault/"]["reference"] == reference
    assert lines["/api/v1/test-fault/"]["reference"] == answer.json["reference"]
    request_id = lines["/test-fault/"]["request_id"]
    traceback = [line for line in logged if "RuntimeError: a bug" in line.get("exception", "")]
    assert traceback and traceback[0]["request_id"] == request_id
    told = [line for line in logged if line["logger"] == "app.faults" and line["request_id"] == request_id]
    assert told and reference in told[0]["message"]
    with faulty.app_context():
        assert BROKEN_NAME not in db.session.scalars(select(Province.name_th)).all()
