"""The home page's "งานของฉัน" (app/home.py, app/pages/home.py): each role finds its own node's
state, window, learners, what blocks it and its one next step; the level below with the returns it
may make; a manager the figures with no button. The figures are checked against the database, the
buttons against the rules that take the steps."""

import re
from datetime import date

import pytest
from browsing import confirmations_kept, guide_shot, log_in, open_context
from playwright.sync_api import expect
from sqlalchemy import event, func, insert, select, text, update

from app import home
from app.context import acting_as
from app.extensions import db
from app.levels import org_key
from app.models import AcademicYear, Confirmation, Lao, LecUser, Notification, Province, School, Student
from app.thai import format_be_date
from app.workflow import CONFIRMED, confirm_school, confirmation_of, return_school

from conftest import SCHOOL_OF, close_entry_until, new_national_id, restore_dates, visible_text


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def home_of(client):
    """The home page's own part (after the menu and the notice), as HTML."""
    html = client.get("/").get_data(as_text=True)
    assert 'id="home"' in html
    return html[html.index('id="home"') :]


def set_state(app, model, code, state):
    with app.app_context():
        key = org_key(model.__name__.lower(), org(model, code).id)
        db.session.execute(
            update(Confirmation).where(Confirmation.org_key == key, Confirmation.academic_year_id == year().id)
            .values(state=state)
        )  # fmt: skip
        db.session.commit()


def learners_counted(school_ids):
    """{(class level, sex): active learners of the year} in these schools, straight from the table."""
    rows = db.session.execute(
        select(Student.class_level, Student.sex, func.count())
        .where(Student.academic_year_id == year().id, Student.status == "active", Student.school_id.in_(school_ids))
        .group_by(Student.class_level, Student.sex)
    )
    return {(level, sex): count for level, sex, count in rows}


def learner_table(html):
    """{(class level, sex): count} as the home page's learner table shows it."""
    table = html[html.index('id="home-learners"') :]
    table = table[: table.index("</table>")]
    shown = {}
    for level, male, female, total in re.findall(
        r'<tr data-level="(\w+)"><td>[^<]*</td><td>([\d,]+)</td><td>([\d,]+)</td><td>([\d,]+)</td></tr>', table
    ):
        male, female = int(male.replace(",", "")), int(female.replace(",", ""))
        assert int(total.replace(",", "")) == male + female
        shown.update({(level, "M"): male, (level, "F"): female})
    return {key: count for key, count in shown.items() if count}


@pytest.mark.parametrize("username", ["school", "lao", "province", "central", "manager"])
def test_each_role_reads_its_learners_by_class_level_and_sex_as_the_database_counts_them(app, as_user, username):
    html = home_of(as_user(username))
    with app.app_context():
        scope = {
            "school": [org(School, SCHOOL_OF["school"]).id],
            "lao": select(School.id).where(School.lao_id == org(Lao, "3500101").id),
            "province": select(School.id).join(Lao).where(Lao.province_id == org(Province, "50").id),
        }.get(username, select(School.id))
        counted = learners_counted(scope)
    assert learner_table(html) == counted
    assert re.search(r'id="home-learner-total">%s<' % "{:,}".format(sum(counted.values())), html)


def test_a_school_with_nothing_in_the_way_gets_one_confirm_button_that_takes_the_lists_own_step(app, as_user, fresh):
    client = as_user("school")
    html = home_of(client)
    with app.app_context():
        school_id = org(School, SCHOOL_OF["school"]).id
    form = re.search(r'<form method="post" action="([^"]+)" id="home-confirm">(.*?)</form>', html, re.S)
    assert form and form.group(1) == "/schoolview/action_post"
    assert 'name="action" value="confirm_school"' in form.group(2)
    assert 'name="rowid" value="%d"' % school_id in form.group(2)
    assert html.count("<form") == 1 and "home-reasons" not in html
    assert "ยืนยันข้อมูล" in visible_text(html) and "เหลืออีก" in visible_text(html)

    answer = client.post("/schoolview/action_post", data={"action": "confirm_school", "rowid": school_id},
                         headers={"Referer": "http://localhost/"})  # fmt: skip
    assert answer.status_code == 302 and answer.location.endswith("/")
    with app.app_context():
        assert confirmation_of(db.session.get(School, school_id), year()).state == CONFIRMED
    after = home_of(client)
    assert "<form" not in after and "home-blockers" not in after
    assert "ยืนยันแล้ว" in visible_text(after)


def test_a_school_with_a_blocking_error_is_told_why_and_each_count_leads_to_the_learners_behind_it(app, as_user, fresh):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        good = new_national_id(4242)
        bad_id = db.session.execute(insert(Student).values(
            academic_year_id=year().id, school_id=school.id, id_kind="national_id", id_number=good[:-1] + "X",
            first_name="ธนากร", last_name="เลขผิด", sex="M", birth_date=date(year().year - 543 - 7, 1, 10),
            nationality="ไทย", class_level="p1", status="active", created_on=date.today(), changed_on=date.today(),
        )).inserted_primary_key[0]  # fmt: skip
        db.session.commit()
        school_id = school.id
    try:
        html = home_of(as_user("school"))
        assert "<form" not in html and "home-confirm" not in html
        reasons = re.search(r'<ul id="home-reasons">(.*?)</ul>', html, re.S).group(1)
        assert "เลขประจำตัวประชาชนผิดหลักตรวจสอบหรือจำนวนหลัก (1)" in visible_text(reasons)
        link = "/quality/school/%d/national_id" % school_id
        assert re.search(r'<a href="%s">1</a>' % link, html)
        assert "เลขผิด" in visible_text(as_user("school").get(link).get_data(as_text=True))
    finally:
        with app.app_context():
            db.session.execute(text("DELETE FROM student WHERE id = :i"), {"i": bad_id})  # no history: inserted raw
            db.session.commit()


def test_a_returned_school_reads_why_by_whom_and_when_in_a_warning_with_the_link_to_what_changed(app, as_user, fresh):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        with as_account(app, "school"):
            confirm_school(school, year())
            db.session.commit()
        with as_account(app, "lao"):
            return_school(school, year(), "ห้องเรียนไม่ถูกต้อง")
            db.session.commit()
        school_id = school.id
    html = home_of(as_user("school"))
    returned = re.search(r'<div class="alert alert-warning" id="home-returned">(.*?)</div>', html, re.S).group(1)
    words = visible_text(returned)
    assert "ส่งคืนแก้ไขเพราะ ห้องเรียนไม่ถูกต้อง" in words
    assert "ส่งคืนโดย เจ้าหน้าที่ เทศบาลนครเชียงใหม่ เมื่อ %s" % format_be_date(date.today()) in words
    assert 'href="/workflow/changes/school/%d"' % school_id in returned
    assert 'id="home-confirm"' in html  # open again, and nothing in the way: it may confirm again


def test_an_lao_waits_for_its_schools_and_may_return_only_the_one_that_confirmed(app, as_user, fresh):
    set_state(app, School, SCHOOL_OF["school"], CONFIRMED)
    html = home_of(as_user("lao"))
    with app.app_context():
        lao = org(Lao, "3500101")
        schools = db.session.scalars(select(School).where(School.lao_id == lao.id)).all()
        confirmed = org(School, SCHOOL_OF["school"]).id
    assert "/action_post" not in html  # its own confirmation waits for its schools
    reasons = visible_text(re.search(r'<ul id="home-reasons">(.*?)</ul>', html, re.S).group(1))
    assert "ยังไม่ยืนยัน" in reasons and "โรงเรียนเทศบาลดอยเงิน" in reasons and "วัดเกตการาม" not in reasons
    summary = visible_text(re.search(r'<h4 id="home-below-summary">(.*?)</h4>', html, re.S).group(1))
    assert "สถานศึกษาที่ยืนยันแล้ว: 1 / %d" % len(schools) in summary
    rows = re.findall(r'<tr class="[^"]*" data-id="(\d+)">(.*?)</tr>', html, re.S)
    assert sorted(int(i) for i, _row in rows) == sorted(s.id for s in schools)
    for row_id, row in rows:
        assert 'href="/workflow/board/school/%s"' % row_id in row
        returns = 'href="/workflow/return/school/%s"' % row_id in row
        assert returns == (int(row_id) == confirmed), row_id

    set_state(app, Lao, "3500101", CONFIRMED)  # once the LAO has confirmed, it returns nothing
    assert "home-return" not in home_of(as_user("lao"))


def test_an_lao_reminds_a_school_that_has_not_confirmed_from_its_home_once_a_day(app, as_user, fresh):
    set_state(app, School, SCHOOL_OF["school"], CONFIRMED)
    lao = as_user("lao")
    html = home_of(lao)
    with app.app_context():
        confirmed, open_school = org(School, SCHOOL_OF["school"]).id, org(School, SCHOOL_OF["cdc"]).id
        accounts = set(db.session.scalars(select(LecUser.id).where(LecUser.school_id == open_school, LecUser.active)))
        before = db.session.scalar(select(func.max(Notification.id))) or 0
    rows = dict(re.findall(r'<tr class="[^"]*" data-id="(\d+)">(.*?)</tr>', html, re.S))
    assert 'action="/notifications/remind/school/%d"' % open_school in rows[str(open_school)]
    assert "/notifications/remind/" not in rows[str(confirmed)]  # nothing to remind a confirmed school of

    lao.post("/notifications/remind/school/%d" % open_school, headers={"Referer": "/"})
    lao.post("/notifications/remind/school/%d" % open_school, headers={"Referer": "/"})  # a second press: refused
    with app.app_context():
        sent = db.session.execute(
            select(Notification.recipient_id, Notification.kind).where(Notification.id > before)
        ).all()
    assert accounts and sorted(sent) == sorted((account, "remind") for account in accounts)
    assert "home-remind" not in home_of(as_user("manager"))


def test_late_organisations_below_come_first_and_are_marked(app, as_user, fresh):
    with app.app_context():
        saved = close_entry_until(year(), "lao_deadline")
        db.session.commit()
        lao_id = org(Lao, "3500101").id
    try:
        set_state(app, Lao, "3500101", CONFIRMED)
        html = home_of(as_user("province"))
        rows = re.findall(r'<tr class="([^"]*)" data-id="(\d+)">', html)
        late = [row_id for css, row_id in rows if css == "danger"]
        assert late and str(lao_id) not in late
        assert [row_id for _css, row_id in rows][: len(late)] == late
        assert "เกินกำหนด: %d" % len(late) in visible_text(html)
    finally:
        with app.app_context():
            restore_dates(year(), saved)
            db.session.commit()


def test_central_may_return_a_confirmed_province_and_the_manager_reads_the_same_figures_with_no_button(
    app, as_user, fresh
):
    set_state(app, Province, "50", CONFIRMED)
    central, manager = home_of(as_user("central")), home_of(as_user("manager"))
    with app.app_context():
        province_id = org(Province, "50").id
        provinces = db.session.scalar(select(func.count(Province.id)))
    assert 'href="/workflow/return/province/%d"' % province_id in central
    assert "จังหวัดที่ยืนยันแล้ว: 1 / %d" % provinces in visible_text(central)
    assert "จังหวัดที่ยืนยันแล้ว: 1 / %d" % provinces in visible_text(manager)
    assert learner_table(manager) == learner_table(central)
    for forbidden in ("<form", "<button", "home-return", "home-confirm", "/action_post"):
        assert forbidden not in manager, forbidden


def test_a_role_without_the_steps_gets_no_button_at_a_node_where_the_workflow_would_allow_them(app, ctx):
    """A manager may sit at an LAO: the workflow decides by the level, the role by the account, and
    my_work offers a step only where both allow it."""
    school = org(School, SCHOOL_OF["school"])
    confirmation_of(school, year()).state = CONFIRMED
    db.session.flush()
    with as_account(app, "lao"):
        officer = home.my_work(lambda permission, view: True)
        reader = home.my_work(lambda permission, view: False)
    assert officer.step is not None and officer.below.returnable == {school.id}
    assert reader.step is None and reader.below.returnable == frozenset()
    assert reader.learners == officer.learners and reader.below.rows == officer.below.rows
    db.session.rollback()


def test_someone_not_signed_in_gets_the_sign_in_button_and_no_figures(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/login/"' in html and 'id="home"' not in html and "home-learners" not in html


def test_my_work_reads_each_block_in_a_fixed_number_of_queries_whatever_the_size(app, ctx):
    def queries_for(username):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with as_account(app, username):
                work = home.my_work(lambda permission, view: True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), work

    lao, province = org(Lao, "3500101"), org(Province, "50")
    for username in ("lao", "province", "central"):
        queries_for(username)  # once first, so that what the session keeps is loaded as on a page
    before = {username: queries_for(username)[0] for username in ("lao", "province", "central")}
    for number in range(3):  # more LAOs and schools, in a savepoint that is rolled back
        extra = Lao(code="59980%02d" % number, kind="sao", name_th="อบต.ทดสอบ %d" % number, province=province)
        db.session.add_all([extra, *[School(code="10598%03d%02d" % (number, n), kind="school",
                                            name_th="โรงเรียนทดสอบ %d" % n, lao=extra) for n in range(3)]])  # fmt: skip
        db.session.add(School(code="10598999%02d" % number, kind="school", name_th="โรงเรียนเพิ่ม", lao=lao))
    db.session.flush()
    after = {username: queries_for(username) for username in ("lao", "province", "central")}
    assert {username: count for username, (count, _work) in after.items()} == before
    assert len(after["lao"][1].below.rows) == 6 and len(after["province"][1].below.rows) == 7
    db.session.rollback()


# -- in a browser ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["school", "lao", "province", "central", "manager"])
def test_each_role_signs_in_to_its_own_home_blocks_and_its_one_next_step(page, live_server, username):
    app = live_server.app
    with confirmations_kept(app):
        if username != "school":  # a part below has confirmed: a return is offered, to all but the manager
            with app.app_context():
                key = {"lao": org_key("school", org(School, SCHOOL_OF["school"]).id),
                       "province": org_key("lao", org(Lao, "3500101").id),
                       "central": org_key("province", org(Province, "50").id),
                       "manager": org_key("province", org(Province, "50").id)}[username]  # fmt: skip
                db.session.execute(update(Confirmation).where(Confirmation.org_key == key).values(state=CONFIRMED))
                db.session.commit()
        log_in(page, username)
        page.goto("/")
        own = page.locator("#home")
        expect(own.locator(".panel-title")).to_contain_text("งานของฉัน")
        expect(page.locator("#home-learners tbody tr").first).to_be_visible()
        if username == "school":
            expect(page.locator("#home-own")).to_contain_text("เหลืออีก")
            expect(page.locator("#home-confirm button")).to_have_text(re.compile(r"\s*ยืนยันข้อมูล\s*"))
            expect(page.locator("#home-no-blockers")).to_be_visible()
        elif username in ("lao", "province"):
            expect(page.locator("#home-reasons li").first).to_contain_text("ยังไม่ยืนยัน")
            expect(page.locator("#home-confirm")).to_have_count(0)
            expect(page.locator("#home-below-summary")).to_contain_text("ที่ยืนยันแล้ว: 1 /")
            expect(page.locator("#home-below a.home-return")).to_have_count(1)
        else:
            expect(page.locator("#home-below-summary")).to_contain_text("จังหวัดที่ยืนยันแล้ว: 1 /")
            expect(page.locator("#home-step")).to_have_count(0)
            expect(page.locator("#home-below a.home-return")).to_have_count(1 if username == "central" else 0)
            if username == "manager":
                expect(own.locator("form, button")).to_have_count(0)
        guide_shot(page, {"school": "home-school", "lao": "home-lao", "province": "home-province",
                          "central": "home-central", "manager": "home-manager"}[username])  # fmt: skip

        page.set_viewport_size({"width": 390, "height": 844})  # a phone: no page-wide sideways scrolling
        page.goto("/")
        expect(page.locator("#home-learners")).to_be_attached()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_school_confirms_from_its_home_and_sees_it_confirmed(browser, live_server):
    page = open_context(browser, live_server).new_page()
    try:
        with confirmations_kept(live_server.app):
            log_in(page, "school")
            page.goto("/")
            page.locator("#home-confirm button").click()
            expect(page.locator(".alert-success").first).to_contain_text("ยืนยันแล้ว")
            expect(page.locator("#home-own")).to_contain_text("ยืนยันโดย ครูธุรการ")
            expect(page.locator("#home-confirm")).to_have_count(0)
            expect(page.locator("#entry-notice")).to_contain_text("ข้อมูลถูกล็อก")
    finally:
        page.context.close()
