"""What the national-size benchmarks share: the app on the kept schema (benchmarks/generate.py
--keep), and the figures every table starts with."""

import argparse
import statistics
import sys
import time

from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Lao, School, Student


def schema_url(url, schema):
    """The database URL with PostgreSQL's search_path set to one schema."""
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3D" + schema


def national_app(description):
    """Parse --database-url and --schema, and return the app on that schema."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="lec_national")
    args = parser.parse_args()
    return create_app({"SQLALCHEMY_DATABASE_URI": schema_url(args.database_url, args.schema)}), args.schema


def learners_and_largest_province(year, schema):
    """(learners in the year, id of the province with most learners, its learners); exits when the
    schema holds no generated data."""
    learners = db.session.scalar(select(func.count(Student.id)).where(Student.academic_year_id == year.id))
    if not learners:
        sys.exit("schema %s holds no learners: run benchmarks/generate.py --keep %s" % (schema, schema))
    province_id, province_learners = db.session.execute(
        select(Lao.province_id, func.count(Student.id))
        .join(School, School.lao_id == Lao.id)
        .join(Student, Student.school_id == School.id)
        .where(Student.academic_year_id == year.id)
        .group_by(Lao.province_id)
        .order_by(func.count(Student.id).desc())
        .limit(1)
    ).one()
    return learners, province_id, province_learners


def median_seconds(run, runs=3):
    """The median time of `runs` calls of `run`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
