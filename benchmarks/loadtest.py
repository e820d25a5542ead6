"""Deadline-day load test (issue #8): schools, LAOs and provinces at work together against the app
under gunicorn on this machine, on PostgreSQL; then the database is checked against what every
simulated user was told.

    python benchmarks/loadtest.py [--users 300] [--minutes 3] [--provinces 10 --laos 300 --schools 1000
                                  --students 100000 | --national] [--keep] [--json FILE]

One command: a fresh PostgreSQL schema, the migrations and the role sync, a generated country
(app/generate.py: one account for every province, LAO and school), gunicorn (gunicorn.conf.py) on a
free port of 127.0.0.1 with a sign-in rate limit high enough for the test, then the scenario, with
Locust as a library: school staff list, read, edit and add learners and confirm their school (and
sometimes take the confirmation back), LAO officers read the status, try to confirm their LAO and
return a school, province officers read the status board, the data-quality report and filtered
learner lists. Then gunicorn stops, and the database must agree with every answer given:

- every edit and addition the app accepted is stored (the learner's value, its history entry),
  and each learner holds the last value its school was told was saved: no lost write;
- no learner is stored twice, and the learners added are exactly those accepted: no duplicated write;
- no learner of a school was written while the school was confirmed, and none of a school confirmed
  at the end after its confirmation (learner rows and the change history): no write into a locked school;
- what the app refused left no trace; each confirmation step it accepted is one recorded transition;
- a confirmed LAO has every school under it confirmed.

Prints a table (benchmarks/table.py): per request type the count, errors, expected refusals (409
with a Thai reason: a locked school, an LAO whose schools have not all confirmed), median and p95
in ms and requests per second; the targets (p95 < 1 s, no errors); the checks, OK or FAILED. Exits
non-zero when a check fails or a request went wrong. The schema is dropped unless --keep.

Bounded: at most MAX_USERS users, MAX_SECONDS seconds and MAX_REQUESTS requests, and only to the
gunicorn it started on 127.0.0.1."""

# Locust patches the standard library for gevent when imported: first, before anything opens sockets.
from locust import FastHttpUser, between, events  # isort: skip
from locust.env import Environment  # isort: skip

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from stdnum.th import pin  # noqa: E402
from table import print_table  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.generate import Size, generate_country  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_USERS = 1000
MAX_SECONDS = 600
MAX_REQUESTS = 500_000
PASSWORD = "Lec-load-2569"  # every generated account's, in the throw-away schema only
SHARES = {"province": 0.05, "lao": 0.10}  # of the users; the rest are school staff
THAI = re.compile("[\u0e00-\u0e7f]")
RETURN_REASON = "ข้อมูลนักเรียนไม่ครบ โปรดตรวจสอบและยืนยันใหม่ (ทดสอบโหลด)"
FIRST_NAMES = {"F": ("เด็กหญิง", ["ปิ่นมณี", "ชื่นกมล", "ณัฐธิดา", "พิมพ์ชนก"]),
               "M": ("เด็กชาย", ["ธนากร", "ภูมิพัฒน์", "ณัฐวุฒิ", "ภาคิน"])}  # fmt: skip


# ------------------------------------------------------------------ what the users know and were told


@dataclass
class School:
    id: int
    code: str
    lao_code: str


@dataclass
class Plan:
    """The accounts the simulated users take, and everything they record of the app's answers."""

    year_id: int
    year: int
    schools: list  # School, grouped by LAO in the order the LAO users take the LAOs
    laos: list  # (code, [school codes])
    provinces: list  # (id, code)
    think: tuple
    seconds: float
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    school_accounts: itertools.count = field(default_factory=itertools.count)
    lao_accounts: itertools.count = field(default_factory=itertools.count)
    province_accounts: itertools.count = field(default_factory=itertools.count)
    edits: list = field(default_factory=list)  # [user, learner id, field, value, outcome]
    adds: list = field(default_factory=list)  # [user, school id, id number, outcome, learner id]
    steps: list = field(default_factory=list)  # [org key, action, outcome]
    refusals: Counter = field(default_factory=Counter)  # request name → expected 409s
    requests: int = 0


def thai_refusal(response):
    """A 409 whose message is in Thai: the app said no, as it should, in the user's language."""
    try:
        return response.status_code == 409 and bool(THAI.search(json.dumps(response.json(), ensure_ascii=False)))
    except ValueError:
        return False


def rison_list(filters=(), columns=(), page_size=100, order=None):
    """FAB's ?q= for a list: filters [(column, operator, value)]."""
    parts = []
    if columns:
        parts.append("columns:!(%s)" % ",".join(columns))
    if filters:
        parts.append("filters:!(%s)" % ",".join("(col:%s,opr:%s,value:%s)" % f for f in filters))
    if order:
        parts.append("order_column:%s,order_direction:%s" % order)
    parts.append("page_size:%d" % page_size)
    return "?q=" + urllib.parse.quote("(%s)" % ",".join(parts), safe="():!,")


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text_ = ""
    while True:
        n, r = divmod(n, 36)
        text_ = digits[r] + text_
        if not n:
            return text_


class Simulated(FastHttpUser):
    abstract = True
    network_timeout = connection_timeout = 60.0

    def on_start(self):
        self.plan = self.environment.lec
        self.number = next(self.plan.numbers)
        self.sequence = 0
        self.headers = {}

    def api_login(self, username):
        with self.client.post(
            "/api/v1/security/login", json={"username": username, "password": PASSWORD, "provider": "db"},
            name="POST /api/v1/security/login", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure("sign-in refused: %s" % response.status_code)
                return False
            self.headers = {"Authorization": "Bearer " + response.json()["access_token"]}
            return True

    def call(self, method, path, name, expect_refusal=True, **kwargs):
        """One request: 2xx is accepted, a 409 with a Thai reason an expected refusal (counted apart),
        anything else a failure. Returns ("accepted" | "refused" | "unknown", response)."""
        self.plan.requests += 1
        if self.plan.requests > MAX_REQUESTS:
            self.environment.runner.quit()
            raise RuntimeError("request cap reached")
        with self.client.request(method, path, name=name, headers=self.headers, catch_response=True,
                                 **kwargs) as response:  # fmt: skip
            if 200 <= response.status_code < 300:
                return "accepted", response
            if expect_refusal and thai_refusal(response):
                response.success()
                self.plan.refusals[name] += 1
                return "refused", response
            response.failure("HTTP %s: %s" % (response.status_code, (response.text or "")[:200]))
            return "unknown", response

    def workflow(self, action, org_code, org_key, name, **payload):
        """A confirmation step; what the app answered goes to the ledger (errors as unknown)."""
        record = [org_key, action, "unknown"]
        self.plan.steps.append(record)
        outcome, response = self.call(
            "POST", "/api/v1/workflow/%s" % action.replace("_", "-"), name,
            json={"org": org_code, "year": self.plan.year, **payload},
        )  # fmt: skip
        record[2] = outcome
        return outcome, response


class SchoolStaff(Simulated):
    """Lists, reads, edits and adds learners of its own school; confirms it, now and then takes the
    confirmation back. Each staff user has a school of its own, so each learner has one writer."""

    def on_start(self):
        super().on_start()
        index = next(self.plan.school_accounts)
        self.school = self.plan.schools[index]
        self.key = "school:%d" % self.school.id
        self.learners = {}  # id → row as listed
        self.confirmed = False
        steps_expected = max(2.0, self.plan.seconds / (sum(self.plan.think) / 2))
        self.p_confirm = min(0.5, 1.5 / steps_expected)  # most schools confirm during the run
        if self.api_login("s" + self.school.code):
            self.list_learners()

    def list_learners(self):
        query = rison_list(
            filters=[("status", "eq", "active")],
            columns=["id", "room", "guardian_phone", "class_level", "birth_date", "sex"],
            order=("id", "desc"),
        )  # fmt: skip
        outcome, response = self.call("GET", "/api/v1/student/" + query, "GET /api/v1/student/ (school)")
        if outcome == "accepted":
            self.learners.update({row["id"]: row for row in response.json()["result"]})

    def value(self, field_):
        self.sequence += 1
        if field_ == "room":
            return "R%s.%s" % (base36(self.number), base36(self.sequence))  # at most 10 characters
        return "09%04d%05d" % (self.number, self.sequence % 100000)

    def edit(self, name):
        if not self.learners:
            return self.add()
        learner_id = random.choice(list(self.learners))
        field_ = "guardian_phone" if self.sequence < 99999 and random.random() < 0.5 else "room"
        value = self.value(field_)
        record = [self.number, learner_id, field_, value, "unknown"]
        self.plan.edits.append(record)
        outcome, _response = self.call("PUT", "/api/v1/student/%d" % learner_id, name, json={field_: value})
        record[4] = outcome
        return outcome

    def add(self):
        self.sequence += 1
        body = "3%04d%07d" % (self.number, self.sequence)
        id_number = body + pin.calc_check_digit(body)
        like = random.choice(list(self.learners.values())) if self.learners else None
        sex = random.choice("FM")
        prefix, names = FIRST_NAMES[sex]
        payload = {
            "academic_year": self.plan.year_id, "school": self.school.id, "id_kind": "national_id",
            "id_number": id_number, "prefix": prefix, "first_name": random.choice(names), "last_name": "ทดลองระบบ",
            "sex": sex, "nationality": "ไทย",
            # the class level and the birth date of a learner of the school: an age that fits the level
            "class_level": like["class_level"] if like else "cdc",
            "birth_date": like["birth_date"] if like else "%d-06-01" % (self.plan.year - 543 - 3),
        }  # fmt: skip
        record = [self.number, self.school.id, id_number, "unknown", None]
        self.plan.adds.append(record)
        outcome, response = self.call("POST", "/api/v1/student/", "POST /api/v1/student/ (add)", json=payload)
        record[3] = outcome
        if outcome == "accepted":
            record[4] = response.json()["id"]
            self.learners[record[4]] = {**payload, "id": record[4]}

    def status(self):
        outcome, response = self.call(
            "GET", "/api/v1/workflow/status?org=%s&year=%d" % (self.school.code, self.plan.year),
            "GET /api/v1/workflow/status (school)",
        )  # fmt: skip
        if outcome == "accepted":
            self.confirmed = response.json()["state"] == "confirmed"  # the LAO may have returned it

    def confirm(self):
        name = "POST /api/v1/workflow/confirm (school)"
        outcome, _response = self.workflow("confirm", self.school.code, self.key, name)
        if outcome == "accepted":
            self.confirmed = True
            # at once, with no time for anyone to re-open the school: the lock must hold
            self.edit("PUT /api/v1/student/[id] (right after confirming: 409 expected)")
        elif outcome == "refused":
            self.status()

    def take_back(self):
        outcome, _response = self.workflow("take_back", self.school.code, self.key,
                                           "POST /api/v1/workflow/take-back (school)")  # fmt: skip
        if outcome == "accepted":
            self.confirmed = False

    def show(self):
        if self.learners:
            self.call("GET", "/api/v1/student/%d" % random.choice(list(self.learners)), "GET /api/v1/student/[id]")

    def step(self):
        if not self.headers:
            return
        roll = random.random()
        if not self.confirmed:
            if roll < self.p_confirm:
                return self.confirm()
            choices = [(0.45, lambda: self.edit("PUT /api/v1/student/[id] (edit)")), (0.15, self.list_learners),
                       (0.15, self.show), (0.10, self.add), (0.15, self.status)]  # fmt: skip
        else:
            # a school that has confirmed mostly stays so (its LAO can then confirm); now and then it
            # takes the confirmation back, refused once the LAO has confirmed
            choices = [(0.35, self.status), (0.25, lambda: self.edit("PUT /api/v1/student/[id] (confirmed school)")),
                       (0.35, self.list_learners), (0.05, self.take_back)]  # fmt: skip
        pick = random.random() * sum(weight for weight, _action in choices)
        for weight, action in choices:
            pick -= weight
            if pick <= 0:
                return action()
        return choices[-1][1]()

    tasks = [step]


class LaoOfficer(Simulated):
    """Reads its LAO's and its schools' status, tries to confirm the LAO (refused until every school
    has), returns a school now and then, and reads its schools' learners."""

    def on_start(self):
        super().on_start()
        self.code, self.schools = self.plan.laos[next(self.plan.lao_accounts) % len(self.plan.laos)]
        self.api_login("l" + self.code)
        self.school_keys = {code: school.id for school in self.plan.schools if (code := school.code) in self.schools}

    def status(self, code, name):
        return self.call("GET", "/api/v1/workflow/status?org=%s&year=%d" % (code, self.plan.year), name)

    def step(self):
        if not self.headers:
            return
        roll = random.random()
        if roll < 0.30:
            self.status(self.code, "GET /api/v1/workflow/status (LAO)")
        elif roll < 0.50 and self.schools:
            self.status(random.choice(self.schools), "GET /api/v1/workflow/status (LAO: a school)")
        elif roll < 0.75:
            lao_id = self.code  # org key by code: resolved to ids when checking
            self.workflow("confirm", self.code, "lao-code:" + lao_id, "POST /api/v1/workflow/confirm (LAO)")
        elif roll < 0.80 and self.schools:
            code = random.choice(self.schools)
            school_id = self.school_keys.get(code)
            key = "school:%d" % school_id if school_id else "school-code:" + code
            self.workflow("return", code, key, "POST /api/v1/workflow/return (LAO)", reason=RETURN_REASON)
        else:
            query = rison_list(filters=[("status", "eq", "active")], page_size=25)
            self.call("GET", "/api/v1/student/" + query, "GET /api/v1/student/ (LAO)")

    tasks = [step]


class ProvinceOfficer(Simulated):
    """Signs in on the form (the report pages need a browser session) and reads: the status board,
    the data-quality report of its province, learner lists with filters, its province's status."""

    def on_start(self):
        super().on_start()
        self.province_id, self.code = self.plan.provinces[next(self.plan.province_accounts) % len(self.plan.provinces)]
        self.signed_in = False
        outcome, page = self.call("GET", "/login/", "GET /login/ (province)")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text or "") if outcome == "accepted" else None
        if token is None:
            return
        form = {"csrf_token": token.group(1), "username": "p" + self.code, "password": PASSWORD}
        with self.client.post("/login/", data=form, name="POST /login/ (province)", allow_redirects=False,
                              catch_response=True) as response:  # fmt: skip
            self.plan.requests += 1
            if response.status_code != 302 or response.headers.get("Location", "").rstrip("/").endswith("login"):
                response.failure("form sign-in refused: %s" % response.status_code)
                return
        self.signed_in = True

    def step(self):
        if not self.signed_in:
            return
        roll = random.random()
        if roll < 0.25:
            self.call("GET", "/workflow/board", "GET /workflow/board (province)")
        elif roll < 0.35:
            self.call("GET", "/quality/province/%d" % self.province_id, "GET /quality/province/[id] (province)")
        elif roll < 0.70:
            level = random.choice(["k1", "p1", "p6", "m3", "cdc"])
            query = rison_list(filters=[("class_level", "eq", level), ("status", "eq", "active")], page_size=25,
                               order=("id", "desc"))  # fmt: skip
            self.call("GET", "/api/v1/student/" + query, "GET /api/v1/student/ (province, filtered)")
        else:
            self.call("GET", "/api/v1/workflow/status?org=%s&year=%d" % (self.code, self.plan.year),
                      "GET /api/v1/workflow/status (province)")  # fmt: skip

    tasks = [step]


# ------------------------------------------------------------------ the database, gunicorn, the run


def schema_url(base_url, schema):
    return base_url + ("&" if "?" in base_url else "?") + "options=-csearch_path%3D" + schema


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        sys.exit("the load test targets this machine only (127.0.0.1 or localhost), not %s" % host)


def prepare(url, size, seed):
    """Migrate, sync the roles and generate the country; returns the plan's raw material."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        app.appbuilder.sm.sync_roles()
        timings = generate_country(size, seed, PASSWORD)
        prepared = time.perf_counter() - started
        with db.engine.connect() as conn:
            year_id, year = conn.execute(text("SELECT id, year FROM academic_year WHERE is_current")).one()
            schools = conn.execute(
                text("SELECT s.id, s.code, l.code FROM school s JOIN lao l ON l.id = s.lao_id ORDER BY s.code")
            ).all()
            provinces = conn.execute(
                text("SELECT DISTINCT p.id, p.code FROM province p JOIN lao l ON l.province_id = p.id ORDER BY p.code")
            ).all()
        db.engine.dispose()
    return prepared, timings, year_id, year, schools, provinces


def make_plan(year_id, year, schools, provinces, think, seconds):
    """LAOs taken in turn from each province; school staff take the schools of those LAOs in the
    same order, so that the first LAOs have all their schools at work and can confirm."""
    by_lao = defaultdict(list)
    for school_id, code, lao_code in schools:
        by_lao[lao_code].append(School(school_id, code, lao_code))
    by_province = defaultdict(list)
    for lao_code in sorted(by_lao):
        by_province[lao_code[1:3]].append(lao_code)
    order = [lao for group in itertools.zip_longest(*by_province.values()) for lao in group if lao]
    ordered_schools = [school for lao in order for school in by_lao[lao]]
    laos = [(lao, [school.code for school in by_lao[lao]]) for lao in order]
    return Plan(year_id, year, ordered_schools, laos, [tuple(p) for p in provinces], think, seconds)


def start_gunicorn(url, port, log_path, workers):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    env.update(
        DATABASE_URL=url, HOST="127.0.0.1", PORT=str(port), SECRET_KEY=secrets.token_urlsafe(48),
        # one address signs in hundreds of accounts: the per-address limit is for people, not this test
        LEC_LOGIN_RATE_LIMIT="1000000 per minute",
        # idle connections of users between two clicks stay open longer than their think time
        GUNICORN_KEEPALIVE="75", LEC_JSON_LOGS="1",
    )  # fmt: skip
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "run:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_for_health(server, base, log_path, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + tail(log_path))
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer /health in %d s:\n%s" % (timeout, tail(log_path)))
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)


def stop_gunicorn(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master: requests in flight finish
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def cpu_times():
    """(seconds of CPU the machine was busy, wall-clock seconds × cores) so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    hertz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / hertz, sum(ticks) / hertz


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid):
    """CPU seconds of gunicorn so far: the master with the workers it has reaped, and the living ones."""
    master = psutil.Process(pid)
    times = master.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for worker in master.children(recursive=True):
        try:
            times = worker.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def tail(path, lines=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])
    except OSError:
        return ""


def run_scenario(plan, base, users, spawn_rate, seconds):
    """Locust in this process: users of each role, spawned at spawn_rate, stopped after ``seconds``;
    each user finishes the request it is making, so every answer is recorded."""
    require_loopback(base)
    counts = {"province": max(1, round(users * SHARES["province"])), "lao": max(1, round(users * SHARES["lao"]))}
    counts["school"] = users - counts["province"] - counts["lao"]
    if counts["school"] < 1:
        sys.exit("at least 3 users: one of each role")
    if counts["school"] > len(plan.schools):
        sys.exit("%d school users need as many schools; the country has %d" % (counts["school"], len(plan.schools)))
    for user_class, level in ((SchoolStaff, "school"), (LaoOfficer, "lao"), (ProvinceOfficer, "province")):
        user_class.fixed_count = counts[level]
        user_class.wait_time = between(*plan.think)
    env = Environment(user_classes=[SchoolStaff, LaoOfficer, ProvinceOfficer], host=base, events=events,
                      stop_timeout=60)  # fmt: skip
    env.lec = plan
    runner = env.create_local_runner()
    started = time.perf_counter()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env, time.perf_counter() - started, counts


# ------------------------------------------------------------------ the checks


def check_database(url, plan, before):
    """[(check, ok, detail)]: the database against the ledger of answers."""
    engine = create_engine(url)
    results = []
    try:
        with engine.connect() as conn:
            history = conn.execute(
                text("SELECT row_id, action, changes, occurred_on, school_id FROM history"
                     " WHERE table_name = 'student' AND id > :after ORDER BY id"), {"after": before["history"]},
            ).all()  # fmt: skip
            edited_ids = sorted({record[1] for record in plan.edits})
            current = {}
            for start in range(0, len(edited_ids), 5000):
                chunk = edited_ids[start : start + 5000]
                rows = conn.execute(text("SELECT id, room, guardian_phone FROM student WHERE id = ANY(:ids)"),
                                    {"ids": chunk}).all()  # fmt: skip
                current.update({row.id: {"room": row.room, "guardian_phone": row.guardian_phone} for row in rows})
            written = set()  # (learner, field, value) in the history of the run
            for row_id, _action, changes, _on, _school in history:
                for name, (_old, new) in json.loads(changes).items():
                    if name in ("room", "guardian_phone"):
                        written.add((row_id, name, new))
            results += check_edits(plan, current, written)
            added = conn.execute(
                text("SELECT id, school_id, id_number, status FROM student WHERE id > :after"),
                {"after": before["student"]},
            ).all()
            refused_numbers = [record[2] for record in plan.adds if record[3] == "refused"]
            stored_refused = conn.scalar(
                text("SELECT count(*) FROM student WHERE id_number = ANY(:numbers)"), {"numbers": refused_numbers}
            )
            results += check_adds(plan, added, stored_refused)
            twice = conn.scalar(text(
                "SELECT count(*) FROM (SELECT 1 FROM student WHERE status = 'active'"
                " GROUP BY academic_year_id, school_id, id_number HAVING count(*) > 1) AS twice"))  # fmt: skip
            results.append(("no learner stored twice (year, school, identifier; active)", twice == 0,
                            "%d identifiers twice" % twice if twice else ""))  # fmt: skip
            transitions = conn.execute(
                text("SELECT c.org_key, c.org_level, c.school_id, t.action, t.to_state, t.occurred_on"
                     " FROM transition t JOIN confirmation c ON c.id = t.confirmation_id"
                     " WHERE t.id > :after ORDER BY t.id"), {"after": before["transition"]},
            ).all()  # fmt: skip
            results += check_locks(conn, plan, history, transitions)
            lao_ids = dict(conn.execute(text("SELECT code, id FROM lao")).all())
            school_ids = dict(conn.execute(text("SELECT code, id FROM school")).all())
            results.append(check_steps(plan, transitions, lao_ids, school_ids))
            open_under_confirmed = conn.scalar(text(
                "SELECT count(*) FROM confirmation lc JOIN school s ON s.lao_id = lc.lao_id"
                " LEFT JOIN confirmation sc ON sc.school_id = s.id AND sc.academic_year_id = lc.academic_year_id"
                " WHERE lc.org_level = 'lao' AND lc.state = 'confirmed' AND coalesce(sc.state, 'open') <> 'confirmed'"
            ))  # fmt: skip
            confirmed_laos = conn.scalar(text("SELECT count(*) FROM confirmation WHERE org_level = 'lao'"
                                              " AND state = 'confirmed'"))  # fmt: skip
            results.append(
                (
                    "a confirmed LAO has every school confirmed",
                    open_under_confirmed == 0,
                    "%d LAOs confirmed; %d open schools under them" % (confirmed_laos, open_under_confirmed),
                )
            )
    finally:
        engine.dispose()
    return results


def check_edits(plan, current, written):
    accepted = [r for r in plan.edits if r[4] == "accepted"]
    refused = [r for r in plan.edits if r[4] == "refused"]
    missing = [r for r in accepted if (r[1], r[2], r[3]) not in written]
    # each learner has one writer whose requests follow one another: the last accepted value stands,
    # unless a request whose answer was lost (counted as an error) came after it
    last, later_unknown = {}, defaultdict(set)
    for _user, learner_id, name, value, outcome in plan.edits:
        if outcome == "accepted":
            last[(learner_id, name)] = value
            later_unknown[(learner_id, name)] = set()
        elif outcome == "unknown":
            later_unknown[(learner_id, name)].add(value)
    lost = [key for key, value in last.items()
            if current.get(key[0], {}).get(key[1]) not in {value} | later_unknown[key]]  # fmt: skip
    traces = [r for r in refused
              if (r[1], r[2], r[3]) in written or current.get(r[1], {}).get(r[2]) == r[3]]  # fmt: skip
    return [
        ("accepted edits in the change history (%d)" % len(accepted), not missing,
         "%d missing" % len(missing) if missing else ""),
        ("each edited learner holds the last value accepted (%d)" % len(last), not lost,
         "%d lost writes" % len(lost) if lost else ""),
        ("refused edits left no trace (%d)" % len(refused), not traces,
         "%d written anyway" % len(traces) if traces else ""),
    ]  # fmt: skip


def check_adds(plan, added, stored_refused):
    accepted = {r[4]: r for r in plan.adds if r[3] == "accepted"}
    unknown = [r for r in plan.adds if r[3] == "unknown"]
    by_id = {row.id: row for row in added}
    wrong = [r for learner_id, r in accepted.items() if learner_id not in by_id
             or (by_id[learner_id].school_id, by_id[learner_id].id_number, by_id[learner_id].status)
             != (r[1], r[2], "active")]  # fmt: skip
    extra = len(added) - len(accepted)
    return [
        ("accepted additions stored as answered (%d)" % len(accepted), not wrong,
         "%d missing or different" % len(wrong) if wrong else ""),
        ("learners added = additions accepted", 0 <= extra <= len(unknown),
         "%d rows added, %d accepted" % (len(added), len(accepted)) if extra else ""),
        ("refused additions left no row (%d)" % sum(r[3] == "refused" for r in plan.adds), stored_refused == 0,
         "%d stored anyway" % stored_refused if stored_refused else ""),
    ]  # fmt: skip


def check_locks(conn, plan, history, transitions):
    """No learner history entry of a school while it was confirmed, over the whole run; and for the
    schools confirmed at the end, no learner row changed after the confirmation."""
    intervals = defaultdict(list)  # school id → [[confirmed from, until or None]]
    for _org_key, level, school_id, action, to_state, occurred_on in transitions:
        if level != "school":
            continue
        spans = intervals[school_id]
        if to_state == "confirmed" and action == "confirm":
            spans.append([occurred_on, None])
        elif to_state == "open" and spans and spans[-1][1] is None:
            spans[-1][1] = occurred_on
    inside = [
        (row_id, on) for row_id, _action, _changes, on, school_id in history
        if any(start < on and (end is None or on < end) for start, end in intervals.get(school_id, ()))
    ]  # fmt: skip
    after_confirmed = conn.execute(text(
        "SELECT count(*), count(DISTINCT c.school_id) FROM confirmation c JOIN student s ON s.school_id = c.school_id"
        " WHERE c.org_level = 'school' AND c.state = 'confirmed' AND s.changed_on > c.confirmed_on"
    )).one()  # fmt: skip
    history_after = conn.scalar(text(
        "SELECT count(*) FROM confirmation c JOIN history h ON h.school_id = c.school_id AND h.table_name = 'student'"
        " WHERE c.org_level = 'school' AND c.state = 'confirmed' AND h.occurred_on > c.confirmed_on"
    ))  # fmt: skip
    confirmed_now = conn.scalar(text("SELECT count(*) FROM confirmation WHERE org_level = 'school'"
                                     " AND state = 'confirmed'"))  # fmt: skip
    confirmed_spans = sum(len(spans) for spans in intervals.values())
    return [
        ("no learner written while its school was confirmed (%d confirmed spans)" % confirmed_spans, not inside,
         "%d writes inside" % len(inside) if inside else ""),
        ("schools confirmed at the end (%d): no learner row changed after" % confirmed_now, after_confirmed[0] == 0,
         "%d rows in %d schools" % tuple(after_confirmed) if after_confirmed[0] else ""),
        ("schools confirmed at the end: no history entry after", history_after == 0,
         "%d entries" % history_after if history_after else ""),
    ]  # fmt: skip


def check_steps(plan, transitions, lao_ids, school_ids):
    """Each accepted confirm, take-back and return is one transition; refused ones are none."""

    def key(org_key):
        kind, _sep, value = org_key.partition(":")
        if kind == "lao-code":
            return "lao:%d" % lao_ids[value]
        if kind == "school-code":
            return "school:%d" % school_ids[value]
        return org_key

    accepted = Counter((key(k), action) for k, action, outcome in plan.steps if outcome == "accepted")
    unknown = Counter((key(k), action) for k, action, outcome in plan.steps if outcome == "unknown")
    recorded = Counter((org_key, action) for org_key, _level, _school, action, _to, _on in transitions)
    wrong = [k for k in set(accepted) | set(recorded) if not accepted[k] <= recorded[k] <= accepted[k] + unknown[k]]
    refused = sum(outcome == "refused" for _k, _a, outcome in plan.steps)
    label = "confirmation steps: %d accepted = transitions recorded; %d refused left none" % (
        sum(accepted.values()),
        refused,
    )
    return label, not wrong, "%d organisations differ" % len(wrong) if wrong else ""


# ------------------------------------------------------------------ report


def cpu_row(before, after, gunicorn_cpu, locust_cpu):
    """How busy the cores were during the run, and with what: the app (gunicorn), the load
    generator, and the rest (PostgreSQL, and whatever else ran on the machine)."""
    busy, total = after[0] - before[0], after[1] - before[1]
    cores = os.cpu_count()
    wall = total / cores
    shares = [busy, gunicorn_cpu, locust_cpu, busy - gunicorn_cpu - locust_cpu]
    return ("CPU during the run, in cores of %d: busy / gunicorn / load generator / the rest" % cores,
            " / ".join("%.2f" % (share / wall) for share in shares))  # fmt: skip


def summary(entry, refused, elapsed):
    return "%s req, %d errors, %d refused (409), median %d ms, p95 %d ms, %.1f req/s" % (
        "{:,}".format(entry.num_requests),
        entry.num_failures,
        refused,
        entry.median_response_time or 0,
        entry.get_response_time_percentile(0.95) or 0,
        entry.num_requests / elapsed,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, help="the run's length in seconds (instead of --minutes)")
    # a sign-in costs ~0.15 s of CPU (scrypt): 5 a second take a third of the 2 cores during the ramp
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--think", default="5,15", help="seconds a user waits between two requests: MIN,MAX")
    parser.add_argument("--provinces", type=int, default=10, help="provinces with LAOs")
    parser.add_argument("--laos", type=int, default=300)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--national", action="store_true", help="the national size: 76 provinces, 7,850 LAOs, ...")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's, 2 × cores + 1)")
    parser.add_argument("--seed", type=int, default=2569)
    parser.add_argument("--keep", action="store_true", help="keep the schema (and the gunicorn log)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    think = tuple(float(part) for part in args.think.split(","))
    if not 1 <= args.users <= MAX_USERS:
        sys.exit("--users: from 1 to %d" % MAX_USERS)
    if not 0 < seconds <= MAX_SECONDS:
        sys.exit("the run lasts at most %d seconds" % MAX_SECONDS)
    if len(think) != 2 or not 0 <= think[0] <= think[1] <= 60:
        sys.exit("--think: MIN,MAX seconds, e.g. 2,6")
    require_loopback(args.database_url.replace("+psycopg", ""))  # the database is this machine's too
    if args.national:
        size = Size(users=76 + 7850 + 20000)
    else:
        provinces = min(args.provinces + 1, 77)  # the first by code is Bangkok, which has no LAO of the department
        size = Size(provinces, args.laos, args.schools, args.students, provinces - 1 + args.laos + args.schools)

    random.seed(args.seed)  # the users' choices; the timing is the machine's
    schema = "lec_load_" + uuid.uuid4().hex[:8]
    admin = create_engine(args.database_url)
    with admin.begin() as conn:
        conn.execute(text('CREATE SCHEMA "%s"' % schema))
    url = schema_url(args.database_url, schema)
    log_dir = tempfile.mkdtemp(prefix="lec-loadtest-")
    log_path = os.path.join(log_dir, "gunicorn.log")
    server = None
    try:
        prepared, timings, year_id, year, schools, provinces = prepare(url, size, args.seed)
        plan = make_plan(year_id, year, schools, provinces, think, seconds)
        check_engine = create_engine(url)
        with check_engine.connect() as conn:
            before = {table: conn.scalar(text("SELECT coalesce(max(id), 0) FROM %s" % table))
                      for table in ("history", "student", "transition")}  # fmt: skip
            learners = conn.scalar(text("SELECT count(*) FROM student"))
        check_engine.dispose()
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        started = time.perf_counter()
        server = start_gunicorn(url, port, log_path, args.workers)
        wait_for_health(server, base, log_path)
        boot = time.perf_counter() - started
        machine_before, self_before, app_before = cpu_times(), own_cpu(), tree_cpu(server.pid)
        env, elapsed, counts = run_scenario(plan, base, args.users, args.spawn_rate, seconds)
        machine_after, self_after, app_after = cpu_times(), own_cpu(), tree_cpu(server.pid)
        load = os.getloadavg()[0]
        stop_gunicorn(server)
        checks = check_database(url, plan, before)
    finally:
        if server is not None:
            stop_gunicorn(server)
        if not args.keep:
            with admin.begin() as conn:
                conn.execute(text('DROP SCHEMA "%s" CASCADE' % schema))
        admin.dispose()

    total = env.stats.total
    refused = sum(plan.refusals.values())
    p95 = total.get_response_time_percentile(0.95) or 0
    rows = [
        ("country", "%d provinces, %s LAOs, %s schools, %s learners, %s accounts" % (
            len(provinces), "{:,}".format(size.laos), "{:,}".format(size.schools), "{:,}".format(learners),
            "{:,}".format(size.users))),
        ("migrations, roles and generation (s)", "%.1f" % prepared),
        ("gunicorn up, /health answers (s)", "%.1f" % boot),
        ("users: school / LAO / province", "%d / %d / %d, %.0f per second started, think time %g–%g s" % (
            counts["school"], counts["lao"], counts["province"], args.spawn_rate, *think)),
        ("run (s); load average (1 min) at its end", "%.0f; %.1f" % (elapsed, load)),
        cpu_row(machine_before, machine_after, app_after - app_before, self_after - self_before),
    ]  # fmt: skip
    for (name, _method), entry in sorted(env.stats.entries.items()):
        rows.append((name, summary(entry, plan.refusals.get(name, 0), elapsed)))
    rows.append(("all requests", summary(total, refused, elapsed)))
    met = {"p95 < 1 s": p95 < 1000, "no errors": total.num_failures == 0}
    rows += [("target: %s" % name, "met" if ok else "NOT MET") for name, ok in met.items()]
    rows += [("check: %s" % name, "OK" if ok else "FAILED: " + detail) for name, ok, detail in checks]
    rows.append(("schema", schema + (" (kept)" if args.keep else " (dropped)")))
    print_table(rows)
    errors = Counter()
    for error in env.stats.errors.values():
        errors["%s: %s" % (error.name, error.error)] += error.occurrences
    for message, occurrences in errors.most_common(10):
        print("error ×%d: %s" % (occurrences, message[:300]))
    if errors or not all(ok for _n, ok, _d in checks):
        print("gunicorn log: %s" % log_path if args.keep else "gunicorn log (last lines):\n" + tail(log_path))
    if not args.keep:
        shutil.rmtree(log_dir, ignore_errors=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({
                "requests": total.num_requests, "errors": total.num_failures, "refused": refused,
                "median_ms": total.median_response_time, "p95_ms": p95, "seconds": elapsed,
                "per_request": {name: {"requests": e.num_requests, "errors": e.num_failures,
                                       "refused": plan.refusals.get(name, 0),
                                       "median_ms": e.median_response_time,
                                       "p95_ms": e.get_response_time_percentile(0.95)}
                                for (name, _method), e in env.stats.entries.items()},
                "checks": {name: {"ok": ok, "detail": detail} for name, ok, detail in checks},
                "targets": met,
            }, out, ensure_ascii=False, indent=1)  # fmt: skip
    if total.num_failures or not all(ok for _n, ok, _d in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
