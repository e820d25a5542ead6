"""Benchmark: confirming a school with 1,000 learners and an LAO with 50 schools, and what the
change history costs a 1,000-learner import.

    python benchmarks/workflow.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

On PostgreSQL the script works in a schema of its own and drops it afterwards. Prints a table.
Targets (issue #5): each confirmation well under a second; history makes the import at most 1.5×
slower."""

import argparse
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from stdnum.th import pin  # noqa: E402
from table import print_table  # noqa: E402

from app import audit, create_app  # noqa: E402
from app.context import acting_as  # noqa: E402
from app.demo import seed_demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AcademicYear, Confirmation, Lao, NoOtherSchools, Province, School, Student  # noqa: E402
from app.workflow import confirm_lao, confirm_school, confirmation_of  # noqa: E402


@contextmanager
def database(url):
    if url is None or not url.startswith("postgresql"):
        yield url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
        return
    schema = "lec_bench_" + uuid.uuid4().hex[:8]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text('CREATE SCHEMA "%s"' % schema))
    try:
        yield url + ("&" if "?" in url else "?") + "options=-csearch_path%3D" + schema
    finally:
        with engine.begin() as conn:
            conn.execute(text('DROP SCHEMA "%s" CASCADE' % schema))


def learners(year, school, count, offset):
    rows = []
    for n in range(count):
        body = "1%011d" % (offset + n)
        rows.append(
            {"academic_year_id": year.id, "school_id": school.id, "id_kind": "national_id",
             "id_number": body + pin.calc_check_digit(body), "first_name": "ทดสอบ", "last_name": "ระบบ", "sex": "M",
             "birth_date": date(2018, 6, 1), "nationality": "ไทย", "class_level": "p1", "status": "active",
             "created_on": datetime.now(), "changed_on": datetime.now()}
        )  # fmt: skip
    return rows


def timed_import(year, school, offset):
    started = time.perf_counter()
    db.session.add_all(Student(**row) for row in learners(year, school, 1000, offset))
    db.session.commit()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    with database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            app.appbuilder.sm.sync_roles()
            seed_demo("Bench-mark-2569")
            year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
            province = db.session.scalar(select(Province).where(Province.code == "10"))
            lao = Lao(code="9999999", name_th="อบต.ทดสอบ", kind="sao", province=province)
            schools = [School(code="9%09d" % n, name_th="โรงเรียน %d" % n, kind="school", lao=lao) for n in range(50)]
            db.session.add_all([lao, *schools, NoOtherSchools(academic_year=year, lao=lao)])  # its other affiliations
            db.session.commit()
            db.session.execute(insert(Student), learners(year, schools[0], 1000, 0))
            db.session.commit()
            sm = app.appbuilder.sm
            role = sm.find_role("สถานศึกษา")
            school_user = sm.add_user("bench-school", "ท", "ส", "bs@lec.example", role, "Bench-mark-2569")
            school_user.org_level, school_user.school = "school", schools[0]
            lao_user = sm.add_user("bench-lao", "ท", "อ", "bl@lec.example", sm.find_role("อปท."), "Bench-mark-2569")
            lao_user.org_level, lao_user.lao = "lao", lao
            db.session.commit()

            with acting_as(school_user.id):
                started = time.perf_counter()
                confirm_school(schools[0], year)
                db.session.commit()
                school_seconds = time.perf_counter() - started
            for school in schools[1:]:
                confirmation_of(school, year).state = "confirmed"
            db.session.commit()
            with acting_as(lao_user.id):
                started = time.perf_counter()
                confirm_lao(lao, year)
                db.session.commit()
                lao_seconds = time.perf_counter() - started

            db.session.execute(text("UPDATE confirmation SET state = 'open'"))
            db.session.commit()
            with acting_as(school_user.id):
                timed_import(year, schools[0], 100_000)  # warm-up
                with_history = timed_import(year, schools[0], 200_000)
                listeners = [("before_flush", audit.prepare_history), ("after_flush", audit.write_history)]
                for name, listener in listeners:
                    event.remove(Session, name, listener)
                try:
                    without_history = timed_import(year, schools[0], 300_000)
                finally:
                    for name, listener in listeners:
                        event.listen(Session, name, listener)
            confirmations = db.session.scalar(select(db.func.count(Confirmation.id)))
    rows = [
        ("database", url.split(":")[0]),
        ("confirm a school with 1,000 learners (s)", "%.3f" % school_seconds),
        ("confirm an LAO with 50 schools (s)", "%.3f" % lao_seconds),
        ("import 1,000 learners with history (s)", "%.2f" % with_history),
        ("import 1,000 learners without history (s)", "%.2f" % without_history),
        ("history overhead (×), target ≤ 1.5", "%.2f" % (with_history / without_history)),
        ("confirmation rows", "%d" % confirmations),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
