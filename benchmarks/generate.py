"""Benchmark: a country of national size written by `flask lec generate` (issue #8): 77 provinces,
7,850 LAOs, 20,000 schools and centres, 1.5 million learners, 30,000 accounts, on PostgreSQL.

    python benchmarks/generate.py [--database-url URL] [--keep SCHEMA] [--students N] [--seed N]

Works in a fresh schema of its own, dropped afterwards unless --keep names it: other benchmarks
reuse the kept schema (connect with ``?options=-csearch_path%3DSCHEMA``). Refuses a --keep schema
that already holds tables. Prints a table: rows and seconds per table, and the total. Target: the
1.5 million learners in under 5 minutes on the 2-core machine."""

import argparse
import os
import resource
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from table import print_table  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.generate import Size, generate_country  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def tables_in(engine, schema):
    """None when the schema does not exist, else how many tables it holds."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}) is None:
            return None
        return conn.scalar(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :schema"), {"schema": schema}
        )


def schema_megabytes(conn, schema):
    size = conn.scalar(
        text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relkind = 'r'"
        ),
        {"schema": schema},
    )
    return float(size) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", metavar="SCHEMA", help="keep the generated data in this schema")
    parser.add_argument("--students", type=int, default=Size.students)
    parser.add_argument("--seed", type=int, default=2569)
    args = parser.parse_args()
    schema = args.keep or "lec_bench_" + uuid.uuid4().hex[:8]
    engine = create_engine(args.database_url)
    existing = tables_in(engine, schema)
    if existing:
        sys.exit("schema %s already holds %d tables: drop it (DROP SCHEMA %s CASCADE) or keep another" % (
            schema, existing, schema))  # fmt: skip
    if existing is None:
        with engine.begin() as conn:
            conn.execute(text('CREATE SCHEMA "%s"' % schema))
    url = args.database_url + ("&" if "?" in args.database_url else "?") + "options=-csearch_path%3D" + schema
    kept = False
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            started = time.perf_counter()
            upgrade()
            app.appbuilder.sm.sync_roles()
            prepared = time.perf_counter() - started
            size = Size(students=args.students)
            timings = generate_country(size, args.seed, app.config["LEC_DEMO_PASSWORD"])
            with db.engine.connect() as conn:
                megabytes = schema_megabytes(conn, schema)
            db.engine.dispose()
        kept = bool(args.keep)
    finally:
        if not kept:
            with engine.begin() as conn:
                conn.execute(text('DROP SCHEMA "%s" CASCADE' % schema))
        engine.dispose()
    total = sum(seconds for _table, _rows, seconds in timings)
    rows = [("migrations and roles, before generating (s)", "%.1f" % prepared)]
    for table, count, seconds in timings:
        label = table if count is None else "%s: %s rows" % (table, "{:,}".format(count))
        target = ", target < 300" if table == "student" else ""
        rows.append(("%s (s)%s" % (label, target), "%.1f" % seconds))
    rows.append(("total (s), one transaction", "%.1f" % total))
    rows.append(("schema size (MB)", "%.0f" % megabytes))
    rows.append(("peak memory (MB)", "%.0f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
    rows.append(("kept in schema", schema if kept else "no (dropped)"))
    print_table(rows)


if __name__ == "__main__":
    main()
