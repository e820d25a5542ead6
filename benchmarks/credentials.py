"""Benchmark: issue credentials and render the QR sheet for 8,000 LAOs (about the country's count).

    python benchmarks/credentials.py [--laos 8000] [--database-url URL]

Prints a table: seconds to issue (accounts + hashed codes, one transaction), seconds to render
the PDF, its size, and the process's peak memory. Targets (issue #4): under 60 s in all, under
500 MB, PDF under 40 MB, on one core of the 2-core machine."""

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from table import print_table  # noqa: E402

from app import create_app  # noqa: E402
from app.context import acting_as  # noqa: E402
from app.credentials import issue_credentials, render_sheet  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Lao, Province  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--laos", type=int, default=8000)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LEC_BASE_URL": "https://lec.example.go.th"})
    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        province = db.session.scalar(select(Province).where(Province.code == "50"))
        now = datetime.now()
        db.session.execute(
            insert(Lao),
            [
                {"code": "9%06d" % n, "name_th": "องค์การบริหารส่วนตำบลทดสอบที่ %d" % n, "kind": "sao",
                 "province_id": province.id, "created_on": now, "changed_on": now}
                for n in range(args.laos)
            ],
        )  # fmt: skip
        db.session.commit()
        with acting_as(None):
            started = time.perf_counter()
            cards = issue_credentials([province])
            db.session.commit()
            issued = time.perf_counter()
            pdf = render_sheet(cards, "benchmark")
            rendered = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("organisations", "%d" % len(cards)),
        ("issue accounts and codes (s)", "%.1f" % (issued - started)),
        ("render the PDF (s)", "%.1f" % (rendered - issued)),
        ("total (s), target < 60", "%.1f" % (rendered - started)),
        ("PDF size (MB), target < 40", "%.1f" % (len(pdf) / 1e6)),
        ("pages", "%d" % -(-len(cards) // 8)),
        ("peak memory (MB), target < 500", "%.0f" % peak_mb),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
