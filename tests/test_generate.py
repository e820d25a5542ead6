"""`flask lec generate` (app/generate.py): a small country that is valid, reproducible and usable.

The module builds its own databases (the demo plus thousands of generated rows) rather than
touching the session's shared one."""

import hashlib
import re
from collections import Counter
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import func, select
from stdnum.th import pin

from app.audit import HistoryEntry
from app.demo import AGE_ON_16_MAY, DEMO_USERS, SCHOOL_LEVELS
from app.extensions import db
from app.generate import GENERATED
from app.models import AcademicYear, Lao, LecUser, Province, School, Student

from conftest import BACKENDS, PASSWORD, close, database_url, login, make_app

SIZES = {"provinces": 3, "laos": 20, "schools": 60, "students": 3000, "users": 50}
ARGS = ["lec", "generate", "--seed", "7"] + [arg for name, n in SIZES.items() for arg in ("--" + name, str(n))]
ROLE_OF_LEVEL = {"province": "จังหวัด", "lao": "อปท.", "school": "สถานศึกษา"}


@contextmanager
def generated(backend, tmp_dir):
    with database_url(backend, tmp_dir) as url:
        app = make_app(url)
        result = app.test_cli_runner().invoke(args=ARGS)
        assert result.exit_code == 0, result.output
        try:
            yield app
        finally:
            close(app)


@pytest.fixture(scope="module", params=BACKENDS)
def country(request, tmp_path_factory):
    with generated(request.param, tmp_path_factory.mktemp("generated")) as app:
        app.backend = request.param
        yield app


@pytest.fixture
def in_country(country):
    with country.app_context():
        yield
        db.session.rollback()


def generated_learners():
    return db.session.execute(
        select(Student, School.kind, School.code)
        .join(School)
        .where(School.code.startswith(GENERATED))
        .order_by(School.code, Student.id)
    ).all()


def test_sizes_and_kinds(in_country):
    laos = db.session.scalars(select(Lao).where(Lao.code.startswith(GENERATED))).all()
    schools = db.session.scalars(select(School).where(School.code.startswith(GENERATED))).all()
    assert (len(laos), len(schools), len(generated_learners())) == (20, 60, 3000)
    # the first three provinces by code: Bangkok (10) has no LAOs of the department
    assert {lao.province.code for lao in laos} == {"11", "12"}
    assert sorted(lao.province.code for lao in laos if lao.kind == "pao") == ["11", "12"]
    kinds = Counter(lao.kind for lao in laos)
    assert kinds["pao"] == 2 and [kind for kind, _n in kinds.most_common(2)] == ["sao", "subdistrict"]
    assert all(len(code) <= 10 for code in [lao.code for lao in laos] + [school.code for school in schools])
    assert 0.25 <= sum(school.kind == "cdc" for school in schools) / len(schools) <= 0.6
    assert all(re.search("[ก-๙]", org.name_th) for org in laos + schools)
    assert db.session.scalar(select(func.count(LecUser.id))) == len(DEMO_USERS) + 50


def test_accounts_sit_at_one_node_with_the_role_of_its_level(in_country):
    demo = [username for username, *_rest in DEMO_USERS]
    accounts = db.session.scalars(select(LecUser).where(LecUser.username.not_in(demo))).all()
    assert len(accounts) == 50
    assert {account.org_level for account in accounts} == {"province", "lao", "school"}
    for account in accounts:
        assert account.active and account.organisation is not None
        assert [role.name for role in account.roles] == [ROLE_OF_LEVEL[account.org_level]]
        assert account.username == {"province": "p", "lao": "l", "school": "s"}[account.org_level] + (
            account.organisation.code
        )


def test_identifiers_are_valid_and_unique_in_the_year(in_country):
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    rows = generated_learners()
    assert {learner.academic_year_id for learner, _kind, _code in rows} == {year.id}
    ids = [learner.id_number for learner, _kind, _code in rows]
    assert len(set(ids)) == len(ids)
    g_codes = [learner for learner, _kind, _code in rows if learner.id_kind == "g_code"]
    assert 5 <= len(g_codes) <= 80  # about 1 %
    for learner in g_codes:
        assert re.fullmatch(r"G%02d(11|12)\d{8}" % (year.year % 100), learner.id_number)
        assert learner.nationality != "ไทย"
    for learner, _kind, _code in rows:
        if learner.id_kind == "national_id":
            assert pin.is_valid(learner.id_number) and learner.nationality == "ไทย", learner.id_number


def test_class_levels_fit_the_school_and_the_age_on_16_may(in_country):
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current)).year - 543
    for learner, kind, _code in generated_learners():
        born = learner.birth_date
        age = year - born.year - ((born.month, born.day) > (5, 16))
        if kind == "cdc":
            assert learner.class_level == "cdc" and 2 <= age <= 4, (learner.class_level, born)
        else:
            assert learner.class_level in SCHOOL_LEVELS and age == AGE_ON_16_MAY[learner.class_level], born
        assert (learner.sex, learner.prefix) in {("M", "เด็กชาย"), ("F", "เด็กหญิง")}
        assert learner.status == "active" and learner.created_on and learner.changed_on
        assert learner.birth_date < date.today()


def test_bulk_rows_write_no_history(in_country):
    generated_ids = select(Student.id).join(School).where(School.code.startswith(GENERATED))
    history = select(func.count(HistoryEntry.id)).where(
        HistoryEntry.table_name == "student", HistoryEntry.row_id.in_(generated_ids)
    )
    assert db.session.scalar(history) == 0


def digest():
    """What the seed decides, independent of database ids."""
    rows = [
        (code, s.id_kind, s.id_number, s.prefix, s.first_name, s.last_name, s.sex, s.birth_date.isoformat(),
         s.class_level, s.guardian_phone or "")
        for s, _kind, code in generated_learners()
    ]  # fmt: skip
    rows += db.session.execute(
        select(School.code, School.name_th, School.kind, Lao.code, Lao.name_th, Lao.kind, Province.code)
        .join(Lao, School.lao_id == Lao.id)
        .join(Province)
        .where(School.code.startswith(GENERATED))
        .order_by(School.code)
    ).all()
    rows += db.session.execute(select(LecUser.username, LecUser.first_name).order_by(LecUser.username)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_same_seed_gives_the_same_country(country, tmp_path):
    with country.app_context():
        first = digest()
    with generated(country.backend, tmp_path) as again, again.app_context():
        assert digest() == first


def test_a_generated_school_account_signs_in_and_sees_only_its_learners(country):
    with country.app_context():
        account = db.session.scalar(
            select(LecUser).where(LecUser.org_level == "school").where(LecUser.username.startswith("s9")).limit(1)
        )
        username, school_id = account.username, account.school_id
        own = db.session.scalar(select(func.count(Student.id)).where(Student.school_id == school_id))
    assert own > 0
    client = login(country.test_client(), username, PASSWORD)
    listed = client.get("/api/v1/student/?q=(page_size:100)").json
    assert listed["count"] == own
    assert {row["school"]["id"] for row in listed["result"]} == {school_id}


def test_a_generated_lao_account_sees_its_schools_learners(country):
    with country.app_context():
        account = db.session.scalar(select(LecUser).where(LecUser.username.startswith("l9")).limit(1))
        username, lao_id = account.username, account.lao_id
        under = select(func.count(Student.id)).join(School).where(School.lao_id == lao_id)
        expected = db.session.scalar(under)
    listed = login(country.test_client(), username, PASSWORD).get("/api/v1/student/").json
    assert listed["count"] == expected


def test_a_second_run_is_refused(country):
    with country.app_context():
        before = db.session.scalar(select(func.count(Student.id)))
    result = country.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code != 0 and "already holds generated data" in result.output
    with country.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == before


def test_head_count_reports_equal_a_direct_count_on_generated_data_for_each_scope(country, in_country):
    """Issue 7: the reports agree with plain SQL on generated data too, for a school, its LAO, its
    province and the country, each read by an account of that level."""
    from app.context import acting_as
    from app.reports import head_count

    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    school = db.session.scalar(select(School).where(School.code.startswith(GENERATED)).order_by(School.code))
    schools_of = {
        "school": select(School.id).where(School.id == school.id),
        "lao": select(School.id).where(School.lao_id == school.lao_id),
        "province": select(School.id).join(Lao).where(Lao.province_id == school.lao.province_id),
        "country": select(School.id),
    }
    readers = {
        "school": school.id, "lao": school.lao_id, "province": school.lao.province_id, "country": 0,
    }  # fmt: skip
    central = country.appbuilder.sm.find_user(username="central")
    for level, org_id in readers.items():
        direct = dict(
            db.session.execute(
                select(Student.class_level, func.count())
                .where(Student.academic_year_id == year.id, Student.status == "active",
                       Student.school_id.in_(schools_of[level]))
                .group_by(Student.class_level)
            ).all()
        )  # fmt: skip
        with acting_as(central.id):
            report = head_count(level, org_id, year)
        reported = {code: line.total for code, _label, line in report.rows if line.total}
        assert reported == direct, level
        assert report.total.total == sum(direct.values()) > 0
