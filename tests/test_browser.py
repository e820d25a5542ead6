"""End to end in a real browser: Chromium (driven by Playwright) against the app served on localhost,
one live server per backend with real CSRF (the fixtures and a user's steps are in browsing.py)."""

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from browsing import (
    ACCOUNTS,
    ARTIFACTS,
    FIRST_NAME,
    LAST_NAME,
    SCHOOL_NAME,
    THAI,
    assert_nothing_saved,
    choose,
    confirmations_kept,
    field_error,
    fill_learner,
    guide_shot,
    list_rows,
    log_in,
    new_national_id,
    open_context,
    option_value,
    save,
    scroll_to_top,
    search_by_id,
    shown_value,
)
from playwright.sync_api import expect
from sqlalchemy import delete, insert, select

from app.context import acting_as
from app.credentials import issue_credentials
from app.demo import current_academic_year_be
from app.extensions import db
from app.learners import learners_by_id, remove_learners, restore_learners
from app.models import AcademicYear, School, SpotCheck, SpotCheckItem, Student
from app.thai import format_be_date

from conftest import close_entry_until, restore_dates

# ---------------------------------------------------------------------------------------------
# Tests.


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_demo_account_logs_in_on_a_thai_page_and_reads_the_learner_list_in_thai(page, account):
    log_in(page, account)

    menu = page.locator(".navbar-collapse > ul.nav.navbar-nav").first
    expect(menu).to_contain_text("หน่วยงาน")
    expect(menu).to_contain_text("นักเรียน / เด็กเล็ก")
    entries = [text.strip() for text in menu.locator("a").all_text_contents() if text.strip()]
    untranslated = [text for text in entries if not THAI.search(text)]
    assert not untranslated, "menu entries not in Thai for %s: %s" % (account, untranslated)

    menu.locator('a[href="/studentview/list/"]').click()
    page.wait_for_url("**/studentview/list/")
    expect(page.locator(".panel-heading .panel-title").first).to_have_text("นักเรียน / เด็กเล็ก")
    headers = page.locator(".table-responsive > table.table-bordered > thead th")
    for header in ["เลขประจำตัวประชาชน / รหัส G", "ชื่อ", "นามสกุล", "ระดับชั้น", "สถานศึกษา", "สถานะ"]:
        expect(headers.filter(has_text=re.compile(r"^\s*%s\s*$" % re.escape(header)))).to_have_count(1)
    expect(list_rows(page).first).to_be_visible()
    assert list_rows(page).count() >= 1


def test_thai_text_is_drawn_with_a_thai_font_and_not_as_empty_boxes(page):
    """With no font for Thai, Chromium draws every Thai character, combining marks included, as a
    box of its own; with one, the marks sit on their consonant and take no width."""
    page.goto("/login/")
    expect(page.locator("#loginbox .panel-title")).to_have_text("เข้าสู่ระบบ")
    page.evaluate("document.fonts.ready")
    consonant, with_marks = page.evaluate(
        """() => {
            const width = (text) => {
                const span = document.createElement("span");
                span.textContent = text;
                document.querySelector("#loginbox .panel-title").appendChild(span);
                const result = span.getBoundingClientRect().width;
                span.remove();
                return result;
            };
            return [width("\u0e01"), width("\u0e01\u0e34\u0e48")];
        }"""
    )
    assert with_marks == pytest.approx(consonant, abs=0.5), (
        "Thai is drawn as empty boxes (ก is %.1fpx wide, กิ่ %.1fpx): no Thai font on this machine "
        "(Debian: apt-get install fonts-thai-tlwg) and none served by the app" % (consonant, with_marks)
    )


def test_a_school_clerk_adds_a_learner_and_finds_the_thai_name_and_buddhist_era_birth_date_unchanged(school_page):
    page = school_page
    national_id = new_national_id()
    fill_learner(page, national_id, "01/06/2561")
    scroll_to_top(page.locator(".panel", has=page.locator("#model_form")))
    guide_shot(page, "learner-form")
    save(page)
    expect(page.locator(".alert-success")).to_contain_text("เพิ่มข้อมูลเรียบร้อยแล้ว")

    search_by_id(page, national_id)
    expect(list_rows(page)).to_have_count(1)
    cells = list_rows(page).first.locator("td")  # a checkbox for the list's actions, the buttons, the columns
    expect(cells.nth(2)).to_have_text(national_id)
    assert cells.nth(4).inner_text().strip() == FIRST_NAME  # the combining marks, exactly as typed
    assert cells.nth(5).inner_text().strip() == LAST_NAME
    expect(cells.nth(6)).to_have_text("ป.1")
    expect(cells.nth(7)).to_have_text(SCHOOL_NAME)

    list_rows(page).first.locator('a[href^="/studentview/show/"]').click()
    page.wait_for_url(re.compile(r"/studentview/show/\d+"))
    expect(shown_value(page, "วันเกิด")).to_have_text("01/06/2561")
    assert shown_value(page, "ชื่อ").inner_text().strip() == FIRST_NAME
    expect(shown_value(page, "ระดับชั้น")).to_have_text("ป.1")


def test_a_christian_era_birth_date_is_refused_with_a_thai_hint_and_nothing_is_saved(school_page):
    page = school_page
    national_id = new_national_id()
    fill_learner(page, national_id, "01/06/2018")
    save(page)
    error = field_error(page, "birth_date")
    expect(error).to_be_visible()
    expect(error).to_contain_text("2561")
    expect(error).to_contain_text("พุทธศักราช")
    expect(page.locator(".alert-success")).to_have_count(0)

    assert_nothing_saved(page, national_id)


def test_a_national_id_with_a_wrong_check_digit_is_refused_in_thai_and_nothing_is_saved(school_page):
    page = school_page
    valid = new_national_id()
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    fill_learner(page, wrong, "01/06/2561")
    save(page)
    error = field_error(page, "id_number")
    expect(error).to_be_visible()
    expect(error).to_contain_text("หลักตรวจสอบ")
    expect(page.locator(".alert-success")).to_have_count(0)

    assert_nothing_saved(page, wrong)


def test_the_language_menu_switches_the_screens_to_english_and_back_to_thai(school_page):
    page = school_page
    page.goto("/studentview/list/")
    title = page.locator(".panel-heading .panel-title").first
    headers = page.locator(".table-responsive > table.table-bordered > thead")
    expect(title).to_have_text("นักเรียน / เด็กเล็ก")
    language_menu = page.locator(".navbar-right > li.dropdown", has=page.locator("i.flag")).locator("a.dropdown-toggle")

    language_menu.click()
    with page.expect_navigation(url="**/studentview/list/"):  # back to the screen it was used on
        page.locator('a[href="/lang/en"]').click()
    expect(title).to_have_text("Learners")
    expect(headers).to_contain_text("First name")
    expect(page.locator(".navbar-nav").first).to_contain_text("Organisations")

    language_menu.click()
    with page.expect_navigation(url="**/studentview/list/"):
        page.locator('a[href="/lang/th"]').click()
    expect(title).to_have_text("นักเรียน / เด็กเล็ก")
    expect(headers).to_contain_text("นามสกุล")
    expect(page.locator(".navbar-nav").first).to_contain_text("หน่วยงาน")


def test_the_page_is_drawn_in_the_sarabun_font_served_by_the_app(page, live_server):
    """Old office PCs and fresh Linux machines alike get Thai from LEC's own Sarabun, not from
    whatever fonts the machine happens to have."""
    page.goto("/login/")
    expect(page.locator("#loginbox .panel-title")).to_have_text("เข้าสู่ระบบ")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Sarabun', 'เข้าสู่ระบบ')")
    assert "Sarabun" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert any(url.endswith("/fonts/Sarabun-Regular.ttf") for url in page.context.requested)


def test_a_school_clerks_learner_form_offers_only_its_own_school(school_page):
    page = school_page
    page.goto("/studentview/add")
    page.locator("select#school + .select2-container .select2-selection").click()
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options.filter(has_text=SCHOOL_NAME)).to_have_count(1)
    offered = [text.strip() for text in options.all_inner_texts() if text.strip()]
    assert offered == [SCHOOL_NAME]


def test_a_province_officer_lists_only_its_own_province(page):
    log_in(page, "province")
    page.goto("/provinceview/list/")
    expect(list_rows(page)).to_have_count(1)
    expect(list_rows(page).first).to_contain_text("เชียงใหม่")
    page.goto("/schoolview/list/?psize_SchoolView=100")
    expect(list_rows(page).first).to_be_visible()
    assert "ขอนแก่น" not in page.inner_text("body") and "สวนสนุก" not in page.inner_text("body")


def test_the_link_on_a_credential_sheet_registers_the_person_and_signs_them_in(page, live_server):
    with live_server.app.app_context(), acting_as(None):
        school = db.session.scalar(select(School).where(School.code == "1050130002"))
        code = issue_credentials([school], include_active=True)[0].code
        db.session.commit()
    page.goto("/activate/" + code)
    expect(page.locator(".panel-title")).to_have_text("เปิดใช้งานบัญชีผู้ใช้")
    expect(page.locator("body")).to_contain_text("โรงเรียนเทศบาลดอยเงิน")
    for field, value in [
        ("first_name", "ชื่นกมล"), ("last_name", "ทิพย์เนตร"), ("position", "ครูธุรการ"), ("phone", "053-222-333"),
        ("email", "chuenkamon-%s@lec.example" % live_server.backend), ("password", "Doi-Ngoen-2569"),
        ("conf_password", "Doi-Ngoen-2569"),
    ]:  # fmt: skip
        page.fill("#" + field, value)
    page.locator("#activation button[type=submit]").scroll_into_view_if_needed()
    guide_shot(page, "activate-form")
    page.click("#activation button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("เปิดใช้งานบัญชีเรียบร้อยแล้ว")
    expect(page.locator('a[href="/logout/"]')).to_be_attached()
    page.goto("/studentview/list/")
    expect(list_rows(page).first).to_contain_text("โรงเรียนเทศบาลดอยเงิน")


def test_a_school_confirms_is_locked_is_returned_with_a_reason_and_edits_again(browser, live_server):
    """DESIGN.md §4 end to end: the school confirms, its data is locked, its LAO returns it with a
    reason, the school reads the reason and can edit again."""
    school = open_context(browser, live_server).new_page()
    lao = open_context(browser, live_server).new_page()
    try:
        with confirmations_kept(live_server.app):
            log_in(school, "school")
            expect(school.locator("#entry-notice")).to_contain_text("เปิดให้บันทึกข้อมูลปีการศึกษา")
            banner_shot(school, "open")
            school.goto("/schoolview/list/")
            school.locator("input[name=rowid]").first.check()
            school.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
            school.locator("a.confirm_school_menu_item").click()
            school.locator("#modal-confirm-ok").click()
            expect(school.locator("#entry-notice")).to_contain_text("ยืนยันแล้วโดย")
            banner_shot(school, "confirmed")
            school.goto("/studentview/list/")
            expect(school.locator(".lec-locked").first).to_contain_text("ข้อมูลถูกล็อก")
            expect(school.locator("a[href^='/studentview/edit/']")).to_have_count(0)
            expect(school.locator("a[href^='/studentview/add']")).to_have_count(0)
            shown = school.locator("a[href^='/studentview/show/']").first.get_attribute("href")
            school.goto(shown.replace("/show/", "/edit/"))
            expect(school.locator(".alert").first).to_contain_text("ข้อมูลถูกล็อก")
            expect(school.locator("input[name=first_name]")).to_have_count(0)
            guide_shot(school, "school-locked")

            log_in(lao, "lao")
            lao.goto("/schoolview/list/")
            lao.locator("tr", has_text="โรงเรียนเทศบาลวัดเกตการาม").locator("input[name=rowid]").check()
            lao.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
            lao.locator("a.return_school_menu_item").click()
            lao.fill("#reason", "ชื่อนักเรียนสะกดผิด")
            guide_shot(lao, "lao-return")
            lao.locator("#reason-form button[type=submit]").click()
            expect(lao.locator(".alert-success").first).to_contain_text("บันทึกแล้ว")

            school.goto("/studentview/list/")
            expect(school.locator("#entry-notice")).to_contain_text("ส่งคืนแก้ไขเพราะ ชื่อนักเรียนสะกดผิด (โดย ")
            banner_shot(school, "returned")
            guide_shot(school, "school-returned")
            school.locator("a[href^='/studentview/edit/']").first.click()
            school.locator("form button[type=submit], form input[type=submit]").first.click()
            expect(school.locator(".alert-success").first).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            school.screenshot(path=str(ARTIFACTS / ("workflow-returned[%s].png" % live_server.backend)), full_page=True)
    finally:
        school.context.close()
        lao.context.close()


BANNER = {"open": "alert-info", "confirmed": "alert-success", "returned": "alert-danger", "closed": "lec-alert-closed"}


def banner_shot(page, state):
    """The banner shows the state by its class (and so its colour) and its first word; a picture of
    each state is kept in tests/artifacts for a person to look at."""
    notice = page.locator("#entry-notice")
    expect(notice).to_have_class(re.compile(r"\b%s\b.*\blec-state-%s\b" % (BANNER[state], state)))
    expect(notice.locator(".lec-state-word .fa")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    notice.screenshot(path=str(ARTIFACTS / ("banner-%s[%s].png" % (state, page.context.backend))))


def test_the_banner_tells_a_school_past_its_deadline_that_entry_is_closed(browser, live_server):
    app = live_server.app
    page = open_context(browser, live_server).new_page()
    with app.app_context():
        year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
        saved = close_entry_until(year, "school_deadline")
        db.session.commit()
    try:
        with confirmations_kept(app):
            log_in(page, "school")
            expect(page.locator("#entry-notice")).to_contain_text("ปิดรับข้อมูล:")
            banner_shot(page, "closed")
    finally:
        page.context.close()
        with app.app_context():
            restore_dates(db.session.scalar(select(AcademicYear).where(AcademicYear.is_current)), saved)
            db.session.commit()


def test_running_an_action_with_no_row_chosen_is_explained_in_thai(school_page):
    page = school_page
    page.goto("/schoolview/list/")
    page.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
    page.locator("a.confirm_school_menu_item").click()
    expect(page.locator("#modal-alert .modal-text")).to_have_text("ยังไม่ได้เลือกรายการ")


def test_a_school_is_told_why_it_cannot_confirm_and_corrects_the_learner_from_the_quality_report(browser, live_server):
    """Circular 3.1: the school checks its data before confirming. A learner carried over with a
    wrong check digit blocks the confirmation; the report leads to the form that corrects it."""
    good = new_national_id()
    with live_server.app.app_context():
        school = db.session.scalar(select(School).where(School.code == "1050130001"))
        year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
        db.session.execute(insert(Student).values(
            academic_year_id=year.id, school_id=school.id, id_kind="national_id", id_number=good[:-1] + "X",
            first_name="ธนากร", last_name="เลขผิด", sex="M", birth_date=date(year.year - 543 - 7, 1, 10),
            nationality="ไทย", class_level="p1", status="active", created_on=date.today(), changed_on=date.today(),
        ))  # fmt: skip
        db.session.commit()
    page = open_context(browser, live_server).new_page()
    log_in(page, "school")
    page.goto("/schoolview/list/")
    page.locator("input[name=rowid]").first.check()
    page.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
    page.locator("a.confirm_school_menu_item").click()
    page.locator("#modal-confirm-ok").click()
    expect(page.locator(".alert-danger").first).to_contain_text("เลขประจำตัวประชาชนผิดหลักตรวจสอบหรือจำนวนหลัก (1)")
    guide_shot(page, "quality-refused")

    page.locator("a", has_text="คุณภาพข้อมูล").first.click()
    findings = page.locator("#quality-findings tbody tr")
    expect(findings.filter(has_text="เลขผิด")).to_have_count(1)
    scroll_to_top(page.locator("#quality"))  # the counts, then the learner behind the error
    guide_shot(page, "quality-report")
    findings.filter(has_text="เลขผิด").locator("a", has_text="แก้ไข").click()
    page.fill("#id_number", good)
    save(page)
    expect(page.locator(".alert-success").first).to_be_visible()
    page.goto("/quality/")
    expect(page.locator("#quality")).to_contain_text("ไม่พบปัญหา")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / ("quality-corrected[%s].png" % live_server.backend)), full_page=True)
    page.context.close()


def test_a_province_officer_draws_a_spotcheck_records_a_learner_not_found_and_reads_who_recorded_it(page, live_server):
    """Circular point 6 end to end: the province draws a sample of an LAO's learners, records what
    it found, and reads the not-found rate and who last changed the record of the learner not found."""
    log_in(page, "province")
    page.goto("/spotcheckview/list/")
    page.locator("#draw-spot-check").click()
    lao = "เทศบาลนครเชียงใหม่ (3500101)"
    choose(page, "lao", lao, option_value(page, "lao", lao))
    page.fill("#count", "6")
    guide_shot(page, "spotcheck-new")
    page.locator("#spotcheck-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/spotcheck/\d+$"))
    rows = page.locator("#spotcheck-items tbody tr")
    expect(rows).to_have_count(6)

    missing = rows.filter(has_text=SCHOOL_NAME).first
    index = int(missing.locator("select").get_attribute("name").split("-")[1])
    national_id = missing.locator("td").nth(2).inner_text().strip()
    app = live_server.app
    with app.app_context(), acting_as(app.appbuilder.sm.find_user(username="school").id):
        learner = db.session.scalar(
            select(Student).join(School).where(Student.id_number == national_id, School.name_th == SCHOOL_NAME)
        )
        learner_id, room, learner.room = learner.id, learner.room, "9/9"  # the school last touched this record
        db.session.commit()
    try:
        for row in range(6):
            page.select_option("#rows-%d-result" % row, "found")
        page.select_option("#rows-%d-result" % index, "not_found")
        page.fill("#rows-%d-note" % index, "ไม่พบตัวที่โรงเรียน ครูประจำชั้นไม่รู้จัก")
        page.select_option("#rows-%d-result" % ((index + 1) % 6), "mismatch")
        page.locator("#results-form button[type=submit]").click()
        expect(page.locator(".alert-success").first).to_be_visible()
        expect(page.locator("#spotcheck-summary")).to_contain_text("16.7%")
        accountable = page.locator("#accountability-table tbody tr")
        expect(accountable).to_have_count(1)
        expect(accountable).to_contain_text(national_id)
        expect(accountable).to_contain_text("ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม (school)")
        scroll_to_top(page.locator("#spotcheck-summary"))  # the rate, the results, who recorded the learner
        guide_shot(page, "spotcheck-results")
        page.goto("/spotcheckview/list/")
        expect(list_rows(page).first).to_contain_text("16.7% (1/6)")
    finally:
        with app.app_context():
            with acting_as(app.appbuilder.sm.find_user(username="school").id):
                db.session.get(Student, learner_id).room = room
                db.session.commit()
            db.session.execute(delete(SpotCheckItem))
            db.session.execute(delete(SpotCheck))
            db.session.commit()


def test_a_school_clerk_removes_two_learners_with_a_reason_and_finds_them_among_the_removed(school_page, live_server):
    """Circular 3.2 end to end: the clerk selects two learners, takes them out of the count with a
    reason, a date and a note, and finds them under the removed learners with their own name as remover."""
    page, app = school_page, live_server.app
    page.goto("/studentview/list/")
    chosen = [page.locator("input[name=rowid]").nth(n).get_attribute("value") for n in (1, 2)]
    with app.app_context():
        school_id = app.appbuilder.sm.find_user(username="school").id
    with app.app_context(), acting_as(school_id):
        names = [(learner.first_name, learner.last_name) for learner in learners_by_id([int(i) for i in chosen])]
    try:
        for value in chosen:
            page.locator('input[name=rowid][value="%s"]' % value).check()
        page.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
        page.locator("a.remove_learners_menu_item").click()
        page.wait_for_url(re.compile(r"/learners/remove\?ids="))
        expect(page.locator(".panel-title").first).to_have_text("นำออกจากการนับ (จำหน่าย)")
        expect(page.locator("#removal-learners tbody tr")).to_have_count(2)
        for first_name, last_name in names:
            expect(page.locator("#removal-learners")).to_contain_text(first_name)
            expect(page.locator("#removal-learners")).to_contain_text(last_name)
        page.select_option("#reason", "moved")
        page.fill("#removed_on", format_be_date(date.today()))
        page.fill("#note", "ย้ายตามผู้ปกครองไปจังหวัดลำพูน")
        guide_shot(page, "removal-form")
        page.locator("#removal-form button[type=submit]").click()
        page.wait_for_url("**/studentview/list/")
        expect(page.locator(".alert-success").first).to_contain_text("นำนักเรียนออกจากการนับ (จำหน่าย) แล้ว 2 คน")
        for value in chosen:
            expect(page.locator('input[name=rowid][value="%s"]' % value)).to_have_count(0)

        menu = page.locator(".navbar-collapse > ul.nav.navbar-nav").first
        menu.locator('a[href="/removedstudentview/list/"]').click()
        page.wait_for_url("**/removedstudentview/list/")
        expect(page.locator(".panel-heading .panel-title").first).to_have_text("นักเรียนที่จำหน่ายแล้ว")
        for value in chosen:
            row = list_rows(page).filter(has=page.locator('input[name=rowid][value="%s"]' % value))
            expect(row).to_contain_text("ย้ายออก")
            expect(row).to_contain_text(format_be_date(date.today()))
            expect(row).to_contain_text("ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม")  # the clerk's own name
        guide_shot(page, "removal-removed-list")
    finally:
        with app.app_context(), acting_as(school_id):
            gone = [learner for learner in learners_by_id([int(i) for i in chosen]) if learner.status == "removed"]
            if gone:
                restore_learners(gone)
                db.session.commit()


def test_a_school_imports_its_list_reads_the_errors_corrects_the_file_and_imports_it(school_page, live_server):
    """Issue #6 point 5 end to end: the school uploads its learner list, reads the errors by row in
    Thai, corrects the file, uploads it again and imports it; the learners are then on the list."""
    page = school_page
    born = "01/06/%d" % (current_academic_year_be(date.today()) - 7)  # fits ป.1
    good, fixed = new_national_id(), new_national_id()
    wrong = fixed[:-1] + str((int(fixed[-1]) + 1) % 10)

    def learner_list(second_id, second_birth_date):
        rows = ["เลขประจำตัวประชาชน/รหัส G,ชื่อ,นามสกุล,เพศ,วันเกิด,ชั้น",
                "%s,%s,%s,หญิง,%s,ป.1" % (good, FIRST_NAME, LAST_NAME, born),
                "%s,ชื่นกมล,ทิพย์เนตร,หญิง,%s,ป.1" % (second_id, second_birth_date)]  # fmt: skip
        return {"name": "รายชื่อนักเรียน.csv", "mimeType": "text/csv", "buffer": "\r\n".join(rows).encode("utf-8-sig")}

    def upload(learners, picture=False):
        page.goto("/import/")
        expect(page.locator("#import-template")).to_have_attribute("href", "/import/template")
        expect(page.locator("select#school option:checked")).to_have_text(SCHOOL_NAME + " (1050130001)")
        page.set_input_files("#file", files=[learners])
        if picture:
            guide_shot(page, "import-upload")
        with page.expect_navigation(url=re.compile(r"/import/\d+$")):
            page.locator("#import-form button[type=submit]").click()

    upload(learner_list(wrong, "01/06/2018"), picture=True)
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td")).to_have_text(["3", "เลขประจำตัวประชาชน/รหัส G", re.compile("หลักตรวจสอบ")])
    expect(errors.nth(1).locator("td")).to_have_text(["3", "วันเกิด", re.compile("พุทธศักราช")])
    expect(page.locator("#import-counts .count-new")).to_have_text("1")
    expect(page.locator("#import-counts .count-errors")).to_have_text("1")
    guide_shot(page, "import-preview-errors")

    upload(learner_list(fixed, born))
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(page.locator("#import-counts .count-new")).to_have_text("2")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / ("import-preview-corrected[%s].png" % live_server.backend)), full_page=True)
    with page.expect_navigation(url="**/studentview/list/"):
        page.locator("#import-commit button[type=submit]").click()
    expect(page.locator(".alert-success").first).to_be_visible()
    guide_shot(page, "import-done")

    for national_id, first_name in [(fixed, "ชื่นกมล"), (good, FIRST_NAME)]:
        search_by_id(page, national_id)
        expect(list_rows(page)).to_have_count(1)
        expect(list_rows(page).first).to_contain_text(first_name)


AXIS_TEXT = (".xtick", ".ytick", ".g-xtitle", ".g-ytitle")  # Plotly's tick labels and axis titles


def test_each_chart_is_drawn_offline_in_thai_from_the_apps_own_plotly_with_its_table(page, live_server):
    """Issue #7 point 4: every chart draws with nothing but the live server reachable (any other
    request is aborted and fails the test), Thai labels in Sarabun, and the table of its numbers."""
    app, server = live_server.app, urlsplit(live_server.url).netloc
    failed = []
    page.context.route(
        "**/*", lambda route: route.continue_() if urlsplit(route.request.url).netloc == server else route.abort()
    )

    def request_failed(request):
        """A request to the live server that the next page's navigation cancels is not a failure."""
        cancelled = urlsplit(request.url).netloc == server and request.failure == "net::ERR_ABORTED"
        if not cancelled:
            failed.append((request.url, request.failure))

    page.on("requestfailed", request_failed)
    page.on("response", lambda response: response.status >= 400 and failed.append((response.url, response.status)))
    with app.app_context():
        clerk = app.appbuilder.sm.find_user(username="school").id
    with app.app_context(), acting_as(clerk):  # something to count among the removals
        own = db.session.scalar(select(School).where(School.name_th == SCHOOL_NAME))
        chosen = db.session.scalars(
            select(Student).where(Student.school_id == own.id, Student.status == "active").order_by(Student.id).limit(2)
        ).all()
        gone = [learner.id for learner in remove_learners(chosen, "moved", date.today())]
        db.session.commit()
    try:
        log_in(page, "province")
        page.goto("/charts/")
        for name in ["levels", "areas", "progress", "removals"]:
            page.locator("#chart-list a[href='/charts/%s']" % name).click()
            page.wait_for_url("**/charts/%s" % name)
            expect(page.locator("#chart svg.main-svg").first).to_be_visible()
            expect(page.locator("#chart g.trace path").first).to_be_attached()  # bars, or the line
            labels = page.locator(", ".join("#chart %s text" % axis for axis in AXIS_TEXT))
            assert THAI.search(" ".join(labels.all_text_contents())), name
            assert "Sarabun" in labels.first.evaluate("node => getComputedStyle(node).fontFamily")
            assert page.evaluate("document.fonts.check('14px Sarabun', 'ก')")
            expect(page.locator("#chart-numbers thead th").first).to_have_text(THAI)
            assert page.locator("#chart-numbers tbody tr").count() >= 1
            if name == "removals":
                expect(page.locator("#chart-numbers tbody tr").first.locator("td")).to_have_text(["ย้ายออก", "2"])
            if name == "progress":
                ticks = page.locator("#chart .xtick text").all_text_contents()
                assert ticks and all(re.fullmatch(r"\d\d/\d\d/25\d\d", tick) for tick in ticks), ticks
            page.wait_for_load_state("networkidle")
            guide_shot(page, {"levels": "chart-levels", "areas": "chart-areas", "progress": "chart-progress",
                              "removals": "chart-removals"}[name])  # fmt: skip
    finally:
        with app.app_context(), acting_as(clerk):
            restore_learners(learners_by_id(gone))
            db.session.commit()
    assert not failed, failed


def test_a_central_officer_filters_the_learners_by_a_school_found_by_typing_part_of_its_name(page):
    """The search form no longer carries every school (20,000 at national size): typing part of a
    name offers the matching schools of the user's scope (LecModelView.choices)."""
    typed = "#filter_form select.lec-typed-choices + .select2-container"
    log_in(page, "central")
    page.goto("/studentview/list/")
    page.locator("a.accordion-toggle", has_text="ค้นหา").click()
    page.locator("#filter_form button.dropdown-toggle", has_text="เพิ่มตัวกรอง").click()
    page.locator('#filter_form a.filter[name="school"]').click()
    page.locator(typed + " .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("โรงเรียนเทศบาลวัด")
    choices = page.locator(".select2-container--open .select2-results__option")
    expect(choices).to_have_text([SCHOOL_NAME])
    choices.first.click()
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(re.compile(r"_flt_0_school=\d+"))
    expect(list_rows(page).first).to_contain_text(SCHOOL_NAME)
    assert all(SCHOOL_NAME in row for row in list_rows(page).all_inner_texts())
    expect(page.locator(typed + " .select2-selection__rendered")).to_contain_text(SCHOOL_NAME)


def test_on_a_phone_the_learner_list_shows_names_and_levels_without_sideways_scrolling(school_page, live_server):
    page = school_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/studentview/list/")
    first_name = page.locator("table tbody tr").first.locator("td.lec-cell-first_name")
    expect(first_name).to_be_visible()
    expect(page.locator("table tbody tr").first.locator("td.lec-cell-class_level")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    level = page.locator("table tbody tr").first.locator("td.lec-cell-class_level").bounding_box()
    assert level["x"] + level["width"] <= 375  # in view, not hidden in the table's own scroll
    toggle = page.locator(".navbar .navbar-toggle")
    expect(toggle).to_have_count(1)
    expect(toggle).to_be_visible()
    expect(page.locator(".navbar-collapse")).not_to_be_visible()
    page.screenshot(path=str(ARTIFACTS / ("phone-learner-list[%s].png" % live_server.backend)))


def test_on_a_phone_the_identifier_opens_the_number_pad_for_a_national_id_and_the_keyboard_for_a_g_code(
    school_page, live_server
):
    page = school_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/studentview/add")
    number = page.locator("#id_number")
    expect(number).to_have_attribute("inputmode", "numeric")
    page.select_option("#id_kind", "g_code")
    expect(number).to_have_attribute("inputmode", "text")  # a G code starts with a letter
    page.select_option("#id_kind", "national_id")
    expect(number).to_have_attribute("inputmode", "numeric")
