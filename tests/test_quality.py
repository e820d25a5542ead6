"""Data rules (app/quality.py) as a Thai officer expects them: identifiers and birth dates checked
when a row is saved, and the data-quality checks that run over a whole scope before confirming."""

import re
from datetime import date, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, literal, select, update
from stdnum.th import pin

from app.context import acting_as
from app.errors import Invalid, Refused
from app.extensions import db
from app.generate import GENERATED
from app.models import AcademicYear, Lao, Province, QualityExplanation, QualityFinding, School, Student
from app.quality import (
    CHECK,
    CHECKED_COLUMNS,
    CHECKS,
    ERROR,
    SHARED_PHONE_LIMIT,
    WARNING,
    YEAR_DATES,
    check_birth_date,
    clean_g_code,
    clean_identifier,
    clean_national_id,
    explain_warnings,
    explanations_of,
    findings,
    findings_of,
    findings_per_school,
    refresh_findings,
    report,
    stored_findings,
)
from app.thai import format_be_date
from app.workflow import confirm_school

from conftest import (
    BACKENDS,
    SCHOOL_OF,
    api_headers,
    close,
    database_url,
    learner_form,
    make_app,
    new_national_id,
    sql_run_on,
    visible_text,
)

VALID = "1101700230708"


def test_valid_national_id_is_kept_as_13_digits_even_when_typed_with_dashes(ctx):
    assert pin.is_valid(VALID)
    assert clean_national_id("1-1017-00230-70-8") == VALID
    assert clean_national_id(" 1 1017 00230 70 8 ") == VALID


@pytest.mark.parametrize(
    "value, message",
    [
        ("110170023070", "13 หลัก"),
        ("11017002307055", "13 หลัก"),
        ("11017OO230708", "ตัวเลขเท่านั้น"),
        ("1101700230705", "หลักตรวจสอบ"),
        ("9101700230708", "ขึ้นต้นด้วย 9"),
    ],
)
def test_bad_national_id_is_refused_with_a_thai_reason(ctx, value, message):
    with pytest.raises(Invalid) as refused:
        clean_national_id(value)
    assert message in refused.value.errors["id_number"]


def test_number_starting_with_zero_passes_when_its_check_digit_is_right(ctx):
    body = "012345678901"
    good = body + pin.calc_check_digit(body)
    assert clean_national_id(good) == good
    bad = body + str((int(pin.calc_check_digit(body)) + 1) % 10)
    with pytest.raises(Invalid):
        clean_national_id(bad)


def test_g_code_is_g_and_twelve_digits(ctx):
    assert clean_g_code("g6442-00000001") == "G644200000001"
    for bad in ["G64420000001", "X644200000001", "G64420000000A", ""]:
        with pytest.raises(Invalid) as refused:
            clean_g_code(bad)
        assert "G644200000001" in refused.value.errors["id_number"]


def test_identifier_kind_decides_which_rule_applies(ctx):
    assert clean_identifier("g_code", "G644200000001") == "G644200000001"
    with pytest.raises(Invalid):
        clean_identifier("national_id", "G644200000001")
    with pytest.raises(Invalid):
        clean_identifier("g_code", VALID)


def test_birth_date_in_the_future_is_refused(ctx):
    assert check_birth_date(date.today()) == date.today()
    with pytest.raises(Invalid) as refused:
        check_birth_date(date.today() + timedelta(days=1))
    assert "อนาคต" in refused.value.errors["birth_date"]


# -- the data-quality checks over the data (SQL) --------------------------------------------------
#
# Each check gets a learner that triggers it and one that does not, in a scratch school that
# exists only inside the test's transaction. Rows are written with plain INSERTs, as rows carried
# over from an earlier system would be: the forms would refuse most of them.

SCRATCH = "1050139999"


def this_year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def scratch_school(kind="school", code=SCRATCH):
    school = School(code=code, kind=kind, name_th="โรงเรียนทดสอบคุณภาพ %s" % code, lao=org(Lao, "3500101"))
    db.session.add(school)
    db.session.flush()
    return school


_serial = iter(range(10**6))


def insert_learner(school, year=None, age=6, level="p1", **fields):
    """A learner row as it would arrive from an earlier system; returns its id."""
    year = year or this_year()
    may16 = date(year.year - 543, 5, 16)
    row = dict(
        academic_year_id=year.id, school_id=school.id, id_kind="national_id",
        id_number=new_national_id(900000 + next(_serial)), prefix="เด็กหญิง", first_name="ชื่นกมล",
        last_name="ศรีสุข", sex="F", birth_date=may16 - timedelta(days=365 * age + 30), nationality="ไทย",
        class_level=level, status="active", created_on=datetime.now(), changed_on=datetime.now(),
    )  # fmt: skip
    row.update(fields)
    return db.session.execute(insert(Student).values(**row)).inserted_primary_key[0]


def found(rule, school, year=None):
    """Ids of the learners (or schools, for school-wide checks) the check finds in the school."""
    rows = findings_of(year or this_year(), select(literal(school.id)), codes={rule})
    return {row.student_id or ("school", row.school_id) for row in rows}


def with_check_digit(body):
    return body + pin.calc_check_digit(body)


LEARNER_CHECKS = [
    # rule, what triggers it, what does not
    ("national_id", {"id_number": VALID[:-1] + "9"}, {"id_number": VALID}),
    ("national_id", {"id_number": "110170023070"}, {}),
    ("national_id", {"id_number": with_check_digit("910170023070")}, {}),
    ("g_code", {"id_kind": "g_code", "id_number": "G6442000001"}, {"id_kind": "g_code", "id_number": "G644200000001"}),
    ("id_nationality", {"id_number": with_check_digit("610170023070")},
     {"id_number": with_check_digit("110170023071")}),
    ("id_nationality", {"nationality": "เมียนมา", "id_number": with_check_digit("110170023072")},
     {"nationality": "เมียนมา", "id_number": with_check_digit("010170023072")}),
    ("missing", {"first_name": "  "}, {}),
    ("missing", {"nationality": ""}, {}),
    ("future_birth", {"birth_date": date.today() + timedelta(days=1)}, {}),
    ("age_for_level", {"age": 10}, {"age": 7}),
    ("age_for_level", {"level": "k1", "age": 1}, {"level": "k1", "age": 3}),
    ("name_characters", {"first_name": "John"}, {"first_name": "จอห์น"}),
    ("name_characters", {"last_name": "ศรีสุข2"}, {}),
]  # fmt: skip


@pytest.mark.parametrize("rule, bad, good", LEARNER_CHECKS)
def test_each_check_finds_the_learner_that_triggers_it_and_not_the_one_that_does_not(ctx, rule, bad, good):
    school = scratch_school()
    flagged, clean = insert_learner(school, **bad), insert_learner(school, **good)
    assert found(rule, school) == {flagged}
    assert clean not in found(rule, school)
    assert CHECK[rule].severity == (ERROR if rule in ERRORS else WARNING)


ERRORS = {"national_id", "g_code", "id_nationality", "missing", "future_birth", "twice_in_school", "two_schools"}


def test_the_sql_check_digit_agrees_with_python_stdnum(ctx):
    school = scratch_school()
    numbers = [("%013d" % (n * 7919393 % 10**13)) for n in range(1, 200)] + [new_national_id(n) for n in range(50)]
    ids = {insert_learner(school, id_number=number): number for number in numbers}
    flagged = {ids[i] for i in found("national_id", school)}

    def accepted(number):
        try:
            clean_national_id(number)
            return True
        except Invalid:
            return False

    assert flagged == {number for number in numbers if not accepted(number)}
    assert 0 < len(flagged) < len(numbers)


def test_the_same_identifier_twice_in_one_school_is_an_error(ctx):
    school = scratch_school()
    first = insert_learner(school)
    number = db.session.get(Student, first).id_number
    second, other = insert_learner(school, id_number=number), insert_learner(school)
    assert found("twice_in_school", school) == {first, second}
    assert other not in found("twice_in_school", school)


def test_the_same_learner_in_two_schools_of_two_provinces_shows_each_school_the_other(ctx):
    here, there = scratch_school(), org(School, "1040140001")  # เทศบาลเมืองบ้านไผ่, ขอนแก่น
    mine = insert_learner(here)
    number = db.session.get(Student, mine).id_number
    theirs = insert_learner(there, id_number=number)
    alone = insert_learner(here)
    rows = findings_of(this_year(), select(literal(here.id)), codes={"two_schools"})
    assert [(row.student_id, row.other_school.code, row.other_lao.name_th) for row in rows] == [
        (mine, "1040140001", "เทศบาลเมืองบ้านไผ่")
    ]
    assert found("two_schools", there) == {theirs}
    assert alone not in found("two_schools", here)
    db.session.execute(
        update(Student).where(Student.id == theirs).values(status="removed", removal_reason="moved",
                                                         removed_on=date.today())
    )  # fmt: skip
    assert found("two_schools", here) == set() == found("two_schools", there)


def test_removed_learners_are_not_checked(ctx):
    school = scratch_school()
    insert_learner(school, first_name="John", status="removed", removal_reason="not_exist", removed_on=date.today())
    assert found("name_characters", school) == set()


def test_a_child_in_a_centre_outside_two_to_five_years_is_a_warning(ctx):
    centre = scratch_school(kind="cdc", code="2050139999")
    old, young = insert_learner(centre, level="cdc", age=6), insert_learner(centre, level="cdc", age=1)
    fine = insert_learner(centre, level="cdc", age=3)
    assert found("centre_age", centre) == {old, young}
    assert fine not in found("centre_age", centre)


def test_many_learners_with_one_guardian_phone_is_a_warning(ctx):
    school = scratch_school()
    shared = {insert_learner(school, guardian_phone="0812345678") for _ in range(SHARED_PHONE_LIMIT)}
    siblings = {insert_learner(school, guardian_phone="0899999999") for _ in range(SHARED_PHONE_LIMIT - 1)}
    assert found("shared_phone", school) == shared
    assert not siblings & found("shared_phone", school)


@pytest.mark.parametrize("last_year, this_year_count, flagged", [(10, 5, True), (10, 13, True), (10, 11, False)])
def test_a_head_count_that_moved_more_than_20_percent_from_last_year_is_a_warning(
    ctx, last_year, this_year_count, flagged
):
    school, current = scratch_school(), this_year()
    before = AcademicYear(
        year=current.year - 1, entry_opens=current.entry_opens - timedelta(days=365),
        school_deadline=current.school_deadline - timedelta(days=365), lao_deadline=current.lao_deadline,
        province_deadline=current.province_deadline, is_current=False,
    )  # fmt: skip
    db.session.add(before)
    db.session.flush()
    for _ in range(last_year):
        insert_learner(school, year=before)
    for _ in range(this_year_count):
        insert_learner(school)
    assert found("headcount", school) == ({("school", school.id)} if flagged else set())


# -- errors block the school's confirmation; warnings need an explanation --------------------------


def confirm_as_school(app):
    with acting_as(app.appbuilder.sm.find_user(username="school").id):
        return confirm_school(org(School, SCHOOL_OF["school"]), this_year())


def test_a_school_with_errors_cannot_confirm_and_is_told_which(app, ctx):
    insert_learner(org(School, SCHOOL_OF["school"]), id_number=VALID[:-1] + "9")
    with pytest.raises(Refused) as refused:
        confirm_as_school(app)
    assert refused.value.reasons == ["เลขประจำตัวประชาชนผิดหลักตรวจสอบหรือจำนวนหลัก (1)"]


def test_a_school_confirms_with_warnings_once_each_is_explained(app, ctx):
    school = org(School, SCHOOL_OF["school"])
    old = insert_learner(school, age=10)
    with pytest.raises(Refused) as refused:
        confirm_as_school(app)
    assert "คำเตือนที่ยังไม่ได้ชี้แจง" in refused.value.reasons[0]
    with acting_as(app.appbuilder.sm.find_user(username="school").id):
        explain_warnings(school, this_year(), {("age_for_level", "student:%d" % old): "ซ้ำชั้นสองปี"})
    assert confirm_as_school(app).to_state == "confirmed"


def test_errors_cannot_be_explained_away(app, ctx):
    school = org(School, SCHOOL_OF["school"])
    with pytest.raises(Invalid):
        explain_warnings(school, this_year(), {("national_id", "student:1"): "ขอยกเว้น"})


# -- the report ---------------------------------------------------------------------------------


def test_the_report_counts_per_check_and_per_organisation_in_the_users_scope(app, as_user):
    with app.app_context():
        province, doi_ngoen = org(Province, "50"), org(School, "1050130002")
        lao, khon_kaen = org(Lao, "3500101"), org(Province, "40")
        urls = {
            "province": "/quality/province/%d" % province.id,
            "lao": "/quality/lao/%d" % lao.id,
            "school": "/quality/school/%d" % doi_ngoen.id,
            "khon_kaen": "/quality/province/%d" % khon_kaen.id,
            "drill": "/quality/lao/%d/two_schools" % lao.id,
        }
    page = visible_text(as_user("province").get(urls["province"]).get_data(as_text=True))
    assert "เทศบาลนครเชียงใหม่ (3500101) 2 0" in page  # ดอยเงิน: a bad ID and a learner in two schools
    assert "องค์การบริหารส่วนจังหวัดเชียงใหม่ (6500101) 0 1" in page  # too old for ป.1
    assert as_user("province").get(urls["khon_kaen"]).status_code == 404
    assert as_user("lao").get(urls["lao"]).status_code == 200
    drill = visible_text(as_user("lao").get(urls["drill"]).get_data(as_text=True))
    assert "โรงเรียนเทศบาลสวนสนุก (เทศบาลนครขอนแก่น)" in drill
    assert "/studentview/edit/" in as_user("lao").get(urls["drill"]).get_data(as_text=True)
    assert as_user("school").get(urls["school"]).status_code == 404  # another school of the same LAO
    assert as_user("school").get("/quality/").status_code == 302
    assert as_user("lao").get("/quality/country/0").status_code == 404


def test_saving_a_learner_shows_the_problems_at_once(app, as_user):
    client = as_user("school")
    may16 = date(this_year_be(app) - 543, 5, 16)
    form = learner_form(app, birth_date=format_be_date(may16 - timedelta(days=365 * 10 + 30)), first_name="ทดสอบเตือน")
    response = client.post("/studentview/add", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "อายุ ณ วันที่ 16 พฤษภาคม" in visible_text(response.get_data(as_text=True))
    with app.app_context():
        db.session.connection().execute(delete(Student).where(Student.first_name == "ทดสอบเตือน"))  # test cleanup
        db.session.commit()


def this_year_be(app):
    with app.app_context():
        return this_year().year


def test_the_school_explains_its_warnings_on_the_report(app, as_user):
    with app.app_context():
        school_id = org(School, SCHOOL_OF["school"]).id
        old = insert_learner(org(School, SCHOOL_OF["school"]), age=10)
        db.session.commit()
    try:
        client = as_user("school")
        page = client.get("/quality/school/%d" % school_id).get_data(as_text=True)
        assert 'name="explain|age_for_level|student:%d"' % old in page
        client.post("/quality/explain/%d" % school_id, data={"explain|age_for_level|student:%d" % old: "ซ้ำชั้น"})
        with app.app_context():
            explained = explanations_of(db.session.get(School, school_id), this_year())
            assert explained[("age_for_level", "student:%d" % old)].text == "ซ้ำชั้น"
        as_user("lao").post("/quality/explain/%d" % school_id, data={"explain|age_for_level|student:%d" % old: "อื่น"})
        with app.app_context():  # a redirect either way: the database tells whether the LAO wrote
            explained = explanations_of(db.session.get(School, school_id), this_year())
            assert explained[("age_for_level", "student:%d" % old)].text == "ซ้ำชั้น"
    finally:
        with app.app_context():
            db.session.execute(delete(QualityExplanation))
            db.session.connection().execute(delete(Student).where(Student.id == old))  # test cleanup
            db.session.commit()


def year_form(academic_year, **changes):
    """The academic-year form as central submits it, in Buddhist-era dates."""
    fields = {name: format_be_date(getattr(academic_year, name)) for name in YEAR_DATES}
    return {"year": str(academic_year.year), "is_current": "y" if academic_year.is_current else "", **fields,
            **changes}  # fmt: skip


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("school_deadline", -1, "ต้องไม่ก่อนวันเปิดให้บันทึกข้อมูล"),
        ("lao_deadline", -1, "ต้องไม่ก่อนวันกำหนดยืนยันของสถานศึกษา"),
        ("province_deadline", -1, "ต้องไม่ก่อนวันกำหนดยืนยันของ อปท."),
    ],
)
def test_a_year_s_dates_follow_the_order_of_the_work_on_the_screen_and_in_the_api(
    app, ctx, as_user, field, value, message
):
    year = this_year()
    earlier = YEAR_DATES[YEAR_DATES.index(field) - 1]
    too_early = getattr(year, earlier) + timedelta(days=value)
    kept = getattr(year, field)
    page = as_user("central").post(
        "/academicyearview/edit/%d" % year.id, data=year_form(year, **{field: format_be_date(too_early)}),
        follow_redirects=True,
    )  # fmt: skip
    assert message in visible_text(page.get_data(as_text=True))
    client = app.test_client()
    response = client.put("/api/v1/academic_year/%d" % year.id, json={field: too_early.isoformat()},
                          headers=api_headers(client, "central"))  # fmt: skip
    assert response.status_code == 400 and message in str(response.json)
    db.session.expire_all()
    assert getattr(this_year(), field) == kept



# -- the stored findings agree with the checks ------------------------------------------------------
#
# The report counts the findings kept at each write (quality_finding); the checks run live remain
# their definition. A small generated country (the bulk path: rows written around the flush, then
# refreshed) gets a problem of every rule, written through the ORM where the forms would accept it
# and in bulk where they would not; after each step both ways must agree row for row.

SMALL = {"provinces": 3, "laos": 10, "schools": 30, "students": 1500, "users": 0}


@pytest.fixture(scope="module", params=BACKENDS)
def country(request, tmp_path_factory):
    with database_url(request.param, tmp_path_factory.mktemp("country")) as url:
        app = make_app(url)
        arguments = ["lec", "generate", "--seed", "3"] + [a for k, n in SMALL.items() for a in ("--" + k, str(n))]
        result = app.test_cli_runner().invoke(args=arguments)
        assert result.exit_code == 0, result.output
        try:
            yield app
        finally:
            close(app)


@pytest.fixture
def in_country(country):
    with country.app_context():
        yield
        db.session.rollback()


def rows_of(found):
    return sorted(db.session.execute(select(found.c.rule, found.c.student_id, found.c.school_id,
                                            found.c.other_school_id)).all(), key=repr)  # fmt: skip


def assert_stored_agrees(year=None):
    """The stored findings are the live ones: row for row, per rule and school, and in the report."""
    year = year or this_year()
    assert rows_of(stored_findings(year)) == rows_of(findings(year))
    assert findings_per_school(year) == findings_per_school(year, live=True)
    assert report(None, 0, year) == report(None, 0, year, live=True)
    assert listed(year, live=False) == listed(year)  # the drill-down lists behind the counts
    return {rule for rule, _school in findings_per_school(year)}


def listed(year, live=True):
    return sorted((row.rule, row.student_id, row.school_id, row.other_school and row.other_school.id)
                  for row in findings_of(year, live=live))  # fmt: skip


def test_a_write_to_a_column_no_check_reads_leaves_the_findings_alone(ctx):
    """CHECKED_COLUMNS is every learner column the checks' SQL reads (a room is not one)."""
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    read = set()
    for check in CHECKS:
        sql = str(check.query(year, None).compile(compile_kwargs={"literal_binds": True}))
        read |= set(re.findall(r"\bstudent(?:_1)?\.(\w+)", sql))
    assert read - {"id"} == CHECKED_COLUMNS
    learner = db.session.scalar(select(Student).where(Student.status == "active").limit(1))
    try:
        with sql_run_on(db.engine) as statements:
            learner.room = (learner.room or "") + "1"
            db.session.flush()
    finally:
        db.session.rollback()
    assert [s for s in statements if "UPDATE student" in s] and not [s for s in statements if "quality_finding" in s]


def generated_schools(kind="school", count=2):
    return db.session.scalars(
        select(School).where(School.code.startswith(GENERATED), School.kind == kind,
                             School.id.in_(select(Student.school_id))).order_by(School.code).limit(count)
    ).all()  # fmt: skip


def learners_of(school, count):
    return db.session.scalars(
        select(Student).where(Student.school_id == school.id, Student.academic_year_id == this_year().id,
                              Student.status == "active").order_by(Student.id).limit(count)
    ).all()  # fmt: skip


def remove(learner):
    learner.status, learner.removal_reason, learner.removed_on = "removed", "moved", date.today()


def test_a_generated_country_s_stored_findings_are_the_live_ones(in_country):
    assert db.session.scalar(select(func.count(QualityFinding.id))) > 0  # the ages of generated learners
    assert_stored_agrees()


def test_problems_of_every_rule_written_through_the_forms_rules_or_in_bulk_are_stored_as_found(in_country):
    year = this_year()
    here, there = generated_schools()
    (centre,) = generated_schools("cdc", 1)
    a, b, c, d, e, f, g, h, i = learners_of(here, 9)
    twin, phones = learners_of(there, 1)[0], learners_of(there, 20)[1:]
    # through the ORM: what the forms accept, the flush stores
    a.first_name = "Somchai"
    b.id_number = c.id_number  # twice in one school
    d.id_number = twin.id_number  # active in two schools
    e.birth_date -= timedelta(days=5 * 365)
    f.nationality, f.id_number = "ไทย", with_check_digit("610170023070")
    learners_of(centre, 1)[0].birth_date = date(year.year - 543 - 9, 1, 1)
    for learner in phones[:SHARED_PHONE_LIMIT]:
        learner.guardian_phone = "0812345678"
    db.session.flush()
    assert {"name_characters", "twice_in_school", "two_schools", "age_for_level", "id_nationality", "centre_age",
            "shared_phone"} <= assert_stored_agrees()  # fmt: skip
    # in bulk: rows the forms refuse, carried over from an earlier system, then refreshed
    for learner, values in ((g, {"id_number": VALID[:-1] + "9"}), (h, {"first_name": " "}),
                            (a, {"birth_date": date.today() + timedelta(days=3)}),
                            (i, {"id_kind": "g_code", "id_number": "G12"})):  # fmt: skip
        db.session.execute(update(Student).where(Student.id == learner.id).values(**values))
    last_year = AcademicYear(year=year.year - 1, entry_opens=year.entry_opens - timedelta(days=365),
                             school_deadline=year.school_deadline - timedelta(days=365),
                             lao_deadline=year.lao_deadline, province_deadline=year.province_deadline)  # fmt: skip
    db.session.add(last_year)
    db.session.flush()
    copied = [column.name for column in Student.__table__.c if column.name not in ("id", "academic_year_id")]
    db.session.execute(insert(Student).from_select(
        ["academic_year_id", *copied],
        select(literal(last_year.id), *[Student.__table__.c[name] for name in copied]).where(
            Student.school_id == here.id, Student.academic_year_id == year.id),
    ))  # fmt: skip
    db.session.expire_all()
    refresh_findings(year)
    refresh_findings(last_year)
    assert {"national_id", "g_code", "missing", "future_birth"} <= assert_stored_agrees()
    # the head-count: last year's learners of the school, fewer by more than a fifth this year
    present = learners_of(here, 1000)
    for learner in present[9:][-(len(present) // 4 + 1) :]:  # not the problems planted above
        remove(learner)
    db.session.flush()
    assert assert_stored_agrees() == set(CHECK)
    assert_stored_agrees(last_year)


def test_correcting_a_problem_takes_its_finding_away_and_its_twin_s(in_country):
    here, there = generated_schools()
    a, b, c, d, e = learners_of(here, 5)
    twin = learners_of(there, 1)[0]
    shared = learners_of(there, 20)[1 : SHARED_PHONE_LIMIT + 1]
    a.id_number = b.id_number  # twice in this school
    c.id_number = twin.id_number  # in two schools
    d.first_name = "Anna"
    for learner in shared:
        learner.guardian_phone = "0899999999"
    db.session.flush()

    def found_now(rule):
        return {row.student_id for row in db.session.execute(select(stored_findings(this_year(), codes={rule})))}

    assert found_now("twice_in_school") >= {a.id, b.id} and found_now("two_schools") >= {c.id, twin.id}
    assert {learner.id for learner in shared} <= found_now("shared_phone") and d.id in found_now("name_characters")
    a.id_number = new_national_id(424242)  # corrected: b is no longer a duplicate either
    d.first_name = "อันนา"
    shared[0].guardian_phone = "0811111111"  # four left: under the limit, for all of them
    db.session.flush()
    assert not {a.id, b.id} & found_now("twice_in_school") and d.id not in found_now("name_characters")
    assert not {learner.id for learner in shared} & found_now("shared_phone")
    assert_stored_agrees()
    twin.school_id = here.id  # moved to c's school: no longer in two schools, twice in this one
    db.session.flush()
    assert not {c.id, twin.id} & found_now("two_schools") and {c.id, twin.id} <= found_now("twice_in_school")
    assert_stored_agrees()
    remove(twin)  # removed from the count: c is alone again
    db.session.flush()
    assert not {c.id, twin.id} & found_now("twice_in_school")
    assert_stored_agrees()
    e.id_number = b.id_number
    db.session.flush()
    assert {b.id, e.id} <= found_now("twice_in_school")
    db.session.connection().execute(delete(Student).where(Student.id == e.id))  # around the application
    assert e.id not in found_now("twice_in_school")  # its own finding goes with the row
    refresh_findings(this_year(), select(literal(here.id)))  # what bulk writers do afterwards
    assert b.id not in found_now("twice_in_school")
    assert_stored_agrees()


def test_a_school_that_becomes_a_centre_has_its_learners_ages_checked_as_a_centre_s(in_country):
    school = generated_schools(count=1)[0]
    school.kind = "cdc"  # no learner is written, yet the centre's age rule now applies to them all
    db.session.flush()
    found = {row.student_id for row in db.session.execute(select(stored_findings(this_year(), codes={"centre_age"})))}
    assert found and found <= {learner.id for learner in learners_of(school, 1000)}  # its primary pupils
    assert_stored_agrees()


def test_upgrading_to_the_kept_findings_fills_them_from_the_checks(in_country):
    before = rows_of(stored_findings(this_year()))
    assert before  # the generated learners' ages
    db.session.commit()
    downgrade(revision="0015_transfers")
    upgrade()
    assert rows_of(stored_findings(this_year())) == before == rows_of(findings(this_year()))


def test_the_stored_findings_are_recomputed_by_the_command(in_country, country):
    year = this_year()
    db.session.execute(delete(QualityFinding))
    db.session.commit()
    try:
        assert findings_per_school(year) == {}
        result = country.test_cli_runner().invoke(args=["lec", "quality-refresh", "--year", str(year.year)])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        stored = db.session.scalar(select(func.count(QualityFinding.id)))
        assert stored > 0 and "%d: %d findings" % (year.year, stored) in result.output
        assert_stored_agrees()
    finally:
        refresh_findings(year)
        db.session.commit()
