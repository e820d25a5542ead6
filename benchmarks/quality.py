"""Benchmark: every data-quality check for one province and for the whole country, on the
national-size data that benchmarks/generate.py keeps (about 1.5 million learners).

    python benchmarks/generate.py --keep lec_national     # once: fills schema lec_national
    python benchmarks/quality.py [--schema lec_national] [--database-url postgresql+psycopg://...]

Prints a table: the quality report's counts per check and per organisation one level down (one
pass of every check over the scope), each the median of three runs. Targets (issue #6): one province under 2 s,
the whole country under 30 s."""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import func, select  # noqa: E402
from table import print_table  # noqa: E402

from app import create_app, db  # noqa: E402
from app.models import Lao, School, Student  # noqa: E402
from app.quality import counts, report  # noqa: E402
from app.workflow import current_year  # noqa: E402

RUNS = 3


def median_seconds(run):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="lec_national")
    args = parser.parse_args()
    url = args.database_url + ("&" if "?" in args.database_url else "?") + "options=-csearch_path%3D" + args.schema
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        year = current_year()
        learners = db.session.scalar(select(func.count(Student.id)).where(Student.academic_year_id == year.id))
        if not learners:
            sys.exit("schema %s holds no learners: run benchmarks/generate.py --keep %s" % (args.schema, args.schema))
        province_id, province_learners = db.session.execute(
            select(Lao.province_id, func.count(Student.id))
            .join(School, School.lao_id == Lao.id)
            .join(Student, Student.school_id == School.id)
            .where(Student.academic_year_id == year.id)
            .group_by(Lao.province_id)
            .order_by(func.count(Student.id).desc())
            .limit(1)
        ).one()
        found = counts(year)
        rows = [
            ("learners in the year", "{:,}".format(learners)),
            ("findings in the country (all checks)", "{:,}".format(sum(found.values()))),
            ("largest province: learners", "{:,}".format(province_learners)),
            ("province report (all checks, per check and per LAO), s",
             "%.2f" % median_seconds(lambda: report("province", province_id, year))),
            ("country report (all checks, per check and per province), s",
             "%.2f" % median_seconds(lambda: report(None, 0, year))),
        ]  # fmt: skip
    print_table(rows)


if __name__ == "__main__":
    main()
