"""The deadline-day load test (benchmarks/loadtest.py), small and fast, so that it cannot rot: a
country of one province, 3 LAOs, 20 schools and 300 learners, 20 users for 10 seconds against
gunicorn on PostgreSQL. It asserts what the full run must show too, except timing and volume (the machine
may be busy): no request went wrong, and the database agrees with every answer the users were given.

It runs as a separate process: Locust patches the standard library for gevent when imported, which
must not happen to the test session. Needs TEST_DATABASE_URL: skipped with a message without it,
failed under CI=true."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"
SMALL = ["--provinces", "1", "--laos", "3", "--schools", "20", "--students", "300",
         "--users", "20", "--seconds", "10", "--spawn-rate", "20", "--think", "0.2,1"]  # fmt: skip


def required(reason):
    """Skip with a message on a developer's machine; fail in CI, which must run every test."""
    if IN_CI:
        pytest.fail(reason + ": CI must run this test", pytrace=False)
    pytest.skip(reason)


def test_a_small_deadline_day_leaves_the_database_as_the_users_were_told(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        required("the load test runs on PostgreSQL: set TEST_DATABASE_URL to run it")
    if importlib.util.find_spec("locust") is None:
        required("locust is not installed (pip install -r requirements.txt)")
    report = tmp_path / "loadtest.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/loadtest.py", "--database-url", url, "--json", str(report), *SMALL],
        cwd=ROOT, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    output = done.stdout + done.stderr[-5000:]
    assert report.exists(), output
    result = json.loads(report.read_text())
    failed = {name: check["detail"] for name, check in result["checks"].items() if not check["ok"]}
    assert not failed, output
    assert result["errors"] == 0, output
    assert done.returncode == 0, output
    assert len(result["checks"]) >= 12
    requests = result["per_request"]
    assert requests["PUT /api/v1/student/[id] (edit)"]["requests"] > 0, output  # some writes to check
    # a school that has just confirmed is refused the next edit, every time, with a Thai 409
    after = requests.get("PUT /api/v1/student/[id] (right after confirming: 409 expected)")
    assert after is None or after["refused"] == after["requests"], output
