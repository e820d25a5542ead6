"""Benchmark: the REST API at national size (issue 19, point 1), for a central user, on the data
that benchmarks/generate.py keeps.

    python benchmarks/generate.py --keep lec_national     # once: fills schema lec_national
    python benchmarks/api.py [--schema lec_national] [--database-url postgresql+psycopg://...]

Each call goes through the Flask test client, signed in with a session cookie and with a JWT:
server time (the median of RUNS calls after WARM_UP), the app's CPU per call (``time.process_time``
around the call: Python, the driver and the JSON, all of this process), and the SQL statements it
runs, next to the bare SQL the call needs (written by hand with SQLAlchemy Core) and the target.
The national schema is left as it was: the sign-ins and the edits run in one transaction that is
rolled back at the end (each request's commit releases a savepoint in it, which the statement
count leaves out), while the reads use the database as the app does. The generated country has no
central account: the first run of this or benchmarks/lists.py makes ``bench-central``. With
BENCH_SHOW_SQL=1 set, the statements counted are printed.
Targets (issue 19): GET /api/v1/student/ page 1 ≤ 15 ms and ≤ 8 ms CPU; GET /api/v1/workflow/status
≤ 10 ms; PUT /api/v1/student/<id> ≤ 8 ms CPU."""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lists import central_account, timed  # noqa: E402
from sqlalchemy import event, func, select, update  # noqa: E402
from table import print_table  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AcademicYear, Confirmation, School, Student, Transition  # noqa: E402
from app.workflow import current_year  # noqa: E402

RUNS, WARM_UP, PAGE_SIZE = 25, 5, 25
# name: (server time ms, app CPU ms); None where the issue sets no target
TARGETS = {"list": (15, 8), "status": (10, None), "put": (None, 8)}
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements_of(engine, call):
    """The SQL statements one call runs (the rolled-back transaction's savepoints left out), and its answer."""
    statements = []

    def record(conn, cursor, statement, *_args):
        if not statement.startswith(SAVEPOINTS):
            statements.append(statement)
            if os.environ.get("BENCH_SHOW_SQL"):
                print(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if response.status_code != 200:
        sys.exit("%s answered %d: %s" % (response.request.path, response.status_code, response.get_data(as_text=True)))
    return len(statements), response


def verdict(what, value, target):
    if target is None:
        return ""
    return "%s≤ %d ms: %s" % (what, target, "met" if value <= target else "NOT met")


def rolled_back(app):
    """Run ``app``'s sessions in one transaction rolled back by the caller: each request's commit
    releases a savepoint. Returns the transaction."""
    with app.app_context():
        connection = db.engine.connect()
        db._app_engines[app][None] = connection  # Flask-SQLAlchemy binds its sessions to it
        db.session.configure(join_transaction_mode="create_savepoint")
    return connection.begin()


def signed_in(app, username, password):
    """A client with a session cookie, and the headers of a JWT, both made by ``app``."""
    client = app.test_client()
    if client.post("/login/", data={"username": username, "password": password}).status_code != 302:
        sys.exit("could not sign in as %s" % username)
    token = client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})
    if token.status_code != 200:
        sys.exit("could not sign in to the API as %s" % username)
    return client, {"Authorization": "Bearer " + token.json["access_token"]}


def bare_list(count_cap):
    """Page 1 of every learner: 25 ids on the narrow index, their rows with school and year, and
    the count up to the cap."""
    ids = select(Student.id).order_by(Student.id).limit(PAGE_SIZE).subquery()
    page = (
        select(Student, School.name_th, AcademicYear.year).select_from(ids).join(Student, Student.id == ids.c.id)
        .join(School, School.id == Student.school_id).join(AcademicYear, AcademicYear.id == Student.academic_year_id)
        .order_by(Student.id)
    )  # fmt: skip
    counted = select(func.count()).select_from(select(Student.id).limit(count_cap + 1).subquery())

    def run():
        db.session.execute(page).all()
        db.session.scalar(counted)

    return run


def bare_status(school_code, year_id):
    """A school's confirmation by its code, and its steps."""
    found = (
        select(Confirmation).join(School, School.id == Confirmation.school_id)
        .where(School.code == school_code, Confirmation.academic_year_id == year_id)
    )  # fmt: skip

    def run():
        confirmation = db.session.scalars(found).one()
        db.session.scalars(select(Transition).where(Transition.confirmation_id == confirmation.id)).all()

    return run


def bare_put(learner_id, rooms):
    """The learner read by its key and one column written, in a savepoint rolled back."""
    turn = iter(range(10**9))

    def run():
        savepoint = db.session.begin_nested()
        db.session.execute(select(Student).where(Student.id == learner_id)).one()
        db.session.execute(update(Student).where(Student.id == learner_id).values(room=rooms[next(turn) % 2]))
        savepoint.rollback()

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="lec_national")
    parser.add_argument("--password", default=None, help="Of the generated accounts (default: LEC_DEMO_PASSWORD).")
    args = parser.parse_args()
    url = args.database_url + ("&" if "?" in args.database_url else "?") + "options=-csearch_path%3D" + args.schema
    config = {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "AUTH_RATE_LIMIT": "1000 per minute"}
    reader, writer = create_app(config), create_app(config)  # the same secret key: each takes the other's sign-in
    password = args.password or reader.config["LEC_DEMO_PASSWORD"]
    with reader.app_context():
        learners = db.session.scalar(select(func.count(Student.id)))
        if not learners:
            sys.exit("schema %s holds no learners: run benchmarks/generate.py --keep %s" % (args.schema, args.schema))
        year = current_year()
        learner_id = learners // 2
        school_code = db.session.scalar(select(School.code).order_by(School.id).limit(1))
        cap = reader.config["LEC_LIST_COUNT_CAP"]
        username = central_account(reader, password)
    outer = rolled_back(writer)
    try:
        with writer.app_context():
            cookie, jwt = signed_in(writer, username, password)
        cookie_reader = reader.test_client()
        cookie_reader.set_cookie("session", cookie.get_cookie("session").value)
        signed = {reader: (cookie_reader, reader.test_client()), writer: (cookie, writer.test_client())}
        rooms = ["1", "2"]  # every call but the first writes: consecutive calls alternate
        turn = iter(range(10**9))
        calls = [
            ("list", "GET /api/v1/student/ (page 1)", reader, bare_list(cap),
             lambda client, headers: client.get("/api/v1/student/", headers=headers)),
            ("status", "GET /api/v1/workflow/status", reader, bare_status(school_code, year.id),
             lambda client, headers: client.get(
                 "/api/v1/workflow/status?org=%s&year=%d" % (school_code, year.year), headers=headers)),
            ("put", "PUT /api/v1/student/<id>", writer, bare_put(learner_id, rooms),
             lambda client, headers: client.put(
                 "/api/v1/student/%d" % learner_id, json={"room": rooms[next(turn) % 2]}, headers=headers)),
        ]  # fmt: skip
        rows = [("learners", "{:,}".format(learners)), ("count cap (LEC_LIST_COUNT_CAP)", "{:,}".format(cap))]
        for key, name, app, bare, call in calls:
            with app.app_context():
                engine = db.engine
            by_cookie, by_token = signed[app]
            for how, client, headers in (("cookie", by_cookie, {}), ("JWT", by_token, jwt)):
                server_ms, cpu_ms = timed(lambda: call(client, headers), RUNS, WARM_UP)  # noqa: B023
                statements, response = statements_of(engine, lambda: call(client, headers))  # noqa: B023
                with app.app_context():
                    sql_ms, _cpu = timed(bare, RUNS, WARM_UP)
                    db.session.rollback()
                target_ms, target_cpu = TARGETS[key]
                met = [verdict("", server_ms, target_ms), verdict("CPU ", cpu_ms, target_cpu)]
                extra = ""
                if key == "list":
                    count, estimate = response.json["count"], response.json.get("count_is_estimate")
                    extra = "; count {:,}, count_is_estimate {}".format(count, json.dumps(estimate))
                rows.append((
                    "central, %s: %s" % (how, name),
                    "%.1f ms, CPU %.1f ms (SQL %.2f ms; %d statements%s; target %s)"
                    % (server_ms, cpu_ms, sql_ms, statements, extra, ", ".join(t for t in met if t)),
                ))  # fmt: skip
    finally:
        outer.rollback()
        outer.connection.close()
    print_table(rows)


if __name__ == "__main__":
    main()
