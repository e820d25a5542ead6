"""Head-counts, the budget estimate and the downloads (app/reports.py, app/exports.py): every figure
equals a direct count of the database, within the reader's scope, and every download opens in Thai."""

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, insert, select, text

from app import choices
from app.context import acting_as
from app.errors import OutOfScope
from app.extensions import db
from app.levels import ORGANISATIONS, SCHOOL, key_of, org_key
from app.models import AcademicYear, BudgetRate, Confirmation, Lao, OtherSchool, School, Student
from app.reports import CONFIRMED, ENTERED, budget, head_count
from app.workflow import confirm_school, confirmation_of

from conftest import SCHOOL_OF, login, new_national_id, visible_text

ARTIFACTS = Path(__file__).parent / "artifacts"
BOM = "\ufeff".encode()


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def this_year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


SCHOOLS_OF = {
    "school": "SELECT id FROM school WHERE id = :id",
    "lao": "SELECT id FROM school WHERE lao_id = :id",
    "province": "SELECT s.id FROM school s JOIN lao l ON l.id = s.lao_id WHERE l.province_id = :id",
    "country": "SELECT id FROM school",
}


def direct_count(level, org_id, year_id, confirmed=False):
    """{(class level, sex): learners}, counted with plain SQL, independently of app/reports.py."""
    sql = (
        "SELECT class_level, sex, count(*) FROM student WHERE academic_year_id = :year AND status = 'active'"
        " AND school_id IN (%s)" % SCHOOLS_OF[level]
    )
    if confirmed:
        sql += (" AND school_id IN (SELECT school_id FROM confirmation WHERE academic_year_id = :year"
                " AND org_level = 'school' AND state = 'confirmed')")  # fmt: skip
    rows = db.session.execute(text(sql + " GROUP BY class_level, sex"), {"year": year_id, "id": org_id})
    return {(level_, sex): n for level_, sex, n in rows}


def reported(report):
    counted = {}
    for code, _label, line in report.rows:
        counted.update({(code, "M"): line.male, (code, "F"): line.female})
    return {key: n for key, n in counted.items() if n}


def scopes():
    """(level, id, the account that reads it) for each level of the demo."""
    school = org(School, SCHOOL_OF["school"])
    return [
        ("school", school.id, "school"),
        ("lao", school.lao_id, "lao"),
        ("province", school.lao.province_id, "province"),
        ("country", 0, "central"),
    ]


@pytest.mark.parametrize("position", range(4))
def test_entered_counts_by_level_and_sex_equal_a_direct_count_for_each_scope(app, ctx, position):
    level, org_id, username = scopes()[position]
    with account(app, username):
        report = head_count(level, org_id, this_year(), ENTERED)
    expected = direct_count(level, org_id, this_year().id)
    assert expected and reported(report) == expected
    assert report.total.total == sum(expected.values())
    assert sum(line.total for _part, line in report.parts) == report.total.total or level == "school"


def test_confirmed_counts_hold_only_schools_that_confirmed(app, fresh, ctx):
    school = org(School, SCHOOL_OF["school"])
    year = this_year()
    with account(app, "lao"):
        assert head_count("lao", school.lao_id, year, CONFIRMED).total.total == 0
    with account(app, "school"):
        confirm_school(school, year)
        db.session.commit()
    with account(app, "lao"):
        confirmed = head_count("lao", school.lao_id, year, CONFIRMED)
        entered = head_count("lao", school.lao_id, year, ENTERED)
    assert reported(confirmed) == direct_count("school", school.id, year.id) == direct_count(
        "lao", school.lao_id, year.id, confirmed=True
    )
    assert entered.total.total > confirmed.total.total
    parts = {part.id: line.total for part, line in confirmed.parts}
    assert parts[school.id] == confirmed.total.total and sum(parts.values()) == confirmed.total.total


def test_removed_learners_are_never_counted(app, ctx):
    school = org(School, SCHOOL_OF["school"])
    with account(app, "school"):
        before = head_count("school", school.id, this_year()).total.total
    db.session.execute(
        text("UPDATE student SET status = 'removed', removal_reason = 'moved', removed_on = :today"
             " WHERE id IN (SELECT id FROM student WHERE school_id = :school ORDER BY id LIMIT 3)"),
        {"today": date.today(), "school": school.id},
    )  # fmt: skip
    with account(app, "school"):
        after = head_count("school", school.id, this_year())
    assert after.total.total == before - 3
    assert reported(after) == direct_count("school", school.id, this_year().id)


def add_learners(school_id, year_id, level, sex, number, **fields):
    for _ in range(number):
        row = dict(
            academic_year_id=year_id, school_id=school_id, id_kind="national_id",
            id_number=new_national_id(700000 + add_learners.serial), first_name="ชื่นกมล", last_name="ศรีสุข",
            sex=sex, birth_date=date(2018, 1, 1), nationality="ไทย", class_level=level, status="active",
            created_on=datetime.now(), changed_on=datetime.now(),
        )  # fmt: skip
        row.update(fields)
        add_learners.serial += 1
        db.session.execute(insert(Student).values(**row))


add_learners.serial = 0


def test_last_year_is_compared_level_by_level(app, ctx):
    year = this_year()
    school = org(School, SCHOOL_OF["school"])
    last_id = db.session.execute(
        insert(AcademicYear).values(
            year=year.year - 1, entry_opens=date(2020, 5, 1), school_deadline=date(2020, 6, 1),
            lao_deadline=date(2020, 6, 1), province_deadline=date(2020, 6, 2), is_current=False,
            created_on=datetime.now(), changed_on=datetime.now(),
        )  # fmt: skip
    ).inserted_primary_key[0]
    add_learners(school.id, last_id, "k1", "M", 4)
    add_learners(school.id, last_id, "k1", "F", 1)
    add_learners(school.id, last_id, "m1", "F", 2)
    add_learners(school.id, last_id, "p1", "F", 9, status="removed", removal_reason="moved", removed_on=date.today())
    with account(app, "school"):
        report = head_count("school", school.id, year)
    lines = {code: line for code, _label, line in report.rows}
    now_k1 = sum(n for (level, _sex), n in direct_count("school", school.id, year.id).items() if level == "k1")
    assert report.last_year.year == year.year - 1
    assert lines["k1"].last_year == 5 and lines["k1"].change == now_k1 - 5
    assert lines["m1"].total == 0 and lines["m1"].last_year == 2 and lines["m1"].change == -2
    assert lines["p1"].last_year == 0  # removed learners of last year are not counted either
    assert report.total.last_year == 7


def test_without_last_year_there_is_nothing_to_compare(app, ctx):
    school = org(School, SCHOOL_OF["school"])
    with account(app, "school"):
        report = head_count("school", school.id, this_year())
    assert report.last_year is None and report.total.last_year is None and report.total.change is None


@pytest.mark.parametrize(
    "username, level, code",
    [
        ("school", "lao", "3500101"),  # its own LAO: a name it may read, not counts it may see
        ("school", "school", "1050130002"),
        ("lao", "province", "50"),
        ("province", "province", "40"),
        ("province", "country", None),
        ("cdc", "school", SCHOOL_OF["school"]),
    ],
)
def test_an_organisation_outside_the_scope_answers_404(app, username, level, code):
    with app.app_context():
        model = ORGANISATIONS.get(level)
        org_id = org(model, code).id if model else 0
        with account(app, username), pytest.raises(OutOfScope):
            head_count(level, org_id, this_year())
    client = login(app.test_client(), username)
    for path in ("/reports/%s/%d", "/reports/%s/%d/csv", "/reports/%s/%d/pdf", "/reports/budget/%s/%d"):
        assert client.get(path % (level, org_id)).status_code == 404, path


def test_each_user_lands_on_their_own_report_with_links_one_level_down(app):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
    for username, landing in [("central", "/reports/country/0"), ("province", "/reports/province/%d"),
                              ("lao", "/reports/lao/%d" % school.lao_id), ("school", "/reports/school/%d" % school.id)]:
        client = login(app.test_client(), username)
        response = client.get("/reports/", follow_redirects=True)
        assert response.status_code == 200
        assert response.request.path.startswith(landing.split("%")[0])
        page = response.get_data(as_text=True)
        assert 'id="headcount-levels"' in page
        if username == "lao":
            assert "/reports/school/%d?basis=entered" % school.id in page
            assert school.name_th in visible_text(page)


# -- budget ---------------------------------------------------------------------------------------


@pytest.fixture
def known_school(app, fresh, ctx):
    """A confirmed school with known counts: 3 in อนุบาล 1, 2 in ป.1 (and one removed), 1 in ม.4."""
    year = this_year()
    school = School(code="9990000001", kind="school", name_th="โรงเรียนทดสอบงบประมาณ", lao=org(Lao, "3500101"))
    db.session.add(school)
    db.session.flush()
    add_learners(school.id, year.id, "k1", "F", 3)
    add_learners(school.id, year.id, "p1", "M", 2)
    add_learners(school.id, year.id, "p2", "M", 1, status="removed", removal_reason="moved", removed_on=date.today())
    add_learners(school.id, year.id, "m4", "F", 1)
    db.session.execute(insert(Confirmation).values(
        academic_year_id=year.id, org_key=org_key(SCHOOL, school.id), org_level="school", school_id=school.id,
        state="confirmed",
    ))  # fmt: skip
    yield school
    db.session.rollback()


def test_budget_multiplies_confirmed_counts_by_the_rates_to_the_baht(app, known_school):
    """The school confirmed, its province has not: every baht is provisional, none final."""
    year = this_year()
    db.session.add(BudgetRate(academic_year_id=year.id, item="ทดสอบเศษสตางค์", level_group="primary",
                              per_head=Decimal("333.33")))  # fmt: skip
    report = budget("school", known_school.id, year)
    amounts = {(item.rate.item, item.rate.level_group): (item.provisional.learners, item.provisional.baht)
               for item in report.items}  # fmt: skip
    assert all(item.final.learners == item.final.baht == 0 for item in report.items) and report.total == 0
    # the example rates: lunch 20 × 200 days, teaching 1,700 / 1,900, uniforms 300 / 360 / 450 / 500
    assert amounts[("ค่าอาหารกลางวัน (ตัวอย่าง)", "kindergarten")] == (3, Decimal(12000))
    assert amounts[("ค่าอาหารกลางวัน (ตัวอย่าง)", "primary")] == (2, Decimal(8000))
    assert amounts[("ค่าจัดการเรียนการสอน (ตัวอย่าง)", "kindergarten")] == (3, Decimal(5100))
    assert amounts[("ค่าจัดการเรียนการสอน (ตัวอย่าง)", "primary")] == (2, Decimal(3800))
    assert amounts[("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "kindergarten")] == (3, Decimal(900))
    assert amounts[("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "primary")] == (2, Decimal(720))
    assert amounts[("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "lower_secondary")] == (0, Decimal(0))
    assert amounts[("ค่าเครื่องแบบนักเรียน (ตัวอย่าง)", "upper_secondary")] == (1, Decimal(500))
    assert amounts[("ทดสอบเศษสตางค์", "primary")] == (2, Decimal(667))  # 666.66 rounded to the baht
    assert report.provisional == Decimal(12000 + 8000 + 5100 + 3800 + 900 + 720 + 500 + 667)
    lao = budget("lao", known_school.lao_id, year)  # no other school of the LAO has confirmed
    assert lao.provisional == report.provisional and lao.total == 0
    assert {part.organisation.id: part.provisional for part in lao.parts}[known_school.id] == report.provisional
    province = budget("province", known_school.lao.province_id, year)
    assert province.provisional == report.provisional and province.total == 0


def test_learners_of_a_level_group_without_a_rate_are_listed_as_such_not_counted_at_zero_baht(app, known_school):
    year = this_year()
    assert not db.session.scalar(select(func.count(BudgetRate.id)).where(
        BudgetRate.academic_year_id == year.id, BudgetRate.level_group == "vocational"))  # fmt: skip
    add_learners(known_school.id, year.id, "v1", "M", 2)
    report = budget("school", known_school.id, year)
    assert [(group.level_group, group.provisional.learners, group.final.learners) for group in report.unrated] == [
        ("vocational", 2, 0)
    ]
    assert all(item.rate.level_group != "vocational" for item in report.items)
    assert report.provisional == sum((item.provisional.baht for item in report.items), Decimal(0))


def test_the_budget_page_and_download_say_no_rate_is_set_for_the_children_of_a_centre(app, fresh, as_user):
    """The example rates have none for child development centres: a confirmed centre's children
    are listed under "no rate set yet", in Thai, on the page and in the download."""
    with app.app_context():
        centre = org(School, SCHOOL_OF["cdc"])
        confirmation_of(centre, this_year()).state = "confirmed"
        db.session.commit()
        centre_id = centre.id
    client = as_user("central")
    page = client.get("/reports/budget/school/%d" % centre_id).get_data(as_text=True)
    row = re.search(r'<tr class="warning unrated">.*?</tr>', page, flags=re.S).group(0)
    assert "ยังไม่กำหนดอัตรา" in visible_text(row) and "ศพด." in visible_text(row)
    rows = csv_rows(client.get("/reports/budget/school/%d/csv" % centre_id))
    unrated = next(row for row in rows if row[0] == "ยังไม่กำหนดอัตรา")
    assert unrated[1] == "ศพด." and int(unrated[5]) > 0 and unrated[6] == ""


def test_the_budget_page_shows_the_example_rates_as_examples(app, as_user):
    page = as_user("central").get("/reports/budget/country/0").get_data(as_text=True)
    assert 'id="example-rates"' in page and "(ตัวอย่าง)" in page


@pytest.mark.parametrize("username", ["province", "lao", "school"])
def test_rates_are_read_by_every_level_and_changed_by_central_only(app, username):
    with app.app_context():
        year_id, rates = this_year().id, db.session.scalar(select(func.count(BudgetRate.id)))
        rate_id = db.session.scalar(select(BudgetRate.id).limit(1))
    client = login(app.test_client(), username)
    assert client.get("/budgetrateview/list/").status_code == 200
    form = {"academic_year": str(year_id), "item": "ค่าหนังสือ", "level_group": "primary", "per_head": "500",
            "example": "y"}  # fmt: skip
    for path in ("/budgetrateview/add", "/budgetrateview/edit/%d" % rate_id):
        response = client.post(path, data=form)
        assert response.status_code in (302, 403) and "/budgetrateview/" not in response.headers.get("Location", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(BudgetRate.id))) == rates
        assert db.session.scalar(select(BudgetRate.item).where(BudgetRate.id == rate_id)) != "ค่าหนังสือ"
        with account(app, username), pytest.raises(OutOfScope):
            db.session.add(BudgetRate(academic_year_id=year_id, item="ค่าหนังสือ", level_group="primary", per_head=1))
            db.session.flush()
        db.session.rollback()


def test_central_sets_a_rate(app):
    client = login(app.test_client(), "central")
    with app.app_context():
        year_id = this_year().id
    form = {"academic_year": str(year_id), "item": "ค่าหนังสือเรียน", "level_group": "primary", "per_head": "625.50"}
    assert client.post("/budgetrateview/add", data=form).status_code == 302
    with app.app_context():
        rate = db.session.scalar(select(BudgetRate).where(BudgetRate.item == "ค่าหนังสือเรียน"))
        assert rate.yearly == Decimal("625.50") and not rate.example
        db.session.delete(rate)
        db.session.commit()


# -- downloads ------------------------------------------------------------------------------------


def csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(BOM)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_a_list_downloads_as_csv_with_thai_headers_and_only_the_readers_learners(app):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        theirs = set(db.session.scalars(
            select(Student.id_number).where(Student.school_id == school.id, Student.status == "active")
        ))  # fmt: skip
    client = login(app.test_client(), "school")
    assert "/studentview/export/csv" in client.get("/studentview/list/").get_data(as_text=True)
    rows = csv_rows(client.get("/studentview/export/csv"))
    assert rows[0][:4] == ["เลขประจำตัวประชาชน / รหัส G", "คำนำหน้าชื่อ", "ชื่อ", "นามสกุล"]
    assert {row[0] for row in rows[1:]} == theirs and len(rows) - 1 == len(theirs)
    assert {row[5] for row in rows[1:]} == {school.name_th}
    assert any(level in {row[4] for row in rows[1:]} for level in ("ป.1", "อนุบาล 1"))


def test_a_list_download_keeps_the_lists_search_filters(app):
    client = login(app.test_client(), "lao")
    rows = csv_rows(client.get("/studentview/export/csv?_flt_0_class_level=p1"))
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        expected = db.session.scalar(select(func.count(Student.id)).where(
            Student.school_id.in_(select(School.id).where(School.lao_id == school.lao_id)),
            Student.status == "active", Student.class_level == "p1",
        ))  # fmt: skip
    assert len(rows) - 1 == expected > 0 and {row[4] for row in rows[1:]} == {"ป.1"}


def test_a_list_downloads_as_xlsx_with_thai_headers(app, tmp_path):
    response = login(app.test_client(), "school").get("/studentview/export/xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2:4] == ("ชื่อ", "นามสกุล")
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        assert len(rows) - 1 == db.session.scalar(
            select(func.count(Student.id)).where(Student.school_id == school.id, Student.status == "active")
        )


def test_reports_download_as_csv_and_xlsx(app):
    client = login(app.test_client(), "lao")
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
    rows = csv_rows(client.get("/reports/lao/%d/csv" % school.lao_id))
    assert rows[0][:3] == ["ระดับชั้น", "ชาย", "หญิง"]
    assert any(row[0].startswith(school.name_th) for row in rows)
    response = client.get("/reports/budget/lao/%d/xlsx" % school.lao_id)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    assert any("(ตัวอย่าง)" in str(row[0]) for row in sheet.iter_rows(values_only=True))


def test_the_budget_and_confirmed_downloads_carry_final_and_provisional_apart(app, fresh, as_user):
    """One school of ขอนแก่น confirmed, the province not: its baht are provisional, none final, and
    its LAO's row says so."""
    with app.app_context():
        lao = org(Lao, "3400101")
        school = db.session.scalars(select(School).where(School.lao_id == lao.id).order_by(School.code)).first()
        confirmation_of(school, this_year()).state = "confirmed"
        db.session.commit()
        province_id, lao_id, lao_code, school_name = lao.province_id, lao.id, lao.code, school.name_th
    client = as_user("central")
    rows = csv_rows(client.get("/reports/budget/province/%d/csv" % province_id))
    assert rows[0][3:8] == ["จำนวนนักเรียน (ข้อมูลที่จังหวัดยืนยัน)", "จำนวนเงินตามข้อมูลที่จังหวัดยืนยัน (บาท)",
                            "จำนวนนักเรียน (ข้อมูลเบื้องต้น)", "จำนวนเงินเบื้องต้น (บาท)", "สถานะการยืนยันข้อมูล"]
    total = next(row for row in rows if row[0] == "รวม")
    assert total[4] == "0" and int(total[6]) > 0 and "ยังไม่ใช่ข้อมูลที่จังหวัดยืนยัน" in total[7]
    part = next(row for row in rows if row[0].endswith("(%s)" % lao_code))
    assert part[4] == "0" and part[6] == total[6] and "ยืนยันโดยสถานศึกษาเท่านั้น" in part[7]
    rows = csv_rows(client.get("/reports/lao/%d/csv?basis=confirmed" % lao_id))
    assert rows[0][-1] == "สถานะการยืนยันข้อมูล"
    assert "ยังไม่ใช่ข้อมูลที่จังหวัดยืนยัน" in next(row for row in rows if row[0].startswith(school_name))[-1]


# -- the printable summary --------------------------------------------------------------------------


def comparable(words):
    """Without spaces: pdftotext may break a line inside a phrase. No normalisation: SARA AM must
    read back as itself (U+0E33), though HarfBuzz draws it as NIKHAHIT + SARA AA, or a search for
    จำนวน in the PDF finds nothing."""
    return re.sub(r"\s+", "", words)


def pdf_tools():
    if all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm")):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("poppler-utils is required in CI; .ci/run installs it", pytrace=False)
    pytest.skip("pdftotext or pdftoppm missing: the PDF summary test is skipped; .ci/run installs them")


def signed_on_the_page_of_the_total(document, signer):
    """The page holding the (last) total also holds the signature lines, the signer titled by level."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(document)], capture_output=True,
                                                           text=True, check=True).stdout).group(1))  # fmt: skip
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(document), "-"], capture_output=True,
                            text=True, check=True).stdout for n in range(1, pages + 1)]  # fmt: skip
    last_total = max(n for n, text in enumerate(texts) if "รวม" in text.split())
    return comparable(signer) in comparable(texts[last_total]) and "ลงชื่อ" in texts[last_total]


def test_the_pdf_summary_holds_the_thai_name_levels_status_and_signature_lines(app, fresh, tmp_path):
    pdf_tools()
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        school_id, name = school.id, school.name_th
        with account(app, "school"):
            confirm_school(school, this_year())
            db.session.commit()
    response = login(app.test_client(), "school").get("/reports/school/%d/pdf" % school_id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "summary.pdf").write_bytes(response.data)
    found = subprocess.run(["pdftotext", str(tmp_path / "summary.pdf"), "-"], capture_output=True, text=True).stdout
    for words in (name, "อนุบาล 1", "ป.6", "ลงชื่อ", "ผู้รับผิดชอบข้อมูล", "ผู้อำนวยการสถานศึกษา"):
        assert comparable(words) in comparable(found), words
    assert "สรุปจำนวนนักเรียน" in found and "\u0e4d" not in found  # ำ reads back as itself
    assert signed_on_the_page_of_the_total(tmp_path / "summary.pdf", "ผู้อำนวยการสถานศึกษา")
    assert "2569" in found or str(datetime.now().year + 543) in found
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(tmp_path / "summary.pdf"),
                    str(ARTIFACTS / "report-summary")], check=True)  # fmt: skip
    assert (ARTIFACTS / "report-summary.png").stat().st_size > 10_000


def test_the_country_report_is_central_only_and_sums_its_provinces(app):
    response = login(app.test_client(), "central").get("/reports/country/0?basis=confirmed")
    assert response.status_code == 200
    assert login(app.test_client(), "central").get("/reports/country/0?basis=other").status_code == 404
    with app.app_context():
        report = head_count("country", 0, this_year())
        assert {part.code for part, _line in report.parts} >= {"50", "40"}
        assert sum(line.total for _part, line in report.parts) == report.total.total
        with pytest.raises(OutOfScope), account(app, "province"):
            head_count("country", 0, this_year())



# -- the same for the schools of other affiliations -------------------------------------------------

OTHER_SCOPE = {
    "lao": "lao_id = :id",
    "province": "lao_id IN (SELECT id FROM lao WHERE province_id = :id)",
    "country": "1 = 1",
}


def direct_other_count(level, org_id, year_id):
    """{(class level, sex): learners} summed with plain SQL over the other-affiliation rows."""
    columns = list(choices.OTHER_SCHOOL_COUNTS)
    sums = db.session.execute(text(
        "SELECT %s FROM other_school WHERE academic_year_id = :year AND %s"
        % (", ".join("coalesce(sum(%s), 0)" % c for c in columns), OTHER_SCOPE[level])
    ), {"year": year_id, "id": org_id}).one()  # fmt: skip
    found = {}
    for column, number in zip(columns, sums, strict=True):
        level_, sex = column.rsplit("_", 1)
        if number:
            found[(level_, "M" if sex == "male" else "F")] = number
    return found


@pytest.mark.parametrize("level", ["lao", "province", "country"])
def test_other_affiliation_counts_equal_a_direct_sum_and_need_the_laos_confirmation(app, fresh, ctx, level):
    lao = org(Lao, "3500101")
    org_id = {"lao": lao.id, "province": lao.province_id, "country": 0}[level]
    year = this_year()
    expected = direct_other_count(level, org_id, year.id)
    assert expected, "the demo records schools of other affiliations for LAO 3500101"
    report = head_count(level, org_id, year)
    assert reported(report.other) == expected
    assert report.other.total.total == sum(expected.values())
    assert head_count(level, org_id, year, CONFIRMED).other.total.total == 0
    confirmation_of(lao, year)
    db.session.execute(text("UPDATE confirmation SET state = 'confirmed' WHERE org_key = :key"),
                       {"key": key_of(lao)})  # fmt: skip
    # only LAO 3500101 has confirmed: its own schools are all the confirmed basis holds, at every level
    assert reported(head_count(level, org_id, year, CONFIRMED).other) == direct_other_count("lao", lao.id, year.id)
    db.session.rollback()


def test_a_school_has_no_other_affiliation_part_and_an_lao_lists_its_other_schools(app, as_user):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        names = list(db.session.scalars(select(OtherSchool.name).where(OtherSchool.lao_id == school.lao_id)))
        with account(app, "school"):
            assert head_count("school", school.id, this_year()).other is None
        lao_id = school.lao_id
    page = as_user("lao").get("/reports/lao/%d" % lao_id).get_data(as_text=True)
    assert 'id="other-levels"' in page and all(name in page for name in names)


def test_an_laos_pdf_summary_holds_its_schools_of_other_affiliations(app, tmp_path):
    pdf_tools()
    with app.app_context():
        lao = org(Lao, "3500101")
        lao_id, name = lao.id, lao.name_th
    response = login(app.test_client(), "lao").get("/reports/lao/%d/pdf" % lao_id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "lao.pdf").write_bytes(response.data)
    found = subprocess.run(["pdftotext", str(tmp_path / "lao.pdf"), "-"], capture_output=True, text=True).stdout
    assert comparable(name) in comparable(found)
    assert comparable("ผู้รับผิดชอบข้อมูล") in comparable(found)
    assert signed_on_the_page_of_the_total(tmp_path / "lao.pdf", "นายก อปท.")
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-singlefile", str(tmp_path / "lao.pdf"),
                    str(ARTIFACTS / "report-summary-lao")], check=True)  # fmt: skip
