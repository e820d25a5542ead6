"""Benchmark: the data-quality report for one province and for the whole country, on the
national-size data that benchmarks/generate.py keeps (about 1.5 million learners).

    python benchmarks/generate.py --keep lec_national     # once: fills schema lec_national
    python benchmarks/quality.py [--schema lec_national] [--database-url postgresql+psycopg://...]

Everything happens in one transaction that is rolled back at the end, so the kept schema is left
as it was: the stored findings' table is created when the schema predates it (migration 0016),
problems are planted, the findings are refreshed, then timed. Prints a table: the report read from
the stored findings (what the pages do), the report by running every check (as before issue 19),
and the bare SQL of each, medians of three runs (one for the country's checks: they take half a
minute). Targets (issue 19): the largest province ≤ 0.3 s and the whole country ≤ 3 s, stored."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from national import learners_and_largest_province, median_seconds, national_app  # noqa: E402
from sqlalchemy import distinct, func, inspect, select, text  # noqa: E402
from table import print_table  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import QualityFinding, Student  # noqa: E402
from app.quality import (  # noqa: E402
    findings,
    findings_of,
    findings_per_school,
    refresh_findings,
    report,
    schools_of,
    stored_findings,
)
from app.workflow import current_year  # noqa: E402

TARGETS = {"province": 0.3, "country": 3}


def main():
    app, schema = national_app(__doc__.splitlines()[0])
    with app.app_context():
        year = current_year()
        learners, province_id, province_learners = learners_and_largest_province(year, schema)
        connection = db.session.connection()
        if not inspect(connection).has_table(QualityFinding.__tablename__):
            QualityFinding.__table__.create(connection)  # as migration 0016 does; rolled back below
        plant_problems(year)
        started = time.perf_counter()
        stored = refresh_findings(year)
        refreshed = time.perf_counter() - started
        connection.execute(text("ANALYZE quality_finding"))
        found = findings_per_school(year)
        rows = [
            ("learners in the year", "{:,}".format(learners)),
            (
                "findings in the country (all checks, planted)",
                "{:,} ({:,} rows stored)".format(sum(found.values()), stored),
            ),  # fmt: skip
            ("refresh of the whole country's stored findings, s", "%.1f" % refreshed),
            ("largest province: learners", "{:,}".format(province_learners)),
        ]
        for name, level, org_id in (("province", "province", province_id), ("country", None, 0)):
            schools, target = schools_of(level, org_id), TARGETS[name]
            kept = median_seconds(lambda: report(level, org_id, year))  # noqa: B023
            kept_sql = median_seconds(lambda: run(counting_sql(stored_findings(year, schools))))  # noqa: B023
            runs = 1 if level is None else 3
            live = median_seconds(lambda: report(level, org_id, year, live=True), runs)  # noqa: B023
            live_sql = median_seconds(lambda: run(counting_sql(findings(year, schools))), runs)  # noqa: B023
            rows += [
                ("%s report, stored findings, s (target ≤ %s s)" % (name, target),
                 "%.3f %s" % (kept, "met" if kept <= target else "NOT MET")),
                ("%s: bare SQL of the stored counts, s" % name, "%.3f" % kept_sql),
                ("%s report, every check run (before), s" % name, "%.2f" % live),
                ("%s: bare SQL of the checks' counts, s" % name, "%.2f" % live_sql),
            ]  # fmt: skip
        rows += [
            ("country drill-down: the learners in two schools, stored, s", "%.3f" % drill_down(year, live=False)),
            ("country drill-down: the learners in two schools, checked (before), s", "%.3f" % drill_down(year)),
        ]
        rows.append(("one learner's identifier changed: flush with its findings re-checked, s",
                     "%.3f" % median_seconds(lambda: change_identifier(year))))  # fmt: skip
        db.session.rollback()
    print_table(rows)


def drill_down(year, live=True):
    """The list behind one count of the country's report: the learners active in two schools."""
    return median_seconds(lambda: findings_of(year, codes={"two_schools"}, live=live), 1)


def run(query):
    """The query's SQL with its values inlined, as a client would send it."""
    sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    return db.session.connection().exec_driver_sql(sql).all()


def counting_sql(found):
    subject = func.coalesce(found.c.student_id, -found.c.school_id)
    return select(found.c.rule, found.c.school_id, func.count(distinct(subject))).group_by(
        found.c.rule, found.c.school_id
    )


def change_identifier(year):
    """A school gives a learner another learner's identifier and saves: the flush re-checks both."""
    learner, other = db.session.scalars(
        select(Student).where(Student.academic_year_id == year.id, Student.status == "active").limit(2)
    ).all()
    learner.id_number = other.id_number
    db.session.flush()


def plant_problems(year):
    """About one learner in 300 gets a problem a real country has: a Latin letter in a name, the
    identifier of a learner of another school, a birth date five years off."""
    for statement in (
        "UPDATE student SET first_name = first_name || 'A' WHERE academic_year_id = :y AND id % 997 = 0",
        "UPDATE student s SET id_number = o.id_number FROM student o"
        " WHERE o.id = s.id + 5000 AND s.academic_year_id = :y AND s.id % 1009 = 0",
        "UPDATE student SET birth_date = birth_date - 1826 WHERE academic_year_id = :y AND id % 1013 = 0",
    ):
        db.session.execute(text(statement), {"y": year.id})


if __name__ == "__main__":
    main()
