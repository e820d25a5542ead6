"""Benchmark: every data-quality check for one province and for the whole country, on the
national-size data that benchmarks/generate.py keeps (about 1.5 million learners).

    python benchmarks/generate.py --keep lec_national     # once: fills schema lec_national
    python benchmarks/quality.py [--schema lec_national] [--database-url postgresql+psycopg://...]

Prints a table: the quality report's counts per check and per organisation one level down (one
pass of every check over the scope), each the median of three runs. Targets (issue #6): one province under 2 s,
the whole country under 30 s."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from national import learners_and_largest_province, median_seconds, national_app  # noqa: E402
from sqlalchemy import distinct, func, select, text  # noqa: E402
from table import print_table  # noqa: E402

from app.extensions import db  # noqa: E402
from app.quality import findings, findings_per_school, report, schools_of  # noqa: E402
from app.workflow import current_year  # noqa: E402


def main():
    app, schema = national_app(__doc__.splitlines()[0])
    with app.app_context():
        year = current_year()
        learners, province_id, province_learners = learners_and_largest_province(year, schema)
        plant_problems(year)  # inside this transaction, rolled back at the end
        found = findings_per_school(year)
        rows = [
            ("learners in the year", "{:,}".format(learners)),
            ("findings in the country (all checks, planted)", "{:,}".format(sum(found.values()))),
            ("largest province: learners", "{:,}".format(province_learners)),
        ]
        for name, level, org_id, target in (("province", "province", province_id, 2), ("country", None, 0, 30)):
            app_time = median_seconds(lambda: report(level, org_id, year))  # noqa: B023
            sql = str(counting_sql(year, schools_of(level, org_id)).compile(
                dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))  # fmt: skip
            bare = median_seconds(lambda: db.session.connection().exec_driver_sql(sql).all())  # noqa: B023
            rows += [
                ("%s report, s (target < %d s)" % (name, target), "%.2f %s" % (app_time, met(app_time < target))),
                ("%s: bare SQL of the counts, s" % name, "%.2f (app / SQL = %.2f)" % (bare, app_time / bare)),
            ]
        db.session.rollback()
    print_table(rows)


def met(ok):
    return "met" if ok else "NOT MET"


def counting_sql(year, schools):
    found = findings(year, schools)
    subject = func.coalesce(found.c.student_id, -found.c.school_id)
    return select(found.c.rule, found.c.school_id, func.count(distinct(subject))).group_by(
        found.c.rule, found.c.school_id
    )


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
