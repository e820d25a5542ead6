"""Benchmark: head-count reports and a large spreadsheet export on the national-size data that
benchmarks/generate.py keeps (about 1.5 million learners).

    python benchmarks/generate.py --keep lec_national     # once: fills schema lec_national
    python benchmarks/reports.py [--schema lec_national] [--database-url postgresql+psycopg://...]

Prints a table: the national head-count report (by level and sex, per province, with last year),
the largest province's report (per LAO), each the median of three runs, and an .xlsx export of
100,000 learners through the learners list's export (scoped query, formatters, write-only
workbook) with the process's peak resident size (getrusage). Targets (issue #7): national < 500 ms, province < 200 ms,
the export under 300 MB."""

import itertools
import os
import resource
import sys
import tempfile
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask import g  # noqa: E402
from national import learners_and_largest_province, median_seconds, national_app  # noqa: E402
from table import print_table  # noqa: E402

from app.exports import write_xlsx  # noqa: E402
from app.reports import ENTERED, head_count  # noqa: E402
from app.workflow import current_year  # noqa: E402

EXPORT_ROWS = 100_000


def export_learners(app, path):
    """The learners list's own export rows (as central), the first 100,000, into an .xlsx file."""
    view = next(view for view in app.appbuilder.baseviews if type(view).__name__ == "StudentView")
    with app.test_request_context("/studentview/export/xlsx"):
        g.user = SimpleNamespace(org_level="central", is_authenticated=True, id=None)
        rows = itertools.islice(view.export_rows(), EXPORT_ROWS)
        header = [view.label_columns.get(column, column) for column in view.list_columns]
        write_xlsx(path, "learners", header, rows)


def main():
    app, schema = national_app(__doc__.splitlines()[0])
    with app.app_context():
        year = current_year()
        learners, province_id, province_learners = learners_and_largest_province(year, schema)
        national = head_count("country", 0, year, ENTERED)
        rows = [
            ("learners in the year", "{:,}".format(learners)),
            ("national report: learners counted", "{:,}".format(national.total.total)),
            ("national head-count report (levels × sex, per province, last year), ms",
             "%.0f" % (1000 * median_seconds(lambda: head_count("country", 0, year, ENTERED)))),
            ("largest province: learners", "{:,}".format(province_learners)),
            ("province head-count report (per LAO), ms",
             "%.0f" % (1000 * median_seconds(lambda: head_count("province", province_id, year, ENTERED)))),
        ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "learners.xlsx")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        export_learners(app, path)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = os.path.getsize(path)
    rows += [
        ("xlsx export of 100,000 learners, s", "%.1f" % seconds),
        ("xlsx export: peak resident size of the process (ru_maxrss), MB", "%.0f" % (peak / 1024)),
        ("xlsx export: growth of the peak during the export, MB", "%.0f" % ((peak - before) / 1024)),
        ("xlsx export: file size, MB", "%.1f" % (size / 2**20)),
    ]  # fmt: skip
    print_table(rows)


if __name__ == "__main__":
    main()
