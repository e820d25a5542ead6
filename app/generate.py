"""A reproducible country of national size for load tests: `flask lec generate`.

The real provinces (loaded by migration 0001), LAOs in the national proportions of kinds, schools
and centres, the current year's learners and the accounts of every level, all drawn from one seed:
the same seed and sizes give the same data.

Rows go straight to the tables in one transaction, by COPY on PostgreSQL and by batched inserts
elsewhere. No ORM object is made, so the flush hooks (author stamps, scope, validation, the
confirmation lock, the change history) do not run 1.5 million times: the generator makes every row
valid itself and writes no history, since generated data is nobody's change."""

import math
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, assoc_user_role
from sqlalchemy import case, insert, select, text
from stdnum.th import pin
from werkzeug.security import generate_password_hash

from .credentials import USERNAME_PREFIX
from .demo import AGE_ON_16_MAY, SCHOOL_LEVELS, current_academic_year_be
from .errors import AlreadyGenerated, LecError
from .extensions import db
from .models import AcademicYear, Lao, LecUser, Province, School, Student
from .quality import refresh_findings
from .roles import ROLE_OF_LEVEL
from .workflow import open_confirmations

GENERATED = "9"  # every generated LAO and school code starts with it, no demo code does
BANGKOK = "10"  # กรุงเทพมหานคร is a local government of its own: no LAO of the department sits in it
CHONBURI = "20"  # where เมืองพัทยา is

# LAOs of each kind in the country (DESIGN.md §1: about 7,850); one อบจ. per province but Bangkok.
NATIONAL_LAO_KINDS = {"pao": 76, "city": 30, "town": 195, "subdistrict": 2247, "sao": 5300, "pattaya": 1}
LAO_TITLES = {
    "city": "เทศบาลนคร",
    "town": "เทศบาลเมือง",
    "subdistrict": "เทศบาลตำบล",
    "sao": "องค์การบริหารส่วนตำบล",
}
MUNICIPAL = {"city", "town", "subdistrict", "pattaya"}
# How many schools and centres an LAO of each kind runs, relative to the others, and how many of
# them are child-development centres: cities and อบจ. run schools, อบต. mostly centres (about 40 %
# centres in all).
SCHOOL_WEIGHTS = {"pao": 8, "city": 12, "town": 5, "subdistrict": 2.5, "sao": 2, "pattaya": 15}
CDC_SHARES = {"pao": 0.02, "city": 0.3, "town": 0.35, "subdistrict": 0.45, "sao": 0.45, "pattaya": 0.3}
LEARNER_WEIGHTS = {"school": 2.5, "cdc": 1}  # a school holds about 2.5 times the children of a centre
CDC_AGES = (2, 3, 4)  # full years on 16 May: from 2 up to 5 (DESIGN.md §3)
G_CODE_SHARE = 0.01

PLACE_HEADS = [
    "หนอง", "ดอน", "ท่า", "นา", "โคก", "ห้วย", "วัง", "บ่อ", "สระ", "ป่า", "แม่", "ลำ", "บาง",
    "ทุ่ง", "เขา", "โนน", "หัว", "คลอง", "ศรี", "ไร่", "สัน", "ดง", "กุด", "เชียง", "บึง",
]  # fmt: skip
PLACE_TAILS = [
    "แก้ว", "ทอง", "บัว", "ยาง", "ขาม", "ไผ่", "หิน", "งาม", "จันทร์", "ม่วง", "เตย", "โพธิ์",
    "ตะเคียน", "สะแก", "ช้าง", "เสือ", "กลาง", "ทราย", "เกลือ", "แดง", "ขาว", "คำ", "มะขาม",
    "กระทุ่ม", "พะยอม", "สำโรง", "ชมพู", "ปรือ", "แฝก", "ตาล",
]  # fmt: skip
PLACE_ENDINGS = ["เหนือ", "ใต้", "ใหม่", "น้อย", "ใหญ่", "พัฒนา", "ทอง"]
BOYS = [
    "ธนากร", "ภูมิพัฒน์", "ณัฐวุฒิ", "กิตติพัฒน์", "ปิยะพงษ์", "ศุภกร", "วรเมธ", "ชยพล", "ปุณณวิช",
    "อชิรวิทย์", "ธีรภัทร", "กฤษฎา", "พีรพัฒน์", "ณัฐพล", "ภาคิน", "ปกรณ์", "ธนภัทร", "วชิรวิทย์",
    "รัชชานนท์", "สิรวิชญ์", "ก้องภพ", "ภูริ", "ธาวิน", "พงศกร", "ชนาธิป", "ศุภวิชญ์", "กันตินันท์",
    "ธนดล", "นภัทร", "ปัณณวัฒน์",
]  # fmt: skip
GIRLS = [
    "ปิ่นมณี", "ชื่นกมล", "ณัฐธิดา", "กัญญาณัฐ", "พิมพ์ชนก", "อรปรียา", "ศิริกัญญา", "ธัญชนก",
    "วรัญญา", "ภัทรธิดา", "ชนิดาภา", "ณิชาภัทร", "กวินทรา", "ปุณยวีร์", "พิชชาภา", "อริสรา",
    "สุภาวดี", "ธนพร", "เบญญาภา", "กัลยรัตน์", "ชญานิศ", "ปวีณ์ธิดา", "ณัฐณิชา", "พัชราภา", "ศศิธร",
    "อัญชลี", "วริศรา", "ญาดา", "ลลิตา", "มัณฑนา",
]  # fmt: skip
SURNAME_HEADS = [
    "ศรี", "บุญ", "แก้ว", "ทอง", "สุข", "วงศ์", "ใจ", "ชื่น", "ทิพย์", "พึ่ง", "มณี", "จันทร์",
    "รัตน", "สมบูรณ์", "ประเสริฐ", "เพชร", "คำ", "สาย", "พรหม", "อินทร์",
]  # fmt: skip
SURNAME_TAILS = [
    "สุข", "มา", "มณี", "คำ", "สวัสดิ์", "ไทย", "บุญ", "ชม", "เนตร", "ดี", "วงศ์", "ศรี", "ทอง",
    "งาม", "เจริญ", "พันธ์", "ประเสริฐ", "รักษ์", "สกุล", "ทรัพย์",
]  # fmt: skip
SURNAMES = [head + tail for head in SURNAME_HEADS for tail in SURNAME_TAILS if head != tail]
NEIGHBOURS = ["เมียนมา", "กัมพูชา", "ลาว", "ไม่ระบุ"]  # learners with G codes: no Thai civil registration
RELIGIONS = ["พุทธ"] * 93 + ["อิสลาม"] * 5 + ["คริสต์"]
POSITIONS = {"province": "นักวิชาการศึกษา", "lao": "นักวิชาการศึกษา", "school": "ครูธุรการ"}
BATCH = 5000

STUDENT_COLUMNS = (
    "academic_year_id", "school_id", "id_kind", "id_number", "prefix", "first_name", "last_name", "sex",
    "birth_date", "nationality", "religion", "class_level", "room", "guardian_name", "guardian_phone", "status",
    "created_on", "changed_on",
)  # fmt: skip
USER_COLUMNS = (
    "first_name", "last_name", "username", "password", "active", "email", "login_count", "fail_login_count",
    "created_on", "changed_on", "org_level", "province_id", "lao_id", "school_id", "position",
)  # fmt: skip


@dataclass(frozen=True)
class Size:
    provinces: int = 77
    laos: int = 7850
    schools: int = 20000
    students: int = 1_500_000
    users: int = 30000


def generate_country(size, seed, password):
    """Fill the database in one transaction; returns [(table, rows, seconds)] in the order
    written. Each stage draws from its own stream of the seed, so that asking for more accounts,
    say, leaves the learners as they were."""
    today = date.today()
    password_hash = generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )
    stamp = datetime.now()
    timings = []

    def timed(table, write):
        started = time.perf_counter()
        rows = write()
        timings.append((table, rows, time.perf_counter() - started))

    with db.engine.begin() as conn:
        refuse_second_run(conn)
        chosen = conn.execute(
            select(Province.id, Province.code, Province.name_th).order_by(Province.code).limit(size.provinces)
        ).all()
        provinces = {province.code: province for province in chosen if province.code != BANGKOK}
        if not provinces:
            raise LecError("Bangkok has no LAOs of the department: ask for at least 2 provinces")
        year_id, year = current_year(conn, today, stamp)
        laos = plan_laos(list(provinces.values()), size.laos, stream(seed, "laos"))
        timed("lao", lambda: copy_rows(conn, Lao.__table__, *stamped(laos, stamp)))
        lao_ids = ids_by_code(conn, Lao)
        schools = plan_schools(laos, lao_ids, provinces, size.schools, stream(seed, "schools"))
        timed("school", lambda: copy_rows(conn, School.__table__, *stamped(schools, stamp)))
        school_ids = ids_by_code(conn, School)
        accounts = plan_accounts(provinces, lao_ids, school_ids, size.users, stream(seed, "users"))
        timed("ab_user", lambda: write_accounts(conn, accounts, password_hash, stamp))
        timed("ab_user_role", lambda: grant_roles(conn, accounts))
        learners = learner_rows(schools, school_ids, year_id, year, size.students, stream(seed, "learners"), stamp)
        timed("student", lambda: copy_rows(conn, Student.__table__, STUDENT_COLUMNS, learners))
        timed("confirmation", lambda: open_confirmations(year_id, conn))
        if conn.dialect.name == "postgresql":
            # the planner must know the new sizes at the first query, not when autovacuum wakes up
            started = time.perf_counter()
            conn.execute(text("ANALYZE lao, school, ab_user, ab_user_role, student"))
            timings.append(("ANALYZE", None, time.perf_counter() - started))
        # the learners came by COPY, around the flush that keeps the findings
        checked = AcademicYear(id=year_id, year=year)  # what the checks read of the year; never added
        timed("quality_finding", lambda: refresh_findings(checked, connection=conn))
        if conn.dialect.name == "postgresql":
            started = time.perf_counter()
            conn.execute(text("ANALYZE quality_finding"))
            timings.append(("ANALYZE", None, time.perf_counter() - started))
    return timings


def stream(seed, stage):
    return random.Random("%s:%s" % (seed, stage))


def refuse_second_run(conn):
    if conn.scalar(select(Lao.id).where(Lao.code.startswith(GENERATED)).limit(1)) is not None:
        raise AlreadyGenerated("the database already holds generated data (LAO codes starting with %s)" % GENERATED)


def current_year(conn, today, stamp):
    """The current academic year; when there is none, the one running today, open for entry
    around today as in the demo."""
    found = conn.execute(select(AcademicYear.id, AcademicYear.year).where(AcademicYear.is_current)).first()
    if found:
        return found
    year = current_academic_year_be(today)
    inserted = conn.execute(
        insert(AcademicYear.__table__).values(
            year=year,
            entry_opens=today - timedelta(days=30),
            school_deadline=today + timedelta(days=30),
            lao_deadline=today + timedelta(days=30),
            province_deadline=today + timedelta(days=31),
            is_current=True,
            created_on=stamp,
            changed_on=stamp,
        )
    )
    return inserted.inserted_primary_key[0], year


def province_code(code):
    """Generated LAO and school codes carry their province: 9 + province code + running number."""
    return code[len(GENERATED) : len(GENERATED) + 2]


def apportion(total, weights):
    """Split ``total`` in proportion to ``weights`` so that the parts add up exactly (largest
    remainder; ties go to the earlier part)."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(parts)), key=lambda i: parts[i] - shares[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def place_name(rng):
    """A Thai village-style name: หนองบัว, ท่าช้างเหนือ, ..."""
    name = rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
    return name + rng.choice(PLACE_ENDINGS) if rng.random() < 0.3 else name


def plan_laos(provinces, count, rng):
    """LAO rows in the national proportions of kinds: one อบจ. per province while there are
    enough LAOs, เมืองพัทยา in ชลบุรี, the others spread over the provinces at random."""
    chonburi = next((province for province in provinces if province.code == CHONBURI), None)
    others = {kind: share for kind, share in NATIONAL_LAO_KINDS.items() if kind != "pao"}
    if chonburi is None:
        others["pattaya"] = 0
    pao = min(count, len(provinces))
    placed = [("pao", province) for province in provinces[:pao]]
    for kind, number in zip(others, apportion(count - pao, list(others.values())), strict=True):
        placed += [(kind, chonburi if kind == "pattaya" else rng.choice(provinces)) for _ in range(number)]
    placed.sort(key=lambda pair: pair[1].code)
    running = dict.fromkeys((province.code for province in provinces), 0)
    rows = []
    for kind, province in placed:
        running[province.code] += 1
        if kind == "pao":
            name = "องค์การบริหารส่วนจังหวัด" + province.name_th
        elif kind == "pattaya":
            name = "เมืองพัทยา"
        else:
            name = LAO_TITLES[kind] + place_name(rng)
        code = "%s%s%05d" % (GENERATED, province.code, running[province.code])
        rows.append({"code": code, "name_th": name, "kind": kind, "province_id": province.id})
    return rows


def plan_schools(laos, lao_ids, provinces, count, rng):
    """School and centre rows, more of them under cities and อบจ. than under small อบต."""
    weights = [SCHOOL_WEIGHTS[lao["kind"]] * rng.uniform(0.5, 1.5) for lao in laos]
    running = dict.fromkeys(provinces, 0)
    rows = []
    for lao, number in zip(laos, apportion(count, weights), strict=True):
        province = provinces[province_code(lao["code"])]
        for _ in range(number):
            running[province.code] += 1
            place = place_name(rng)
            if rng.random() < CDC_SHARES[lao["kind"]]:
                kind, name, levels = "cdc", "ศูนย์พัฒนาเด็กเล็กบ้าน" + place, "cdc"
            else:
                owner = "เทศบาล" if lao["kind"] in MUNICIPAL else "บ้าน"
                kind, name, levels = "school", "โรงเรียน" + owner + place, ",".join(SCHOOL_LEVELS)
            rows.append(
                {
                    "code": "%s%s%07d" % (GENERATED, province.code, running[province.code]),
                    "name_th": name,
                    "kind": kind,
                    "lao_id": lao_ids[lao["code"]],
                    "address": "ตำบล%s จังหวัด%s" % (place, province.name_th),
                    "phone": "0%d-%03d-%04d" % (rng.randint(2, 7), rng.randint(0, 999), rng.randint(0, 9999)),
                    "head_name": "%s %s" % (rng.choice(BOYS + GIRLS), rng.choice(SURNAMES)),
                    "levels": levels,
                }
            )
    return rows


def stamped(rows, stamp):
    """Planned rows as (columns, tuples), with the audit columns' creation time."""
    columns = list(rows[0]) + ["created_on", "changed_on"]
    return columns, (tuple(row.values()) + (stamp, stamp) for row in rows)


def ids_by_code(conn, model):
    return dict(conn.execute(select(model.code, model.id).where(model.code.startswith(GENERATED))).all())


def plan_accounts(provinces, lao_ids, school_ids, count, rng):
    """``count`` accounts as (level, organisation id, username, first name, last name): one per
    organisation in the order province, LAO, school, then a second one for the provinces and the
    LAOs when there are more accounts than organisations. Usernames follow app/credentials.py."""
    nodes = [("province", province.id, code) for code, province in provinces.items()]
    nodes += [("lao", lao_id, code) for code, lao_id in sorted(lao_ids.items())]
    nodes += [("school", school_id, code) for code, school_id in sorted(school_ids.items())]
    accounts = []
    for n in range(count):
        level, org_id, code = nodes[n % len(nodes)]
        extra = n // len(nodes)
        username = USERNAME_PREFIX[level] + code + ("-%d" % (extra + 1) if extra else "")
        first_names = BOYS if rng.random() < 0.5 else GIRLS
        accounts.append((level, org_id, username, rng.choice(first_names), rng.choice(SURNAMES)))
    return accounts


def write_accounts(conn, accounts, password_hash, stamp):
    """One password hash for every account: hashing 30,000 times would take minutes. A province
    account named as app/credentials.py names it may exist already: refuse, in plain words."""
    province_usernames = [username for level, _id, username, _first, _last in accounts if level == "province"]
    taken = conn.scalars(select(LecUser.username).where(LecUser.username.in_(province_usernames))).all()
    if taken:
        raise AlreadyGenerated("the accounts %s exist already" % ", ".join(sorted(taken)))
    rows = (
        (first, last, username, password_hash, True, username + "@lec.example", 0, 0, stamp, stamp, level)
        + tuple(org_id if level == column else None for column in ("province", "lao", "school"))
        + (POSITIONS[level],)
        for level, org_id, username, first, last in accounts
    )
    return copy_rows(conn, LecUser.__table__, USER_COLUMNS, rows)


def grant_roles(conn, accounts):
    """Each generated account gets the role of its level (the roles of `flask lec sync-roles`)."""
    roles = dict(conn.execute(select(Role.name, Role.id).where(Role.name.in_(ROLE_OF_LEVEL.values()))).all())
    if len(roles) < len(ROLE_OF_LEVEL):
        raise LecError("roles are missing: run flask lec sync-roles first")
    users = LecUser.__table__
    role_id = case({level: roles[name] for level, name in ROLE_OF_LEVEL.items()}, value=users.c.org_level)
    usernames = [username for _level, _id, username, _first, _last in accounts]
    granted = 0
    for start in range(0, len(usernames), BATCH):
        chosen = select(users.c.id, role_id).where(users.c.username.in_(usernames[start : start + BATCH]))
        statement = insert(assoc_user_role).from_select(["user_id", "role_id"], chosen)
        granted += conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return granted


def birth_spans(year):
    """For each age, the first day of birth (ordinal) and how many days of birth give exactly that
    many full years on 16 May of the academic year (DESIGN.md §3)."""
    may16 = year - 543
    spans = {}
    for age in set(AGE_ON_16_MAY.values()) | set(CDC_AGES):
        first = date(may16 - age - 1, 5, 17).toordinal()
        spans[age] = (first, date(may16 - age, 5, 16).toordinal() - first + 1)
    return spans


def identifier_scrambler(rng):
    """n → 9 digits that look random and never repeat: n·factor + shift modulo 10⁹ is one-to-one
    when the factor is prime to 10, so national IDs are unique without remembering them."""
    factor, shift = rng.randrange(10**8, 10**9), rng.randrange(10**9)
    while math.gcd(factor, 10) != 1:
        factor += 1
    return lambda n: (n * factor + shift) % 10**9


def learner_rows(schools, school_ids, year_id, year, count, rng, stamp):
    """The year's learners, school by school, as tuples in STUDENT_COLUMNS order: ages that fit
    the class level, national IDs (1 + province code + 9 digits + check digit) unique by
    construction, about 1 % G codes. Hot loop: 1.5 million rows."""
    random = rng.random
    spans = birth_spans(year)
    scramble = identifier_scrambler(rng)
    weights = [LEARNER_WEIGHTS[school["kind"]] * rng.lognormvariate(0, 0.5) for school in schools]
    running_ids, running_g_codes = {}, {}
    for school, number in zip(schools, apportion(count, weights), strict=True):
        school_id, cdc, province = school_ids[school["code"]], school["kind"] == "cdc", province_code(school["code"])
        for _ in range(number):
            if cdc:
                level, age = "cdc", CDC_AGES[int(random() * len(CDC_AGES))]
            else:
                level = SCHOOL_LEVELS[int(random() * len(SCHOOL_LEVELS))]
                age = AGE_ON_16_MAY[level]
            first_day, days = spans[age]
            boy = random() < 0.51
            first_names = BOYS if boy else GIRLS
            if random() < G_CODE_SHARE:
                running_g_codes[province] = serial = running_g_codes.get(province, 0) + 1
                id_kind, id_number = "g_code", "G%02d%s%08d" % (year % 100, province, serial)
                nationality = NEIGHBOURS[int(random() * len(NEIGHBOURS))]
            else:
                running_ids[province] = serial = running_ids.get(province, 0) + 1
                body = "1%s%09d" % (province, scramble(serial))
                id_kind, id_number, nationality = "national_id", body + pin.calc_check_digit(body), "ไทย"
            last_name = SURNAMES[int(random() * len(SURNAMES))]
            guardian = random()
            yield (
                year_id,
                school_id,
                id_kind,
                id_number,
                "เด็กชาย" if boy else "เด็กหญิง",
                first_names[int(random() * len(first_names))],
                last_name,
                "M" if boy else "F",
                date.fromordinal(first_day + int(random() * days)),
                nationality,
                RELIGIONS[int(random() * len(RELIGIONS))],
                level,
                "1" if cdc else str(1 + int(random() * 3)),
                "นาง%s %s" % (GIRLS[int(random() * len(GIRLS))], last_name) if guardian < 0.9 else None,
                "0%s%08d" % ("689"[int(random() * 3)], random() * 10**8) if guardian < 0.7 else None,
                "active",
                stamp,
                stamp,
            )


def copy_rows(conn, table, columns, rows):
    """Write rows (tuples in ``columns`` order) in the connection's transaction: one COPY stream
    on PostgreSQL, batched executemany inserts elsewhere. Returns how many were written."""
    written = 0
    if conn.dialect.name == "postgresql":
        with conn.connection.cursor() as cursor:
            with cursor.copy("COPY %s (%s) FROM STDIN" % (table.name, ", ".join(columns))) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in batch])
        written += len(batch)
    return written
