"""A year's work of each role, walked through in a real browser: the school, its LAO, the province
and central, each signing in and taking the steps the user guide (app/guide/) describes, in order.

The guide's pictures of these screens are taken here (guide_shot), each only after the test has
checked what the reader relies on at that step: the Thai text, the rows, the notice. So a picture
in the guide is a screen that worked as the guide says when it was taken, and a change that breaks
a step fails here before the guide goes out of date. Steps that other people take meanwhile (the
other schools confirming, say) are written straight to the database; everything a tour changes is
put back afterwards, since the live server is shared with tests/test_browser.py."""

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from browsing import (
    SCHOOL_NAME,
    confirmations_kept,
    guide_shot,
    list_rows,
    log_in,
    new_national_id,
    scroll_to_top,
)
from playwright.sync_api import expect
from sqlalchemy import delete, insert, select, update

from app.context import acting_as
from app.credentials import reissue_for_accounts
from app.extensions import db
from app.levels import LEVEL_OF, org_key
from app.models import AcademicYear, Confirmation, Credential, Lao, Province, School, Student
from app.workflow import confirm_province, current_year

from conftest import PASSWORD, add_closed_year

LAO_NAME = "เทศบาลนครเชียงใหม่"
DOI_NGOEN = "โรงเรียนเทศบาลดอยเงิน"
CENTRE = "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่"
PRIVATE_SCHOOL = "โรงเรียนเรยีนาเชลีวิทยาลัย"  # a school of another affiliation in the LAO's area
# Last year's learners of the demo school, one per level: (first name, last name, sex, level, age on 16 May)
LAST_YEAR = [
    ("ชยพล", "ใจดี", "M", "k1", 3), ("ปิ่นมณี", "ศรีสุข", "F", "k2", 4), ("ศุภกร", "บุญมา", "M", "k3", 5),
    ("ณัฐธิดา", "ทองคำ", "F", "p1", 6), ("วรเมธ", "แก้วมณี", "M", "p2", 7), ("อรปรียา", "สุขสวัสดิ์", "F", "p3", 8),
    ("ภูมิพัฒน์", "วงศ์ไทย", "M", "p4", 9), ("ธัญชนก", "พึ่งบุญ", "F", "p5", 10), ("กิตติพัฒน์", "ชื่นชม", "M", "p6", 11),
]  # fmt: skip


def user_id(app, username):
    return app.appbuilder.sm.find_user(username=username).id


def confirm_directly(app, codes, model, by=None):
    """Organisations confirmed as if their own users had confirmed (the tours do not walk their steps)."""
    with app.app_context():
        year_id = db.session.scalar(select(AcademicYear.id).where(AcademicYear.is_current))
        ids = db.session.scalars(select(model.id).where(model.code.in_(codes))).all()
        keys = [org_key(LEVEL_OF[model], org_id) for org_id in ids]
        db.session.execute(
            update(Confirmation)
            .where(Confirmation.academic_year_id == year_id, Confirmation.org_key.in_(keys))
            .values(state="confirmed", confirmed_on=datetime.now(), confirmed_by_id=by and user_id(app, by))
        )
        db.session.commit()


@contextmanager
def last_year_of_the_school(app):
    """The academic year before the current one, closed, with learners of the demo school written
    straight to the table as that year left them; afterwards the year and its learners are gone."""
    with app.app_context():
        current = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
        school_id = db.session.scalar(select(School.id).where(School.name_th == SCHOOL_NAME))
        year_be = current.year - 1
        may16 = date(year_be - 543, 5, 16)
        year_id = add_closed_year(year_be)
        for first_name, last_name, sex, level, age in LAST_YEAR:
            db.session.execute(insert(Student.__table__).values(
                academic_year_id=year_id, school_id=school_id, id_kind="national_id", id_number=new_national_id(),
                prefix="เด็กชาย" if sex == "M" else "เด็กหญิง", first_name=first_name, last_name=last_name, sex=sex,
                birth_date=may16 - timedelta(days=365 * age + 40), nationality="ไทย", class_level=level,
                status="active", created_on=may16, changed_on=may16,
            ))  # fmt: skip
        db.session.commit()
    try:
        yield year_be
    finally:
        with app.app_context():
            connection = db.session.connection()  # no session deletes a learner (app/learners.py)
            connection.execute(delete(Student.__table__).where(Student.academic_year_id == year_id))
            db.session.execute(delete(Confirmation).where(Confirmation.academic_year_id == year_id))
            db.session.execute(delete(AcademicYear).where(AcademicYear.id == year_id))
            db.session.commit()


@contextmanager
def credentials_kept(app):
    """Codes issued meanwhile are gone afterwards, and the codes they replaced are usable again."""
    with app.app_context():
        kept = [row._asdict() for row in db.session.execute(select(Credential.id, Credential.revoked_on))]
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(delete(Credential).where(Credential.id.notin_([row["id"] for row in kept])))
            if kept:
                db.session.execute(update(Credential), kept)
            db.session.commit()


def row_with_cell(page, text):
    """The list's rows with a cell that reads exactly `text` (a user name, say)."""
    return list_rows(page).filter(has=page.locator("td", has_text=re.compile(r"^\s*%s\s*$" % re.escape(text))))


def run_action(page, menu_item):
    """The list's action menu (การดำเนินการ), one of its items, and the dialog that asks to be sure."""
    page.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
    page.locator("a.%s_menu_item" % menu_item).click()
    expect(page.locator("#modal-confirm")).to_be_visible()


def test_a_school_signs_in_reads_its_deadline_starts_the_year_checks_its_profile_and_confirms_its_data(
    page, live_server
):
    app = live_server.app
    page.goto("/login/")
    page.fill("#username", "school")
    expect(page.locator("#loginbox .panel-title")).to_have_text("เข้าสู่ระบบ")
    expect(page.locator("#username")).to_have_value("school")
    guide_shot(page, "sign-in")
    page.fill("#password", PASSWORD)
    page.click("#loginbox input[type=submit]")
    expect(page.locator('a[href="/logout/"]')).to_be_attached()

    page.goto("/")
    notice = page.locator("#entry-notice")
    expect(notice).to_contain_text(re.compile(r"เปิดให้บันทึกข้อมูลปีการศึกษา 25\d\d ถึงวันที่ .+ \(เหลืออีก \d+ วัน\)"))
    guide_shot(page, "school-start")

    page.goto("/studentview/list/")
    expect(page.locator(".panel-heading .panel-title").first).to_have_text("นักเรียน / เด็กเล็ก")
    expect(list_rows(page).first).to_contain_text(SCHOOL_NAME)
    assert all(SCHOOL_NAME in row for row in list_rows(page).all_inner_texts())  # its own learners only
    guide_shot(page, "learner-list")

    with last_year_of_the_school(app) as last_year:
        page.goto("/learners/rollover")
        expect(page.locator(".panel-title").first).to_have_text("เริ่มปีการศึกษาใหม่ %d" % (last_year + 1))
        carried = page.locator("#rollover-carried tbody tr")
        expect(carried).to_have_count(len(LAST_YEAR) - 1)
        expect(carried.filter(has_text="ชยพล").locator("td.promoted")).to_have_text("อนุบาล 2")  # was K.1
        expect(carried.locator("input[name=carry]:checked")).to_have_count(len(LAST_YEAR) - 1)
        expect(page.locator("#rollover-leaving tbody tr")).to_have_count(1)
        expect(page.locator("#rollover-leaving")).to_contain_text("กิตติพัฒน์")  # P.6 finished primary school
        page.locator("#rollover-leaving").scroll_into_view_if_needed()
        guide_shot(page, "rollover")

    page.goto("/schoolprofileview/list/")
    expect(list_rows(page)).to_have_count(1)
    list_rows(page).first.locator("a[href^='/schoolprofileview/edit/']").click()
    expect(page.locator(".panel-title").first).to_contain_text("ข้อมูลพื้นฐานสถานศึกษา")
    expect(page.locator("#model_form")).to_contain_text(SCHOOL_NAME)
    expect(page.locator("#classrooms")).to_have_value("9")
    guide_shot(page, "profile-form")

    with confirmations_kept(app):
        page.goto("/schoolview/list/")
        expect(list_rows(page)).to_have_count(1)
        list_rows(page).first.locator("input[name=rowid]").check()
        run_action(page, "confirm_school")
        expect(page.locator("#modal-confirm")).to_contain_text("ยืนยันข้อมูลของสถานศึกษานี้ใช่หรือไม่ ข้อมูลจะถูกล็อก")
        guide_shot(page, "school-confirm")
        page.locator("#modal-confirm-ok").click()
        expect(page.locator(".alert-success").first).to_contain_text("%s: ยืนยันแล้ว" % SCHOOL_NAME)
        expect(notice).to_contain_text("ยืนยันแล้วโดย ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม เมื่อ")
        expect(notice).to_contain_text("ข้อมูลถูกล็อก")
        guide_shot(page, "school-confirmed")

        page.goto("/reports/")
        expect(page.locator("#headcount .panel-title")).to_contain_text("จำนวนนักเรียน: " + SCHOOL_NAME)
        expect(page.locator("#headcount-levels tbody tr").filter(has_text="ป.1")).to_have_count(1)
        guide_shot(page, "report-school")


def test_an_lao_follows_its_schools_confirms_its_own_data_and_prints_the_credential_sheets(page, live_server):
    app = live_server.app
    with confirmations_kept(app), credentials_kept(app):
        confirm_directly(app, ["1050130001"], School, by="school")
        confirm_directly(app, ["2050130001"], School, by="cdc")
        with app.app_context(), acting_as(user_id(app, "lao")):
            reissue_for_accounts([app.appbuilder.sm.find_user(username=name) for name in ("school", "cdc")])
            db.session.commit()
        log_in(page, "lao")

        page.goto("/workflow/board")  # its own state, then one row per school
        expect(page.locator(".panel-title").first).to_contain_text("สถานะการยืนยันข้อมูล ปีการศึกษา")
        expect(page.locator(".panel-title").first).to_contain_text(LAO_NAME)
        expect(page.locator("#board-own")).to_contain_text("ยังไม่ยืนยัน")
        expect(page.locator("#board-summary")).to_contain_text("สถานศึกษาที่ยืนยันแล้ว: 2 / 3")
        schools = page.locator("#board tbody tr")
        expect(schools).to_have_count(3)
        open_school = schools.filter(has_text="%s (1050130002)" % DOI_NGOEN)
        expect(open_school.locator("td").nth(1)).to_have_text("ยังไม่ยืนยัน")
        expect(open_school.locator("a", has_text="คุณภาพข้อมูล")).to_be_visible()  # what holds it up
        expect(open_school.locator("a", has_text="ดูรายชื่อนักเรียน")).to_be_visible()
        expect(schools.filter(has_text=SCHOOL_NAME)).to_contain_text("ยืนยันโดย ครูธุรการ")
        guide_shot(page, "board-lao")

        page.goto("/schoolview/list/")
        expect(list_rows(page)).to_have_count(3)
        for name in (SCHOOL_NAME, DOI_NGOEN, CENTRE):
            expect(list_rows(page).filter(has_text=name)).to_have_count(1)
        guide_shot(page, "lao-schools")

        page.goto("/otherschoolview/list/")
        expect(list_rows(page)).to_have_count(2)
        list_rows(page).filter(has_text=PRIVATE_SCHOOL).locator("a[href^='/otherschoolview/edit/']").click()
        expect(page.locator("#name")).to_have_value(PRIVATE_SCHOOL)
        expect(page.locator("select#affiliation option:checked")).to_have_text("เอกชน")
        expect(page.locator("#k1_male")).to_have_value("0")
        expect(page.locator("#k1_female")).to_have_value("31")
        scroll_to_top(page.locator(".panel", has=page.locator("#model_form")))  # the school, then its kindergarten
        guide_shot(page, "other-schools-form")

        page.goto("/quality/")
        expect(page.locator("#quality .panel-title")).to_contain_text("คุณภาพข้อมูล: " + LAO_NAME)
        parts = page.locator("#quality-parts tbody tr")  # the schools with problems, each with a link
        expect(parts).to_have_count(1)
        expect(parts.first.locator("td").first).to_have_text("%s (1050130002)" % DOI_NGOEN)
        expect(parts.first.locator("td").nth(1)).not_to_have_text("0")  # errors: it cannot confirm yet
        page.locator("#quality-parts").scroll_into_view_if_needed()
        guide_shot(page, "quality-lao")

        confirm_directly(app, ["1050130002"], School)  # Doi Ngoen has corrected its data and confirmed
        page.goto("/laoview/list/")
        expect(list_rows(page)).to_have_count(1)
        list_rows(page).first.locator("input[name=rowid]").check()
        run_action(page, "confirm_lao")
        page.locator("#modal-confirm-ok").click()
        expect(page.locator(".alert-success").first).to_contain_text("%s: ยืนยันแล้ว" % LAO_NAME)
        expect(page.locator("#entry-notice")).to_contain_text("ยืนยันแล้วโดย เจ้าหน้าที่ เทศบาลนครเชียงใหม่ เมื่อ")
        guide_shot(page, "lao-confirmed")

        page.goto("/schoolview/list/")
        list_rows(page).filter(has_text=DOI_NGOEN).locator("input[name=rowid]").check()
        page.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
        item = page.locator("a.issue_credentials_menu_item")
        expect(item).to_be_visible()
        expect(item).to_contain_text(re.compile(r"พิมพ์.+\(QR\)"))
        guide_shot(page, "credentials-action")
        page.keyboard.press("Escape")

        page.goto("/credentialview/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_have_text("รหัสผู้ใช้ที่ออกแล้ว")
        for username in ("school", "cdc"):
            row = row_with_cell(page, username)
            expect(row).to_have_count(1)
            expect(row).to_contain_text("รอเปิดใช้งาน")
            expect(row).to_contain_text("เจ้าหน้าที่ เทศบาลนครเชียงใหม่")  # who issued it
        guide_shot(page, "credentials-list")

        page.goto("/reports/")
        expect(page.locator("#headcount .panel-title")).to_contain_text("จำนวนนักเรียน: " + LAO_NAME)
        schools = page.locator("#headcount-parts tbody tr")
        expect(schools).to_have_count(3)
        expect(schools.filter(has_text=DOI_NGOEN)).to_have_count(1)
        expect(page.locator("#other-parts")).to_contain_text("โรงเรียนวัดศรีสุพรรณ")
        scroll_to_top(page.locator("#headcount"))  # the levels, then the schools
        guide_shot(page, "report-lao")


def test_a_province_follows_its_laos_on_the_board_and_confirms_once_every_lao_has(page, live_server):
    app = live_server.app
    with confirmations_kept(app):
        with app.app_context():
            laos = db.session.scalars(select(Lao.code).join(Province).where(Province.code == "50")).all()
            schools = db.session.scalars(select(School.code).join(Lao).where(Lao.code.in_(laos))).all()
        confirm_directly(app, schools, School)
        confirm_directly(app, [code for code in laos if code != "6500104"], Lao)  # อบต.แม่เหียะ is still open
        log_in(page, "province")

        page.goto("/workflow/board")
        expect(page.locator(".panel-title").first).to_contain_text("สถานะการยืนยันข้อมูล ปีการศึกษา")
        expect(page.locator(".panel-title").first).to_contain_text("เชียงใหม่")
        expect(page.locator("#board-summary")).to_contain_text("อปท. ที่ยืนยันแล้ว: 3 / 4")
        board = page.locator("#board tbody tr")
        expect(board).to_have_count(len(laos))  # one row per LAO
        expect(board.filter(has_text="องค์การบริหารส่วนตำบลแม่เหียะ").locator("td").nth(1)).to_have_text("ยังไม่ยืนยัน")
        expect(board.filter(has_text=LAO_NAME).locator("td").nth(1)).to_contain_text("ยืนยันแล้ว")
        expect(board.filter(has_text=LAO_NAME).locator("td").nth(2)).to_have_text("3 / 3")
        guide_shot(page, "board-province")

        board.filter(has_text=LAO_NAME).locator("a", has_text=LAO_NAME).click()  # down to the LAO's schools
        expect(page.locator(".panel-title").first).to_contain_text(LAO_NAME)
        expect(page.locator("#board tbody tr")).to_have_count(3)
        expect(page.locator("#board-path li")).to_have_text(["เชียงใหม่", LAO_NAME])
        page.locator("#board-path a", has_text="เชียงใหม่").click()  # and back up
        expect(page.locator("#board tbody tr")).to_have_count(len(laos))

        page.goto("/laoview/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_have_text("องค์กรปกครองส่วนท้องถิ่น (อปท.)")
        expect(list_rows(page)).to_have_count(len(laos))
        assert all("เชียงใหม่" in row for row in list_rows(page).all_inner_texts())
        guide_shot(page, "province-laos")

        confirm_directly(app, ["6500104"], Lao)  # the last LAO confirms
        page.goto("/provinceview/list/")
        expect(list_rows(page)).to_have_count(1)
        list_rows(page).first.locator("input[name=rowid]").check()
        run_action(page, "confirm_province")
        expect(page.locator("#modal-confirm")).to_contain_text("อปท. ทุกแห่งต้องยืนยันแล้ว")
        page.locator("#modal-confirm-ok").click()
        expect(page.locator(".alert-success").first).to_contain_text("เชียงใหม่: ยืนยันแล้ว")
        expect(page.locator("#entry-notice")).to_contain_text("ยืนยันแล้วโดย เจ้าหน้าที่ จังหวัดเชียงใหม่ เมื่อ")
        guide_shot(page, "province-confirmed")


def test_central_sets_the_years_deadlines_and_reads_the_accounts_board_budget_reports_and_history(page, live_server):
    app = live_server.app
    with confirmations_kept(app):  # Chiang Mai has confirmed, Khon Kaen not yet: the budget counts the first
        with app.app_context():
            laos = db.session.scalars(select(Lao.code).join(Province).where(Province.code == "50")).all()
            schools = db.session.scalars(select(School.code).join(Lao).where(Lao.code.in_(laos))).all()
        confirm_directly(app, schools, School)
        confirm_directly(app, laos, Lao)
        with app.app_context(), acting_as(user_id(app, "province")):  # through the step: it freezes the snapshot
            confirm_province(db.session.scalar(select(Province).where(Province.code == "50")), current_year())
            db.session.commit()
        log_in(page, "central")

        page.goto("/academicyearview/list/")
        list_rows(page).first.locator("a[href^='/academicyearview/edit/']").click()
        expect(page.locator(".panel-title").first).to_contain_text("ปีการศึกษา")
        for field in ("entry_opens", "school_deadline", "lao_deadline", "province_deadline"):
            expect(page.locator("#" + field)).to_have_value(re.compile(r"^\d\d/\d\d/25\d\d$"))  # Buddhist era
        guide_shot(page, "years-form")

        page.goto("/users/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_contain_text("ผู้ใช้")
        for username in ("central", "province", "lao", "school", "cdc", "manager"):
            expect(row_with_cell(page, username)).to_have_count(1)
        guide_shot(page, "accounts")

        page.goto("/workflow/board")  # every province; those with LAOs registered come first
        expect(page.locator("#board-summary")).to_contain_text("จังหวัดที่ยืนยันแล้ว: 1 / 77")
        provinces = page.locator("#board tbody tr")
        expect(provinces.nth(0)).to_contain_text("ขอนแก่น")
        expect(provinces.nth(0)).to_contain_text("0 / 3")
        expect(provinces.nth(1)).to_contain_text("เชียงใหม่")
        expect(provinces.nth(1)).to_contain_text("4 / 4")
        expect(provinces.nth(1)).to_contain_text("ยืนยันโดย เจ้าหน้าที่ จังหวัดเชียงใหม่")
        guide_shot(page, "board-central")

        page.goto("/budgetrateview/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_have_text("อัตรางบประมาณต่อหัว")
        expect(list_rows(page).first).to_be_visible()
        guide_shot(page, "budget-rates")

        page.goto("/reports/budget/")
        expect(page.locator("#budget .panel-title")).to_contain_text("ประมาณการงบประมาณ: ทั้งประเทศ")
        expect(page.locator("#budget-items tbody tr").first).to_be_visible()
        parts = page.locator("#budget-parts tbody tr")  # confirmed learners only: Khon Kaen has not confirmed
        expect(parts.filter(has_text="ขอนแก่น").locator("td").nth(1)).to_have_text("0")
        expect(parts.filter(has_text="เชียงใหม่").locator("td").nth(1)).to_have_text(re.compile(r"^[1-9][\d,]*$"))
        guide_shot(page, "budget")

        page.goto("/reports/")
        expect(page.locator("#headcount .panel-title")).to_contain_text("จำนวนนักเรียน: ทั้งประเทศ")
        provinces = page.locator("#headcount-parts tbody tr")
        expect(provinces.filter(has_text="เชียงใหม่")).to_have_count(1)
        expect(provinces.filter(has_text="ขอนแก่น")).to_have_count(1)
        scroll_to_top(page.locator("#headcount"))  # the levels, then the provinces
        guide_shot(page, "report-country")

        page.goto("/historyview/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_have_text("ประวัติการแก้ไข")
        expect(list_rows(page).first).to_be_visible()
        guide_shot(page, "history")
