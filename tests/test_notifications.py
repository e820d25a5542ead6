"""The inbox and its email (app/notifications.py): every workflow step notifies whom it concerns,
from any entry point; email reaches a real SMTP server (the ``mailbox`` fixture) when the account
has an address; deadline reminders go once per organisation and day."""

import re
from datetime import date, timedelta

import pytest
from flask import has_app_context
from sqlalchemy import event, func, select, text, update

from app import notifications
from app.context import acting_as
from app.demo import DEMO_USERS
from app.errors import OutOfScope, Refused
from app.extensions import db
from app.models import AcademicYear, Lao, LecUser, Notification, Province, School
from app.workflow import (
    CONFIRMED,
    confirm_lao,
    confirm_province,
    confirm_school,
    confirmation_of,
    grant_exception,
    next_steps,
    return_school,
)

from conftest import SCHOOL_OF, api_headers, sql_run_on, visible_text

LAO_CODE, PROVINCE_CODE, FOREIGN_LAO = "3500101", "50", "3400101"


@pytest.fixture(scope="module", autouse=True)
def only_the_demo_accounts(app):
    """While this module runs, the demo's accounts are the only active ones: other modules activate
    accounts from credential sheets and make accounts of their own, and reminders go to every open
    organisation's accounts. Put back as they were afterwards."""
    demo = [username for username, *_rest in DEMO_USERS]
    with app.app_context():
        others = list(db.session.scalars(select(LecUser.id).where(LecUser.active, LecUser.username.not_in(demo))))
        db.session.execute(update(LecUser).where(LecUser.id.in_(others)).values(active=False))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(update(LecUser).where(LecUser.id.in_(others)).values(active=True))
        db.session.commit()


@pytest.fixture(autouse=True)
def empty_inboxes(app):
    """Each test starts with no notification (the tests share one database)."""
    with app.app_context():
        db.session.execute(text("DELETE FROM notification"))
        db.session.commit()
    yield


def as_account(app, username):
    return acting_as(account(app, username).id)


def account(app, username):
    return app.appbuilder.sm.find_user(username=username)


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def sent():
    """(recipient username, kind, organisation name) of every notification, in order."""
    rows = db.session.execute(
        select(LecUser.username, Notification.kind, Notification.params)
        .join(LecUser, LecUser.id == Notification.recipient_id)
        .order_by(Notification.id)
    ).all()
    return [(username, kind, params.get("name")) for username, kind, params in rows]


def confirmed_without_steps(*organisations):
    """Mark organisations confirmed as a fixture would, with no step (so nobody is notified)."""
    for organisation in organisations:
        confirmation_of(organisation, year()).state = CONFIRMED
    db.session.commit()


def subjects(mailbox, address):
    return [message["Subject"] for message in mailbox.to(address)]


def accounts_at(condition):
    """The active accounts an organisation's notification reaches (other test modules add accounts
    to the demo's organisations, so the expected recipients are read, not listed)."""
    return sorted(db.session.scalars(select(LecUser.username).where(condition, LecUser.active)))


def addresses_of(usernames):
    """Where their email goes: accounts issued on a credential sheet hold a .invalid placeholder."""
    rows = db.session.scalars(select(LecUser.email).where(LecUser.username.in_(usernames)))
    return sorted(address for address in rows if address and not address.endswith(".invalid"))


# -- every event, to whom it concerns ----------------------------------------------------------


def test_a_school_confirming_tells_its_lao_and_nobody_else_by_inbox_and_email(app, fresh, ctx, mailbox):
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        confirm_school(school, year())
        db.session.commit()
    lao = accounts_at(LecUser.lao_id == school.lao_id)
    assert "lao" in lao and sent() == [(username, "confirmed_below", school.name_th) for username in lao]
    assert sorted(m["To"] for m in mailbox.messages) == addresses_of(lao)
    message = mailbox.to("lao@lec.example")[0]
    assert school.name_th in message["Subject"] and "ยืนยัน" in message["Subject"]
    assert "/workflow/board" in message.get_content()


def test_a_returned_school_is_told_why_and_by_whom(app, fresh, ctx, mailbox):
    school = org(School, SCHOOL_OF["school"])
    confirmed_without_steps(school)
    with as_account(app, "lao"):
        return_school(school, year(), "ชั้น ป.1 ขาดสองคน")
        db.session.commit()
    told = accounts_at(LecUser.school_id == school.id)
    assert "school" in told and sent() == [(username, "returned", school.name_th) for username in told]
    row = db.session.scalar(select(Notification).join(LecUser, LecUser.id == Notification.recipient_id)
                            .where(LecUser.username == "school"))  # fmt: skip
    assert (row.org_level, row.school_id, row.link) == ("school", school.id, "/workflow/board")
    title, words = notifications.words(row.kind, row.params)
    assert "ส่งคืน" in title and "ชั้น ป.1 ขาดสองคน" in words and "เทศบาลนครเชียงใหม่" in words
    [message] = mailbox.to("school@lec.example")
    assert "ชั้น ป.1 ขาดสองคน" in message.get_content()
    assert sorted(m["To"] for m in mailbox.messages) == addresses_of(told)


def test_an_lao_confirming_tells_its_province_and_each_of_its_schools(app, fresh, ctx, mailbox):
    lao = org(Lao, LAO_CODE)
    confirmed_without_steps(*lao.schools)
    with as_account(app, "lao"):
        confirm_lao(lao, year())
        db.session.commit()
    below = accounts_at(LecUser.school_id.in_([school.id for school in lao.schools]))
    above = accounts_at(LecUser.province_id == lao.province_id)
    assert {"cdc", "school"} <= set(below) and "province" in above
    assert sorted(sent()) == sorted([(username, "confirmed_above", lao.name_th) for username in below]
                                    + [(username, "confirmed_below", lao.name_th) for username in above])  # fmt: skip
    assert sorted(m["To"] for m in mailbox.messages) == addresses_of(below + above)


def test_a_province_confirming_tells_central_and_its_laos(app, fresh, ctx, mailbox):
    province = org(Province, PROVINCE_CODE)
    laos = db.session.scalars(select(Lao).where(Lao.province_id == province.id)).all()
    confirmed_without_steps(*laos)
    with as_account(app, "province"):
        confirm_province(province, year())
        db.session.commit()
    above = accounts_at(LecUser.org_level == "central")  # central's officers and its managers
    below = accounts_at(LecUser.lao_id.in_([lao.id for lao in laos]))
    assert {"central", "manager"} <= set(above) and "lao" in below
    told = [(username, "confirmed_below", province.name_th) for username in above]
    told += [(username, "confirmed_above", province.name_th) for username in below]
    assert sorted(sent()) == sorted(told)
    assert sorted(m["To"] for m in mailbox.messages) == addresses_of(above + below)


def test_an_exception_tells_the_organisation_until_when(app, fresh, ctx, mailbox):
    school = org(School, SCHOOL_OF["cdc"])
    until = date.today() + timedelta(days=5)
    with as_account(app, "central"):
        grant_exception(school, year(), until, "น้ำท่วม")
        db.session.commit()
    told = accounts_at(LecUser.school_id == school.id)
    assert "cdc" in told and sent() == [(username, "exception_granted", school.name_th) for username in told]
    [message] = mailbox.to("cdc@lec.example")
    be = "%02d/%02d/%d" % (until.day, until.month, until.year + 543)
    assert be in message["Subject"] and "น้ำท่วม" in message.get_content()


def test_trying_every_step_in_savepoints_notifies_nobody_and_sends_nothing(app, fresh, ctx, mailbox):
    """workflow.next_steps takes each step and rolls it back: the status screens and the API ask it."""
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        assert next_steps(school, year())["confirm"] == []
        db.session.commit()
    confirmed_without_steps(school)
    with as_account(app, "lao"):
        assert next_steps(school, year())["return"] == []
        db.session.commit()
    with as_account(app, "central"):
        assert next_steps(school, year())["exception"] == []
        db.session.commit()
    assert sent() == [] and mailbox.messages == []


def test_an_account_without_an_address_gets_the_notification_and_no_email(app, fresh, ctx, mailbox):
    """An account issued on a credential sheet holds a .invalid placeholder until it is activated."""
    lao_account = account(app, "lao")
    lao_account.email = "lao@lec.invalid"
    db.session.commit()
    try:
        with as_account(app, "school"):
            confirm_school(org(School, SCHOOL_OF["school"]), year())
            db.session.commit()
        assert [row[:2] for row in sent()] == [("lao", "confirmed_below")]
        assert mailbox.messages == []
    finally:
        lao_account.email = "lao@lec.example"
        db.session.commit()


def test_without_a_mail_server_the_inbox_still_fills(app, fresh, ctx):
    assert not app.config.get("MAIL_SERVER")
    with as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
    assert [row[:2] for row in sent()] == [("lao", "confirmed_below")]


def test_a_refused_step_notifies_nobody(app, fresh, ctx, mailbox):
    with as_account(app, "lao"), pytest.raises(Refused):
        confirm_lao(org(Lao, LAO_CODE), year())  # its schools have not confirmed
    db.session.rollback()
    db.session.commit()
    assert sent() == [] and mailbox.messages == []


# -- through the screens and the API --------------------------------------------------------------


def test_a_return_on_the_screen_notifies_the_school(app, fresh, as_user, mailbox):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        confirmed_without_steps(school)
        school_id, name = school.id, school.name_th
    client = as_user("lao")
    response = client.post("/workflow/return/school/%d" % school_id, data={"reason": "เลขประจำตัวผิด"})
    assert response.status_code == 302
    with app.app_context():
        assert sent() == [("school", "returned", name)]
    assert "เลขประจำตัวผิด" in mailbox.to("school@lec.example")[0].get_content()


def test_a_confirmation_by_the_api_notifies_the_lao(app, fresh, client, mailbox):
    with app.app_context():
        school, current = org(School, SCHOOL_OF["school"]), year().year
        name = school.name_th
    headers = api_headers(client, "school")
    response = client.post(
        "/api/v1/workflow/confirm", json={"org": SCHOOL_OF["school"], "year": current}, headers=headers
    )
    assert response.status_code == 200
    with app.app_context():
        assert sent() == [("lao", "confirmed_below", name)]
    assert subjects(mailbox, "lao@lec.example") and len(mailbox.messages) == 1


def test_the_status_api_which_tries_every_step_notifies_nobody(app, fresh, client, mailbox):
    with app.app_context():
        current = year().year
    headers = api_headers(client, "school")
    response = client.get("/api/v1/workflow/status?org=%s&year=%d" % (SCHOOL_OF["school"], current), headers=headers)
    assert response.status_code == 200 and response.json["next"]["confirm"]["allowed"]
    with app.app_context():
        assert sent() == []
    assert mailbox.messages == []


# -- deadline reminders --------------------------------------------------------------------------


@pytest.fixture
def deadlines(app):
    """Set the current year's deadlines for a test, and put them back after."""
    names = ("school_deadline", "lao_deadline", "province_deadline")
    with app.app_context():
        saved = {name: getattr(year(), name) for name in names}

    def set_deadlines(**days):
        current = year()
        for name, n in days.items():
            setattr(current, name, date.today() + timedelta(days=n))
        db.session.commit()

    yield set_deadlines
    if has_app_context():  # a failed test's transaction (ctx's session) may hold the year row's lock
        db.session.rollback()
    with app.app_context():
        current = year()
        for name, value in saved.items():
            setattr(current, name, value)
        db.session.commit()


def count_notifications():
    return db.session.scalar(select(func.count(Notification.id)))


def test_reminders_go_to_each_open_organisation_once_a_day(app, fresh, ctx, mailbox, deadlines):
    deadlines(school_deadline=3, lao_deadline=20, province_deadline=25)
    confirmed_without_steps(org(School, SCHOOL_OF["cdc"]))  # confirmed: not reminded
    today = date.today()
    reminded = notifications.send_deadline_reminders(today, [7, 3, 1])
    db.session.commit()
    school = org(School, SCHOOL_OF["school"])
    assert sent() == [("school", "deadline", school.name_th)]  # the only open school with an account
    assert reminded == 1
    [message] = mailbox.messages
    assert message["To"] == "school@lec.example" and "3" in message["Subject"]
    # Again the same day (cron runs every hour): nothing more, in the inbox or by mail.
    assert notifications.send_deadline_reminders(today, [7, 3, 1]) == 0
    db.session.commit()
    assert count_notifications() == 1 and len(mailbox.messages) == 1
    # The next day, two days before: not one of the days asked for.
    assert notifications.send_deadline_reminders(today + timedelta(days=1), [7, 3, 1]) == 0
    # Two days later, one day before: reminded again.
    assert notifications.send_deadline_reminders(today + timedelta(days=2), [7, 3, 1]) == 1
    db.session.commit()
    assert count_notifications() == 2 and len(mailbox.messages) == 2


def test_an_exception_moves_the_reminder_to_its_own_end(app, fresh, ctx, deadlines):
    deadlines(school_deadline=1, lao_deadline=20, province_deadline=25)
    school = org(School, SCHOOL_OF["school"])
    confirmation_of(school, year()).exception_until = date.today() + timedelta(days=7)
    db.session.commit()
    assert notifications.send_deadline_reminders(date.today(), [7]) == 1
    db.session.commit()
    # the school is reminded of its exception's end; the cdc of the year's deadline (7 days: no)
    assert sent() == [("school", "deadline", school.name_th)]
    row = db.session.scalar(select(Notification))
    assert row.params["days"] == "7"


def test_reminders_cost_the_same_few_statements_however_many_organisations_are_due(app, fresh, ctx, deadlines):
    """Set-based at national size: a query per level, one for those already reminded, one INSERT."""
    deadlines(school_deadline=7, lao_deadline=7, province_deadline=7)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert notifications.send_deadline_reminders(date.today(), [7]) == 4  # 2 schools, their LAO, its province
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.commit()
    assert len(statements) <= 6, statements
    assert len([s for s in statements if s.startswith("INSERT INTO notification")]) == 1


def test_lao_and_province_deadlines_remind_their_own_accounts(app, fresh, ctx, deadlines):
    deadlines(school_deadline=1, lao_deadline=7, province_deadline=7)
    notifications.send_deadline_reminders(date.today(), [7])
    db.session.commit()
    assert sorted(row[:2] for row in sent()) == [("lao", "deadline"), ("province", "deadline")]


def test_flask_lec_remind_sends_once_however_often_cron_runs_it(app, fresh, mailbox, deadlines):
    with app.app_context():
        deadlines(school_deadline=7, lao_deadline=20, province_deadline=25)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lec", "remind", "--days", "7,3,1"])
    assert first.exit_code == 0, first.output
    assert "2 organisations reminded" in first.output  # the school's and the cdc's own schools
    second = runner.invoke(args=["lec", "remind"])
    assert second.exit_code == 0 and "0 organisations reminded" in second.output
    with app.app_context():
        assert sorted(row[:2] for row in sent()) == [("cdc", "deadline"), ("school", "deadline")]
    assert sorted(m["To"] for m in mailbox.messages) == ["cdc@lec.example", "school@lec.example"]
    assert runner.invoke(args=["lec", "remind", "--days", "x"]).exit_code != 0


# -- the level above's own reminder -------------------------------------------------------------


def test_a_province_reminds_one_of_its_laos_once_a_day(app, fresh, as_user, mailbox):
    with app.app_context():
        lao = org(Lao, LAO_CODE)
        lao_id, name, sender = lao.id, lao.name_th, org(Province, PROVINCE_CODE).name_th
    client = as_user("province")
    response = client.post("/notifications/remind/lao/%d" % lao_id, headers={"Referer": "/"})
    assert response.status_code == 302
    with app.app_context():
        assert sent() == [("lao", "remind", name)]
    assert sender in mailbox.to("lao@lec.example")[0]["Subject"]
    again = client.post("/notifications/remind/lao/%d" % lao_id, headers={"Referer": "/"}, follow_redirects=True)
    assert "เตือนแล้ววันนี้" in visible_text(again.get_data(as_text=True))
    with app.app_context():
        assert len(sent()) == 1
    assert len(mailbox.messages) == 1


def test_a_reminder_is_refused_beyond_one_level_below_or_outside_the_area(app, fresh, ctx, as_user):
    school, foreign = org(School, SCHOOL_OF["school"]), org(Lao, FOREIGN_LAO)
    with as_account(app, "province"), pytest.raises(Refused):
        notifications.remind(school)  # two levels below
    with as_account(app, "province"), pytest.raises(OutOfScope):
        notifications.remind(foreign)  # another province's LAO
    with as_account(app, "lao"), pytest.raises(Refused):
        notifications.remind(org(Province, PROVINCE_CODE))  # above
    confirmed_without_steps(school)
    with as_account(app, "lao"), pytest.raises(Refused, match="ยืนยัน"):
        notifications.remind(school)  # it has confirmed
    db.session.rollback()
    assert sent() == []
    province = as_user("province")
    assert province.post("/notifications/remind/lao/%d" % foreign.id).status_code == 404
    assert as_user("school").post("/notifications/remind/school/%d" % school.id).status_code in (302, 403)
    assert sent() == []


def test_an_lao_reminds_one_of_its_schools(app, fresh, ctx):
    school = org(School, SCHOOL_OF["cdc"])
    with as_account(app, "lao"):
        recipients = notifications.remind(school)
        db.session.commit()
    assert recipients == [account(app, "cdc").id]
    assert sent() == [("cdc", "remind", school.name_th)]


# -- the inbox and the bell --------------------------------------------------------------------


def notify_school(app, kind="returned", **params):
    with app.app_context(), as_account(app, "lao"):
        notifications.notify(kind, org(School, SCHOOL_OF["school"]), reason="ทดสอบ", **params)
        db.session.commit()
        return db.session.scalar(select(func.max(Notification.id)))


def test_the_inbox_lists_newest_first_and_opening_one_marks_it_read_and_follows_its_link(app, as_user):
    first = notify_school(app, "returned")
    second = notify_school(app, "exception_granted", date="01/01/2570")
    client = as_user("school")
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index('data-id="%d"' % second) < page.index('data-id="%d"' % first)
    assert page.count("lec-unread") == 2 and "ส่งคืน" in visible_text(page)
    assert '<span class="badge" id="unread-count">2</span>' in client.get("/").get_data(as_text=True)
    opened = client.get("/notifications/open/%d" % first)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/workflow/board")
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count("lec-unread") == 1 and page.count("lec-read") == 1
    assert '<span class="badge" id="unread-count">1</span>' in page


def test_mark_all_read_clears_the_bell(app, as_user):
    notify_school(app)
    notify_school(app)
    client = as_user("school")
    assert client.post("/notifications/read-all").status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert "lec-unread" not in page and 'id="unread-count"' not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.read_on.is_(None))) == 0


def test_nobody_opens_or_reads_another_accounts_notification(app, as_user):
    mine = notify_school(app)
    other = as_user("cdc")
    assert other.get("/notifications/open/%d" % mine).status_code == 404
    assert 'data-id="%d"' % mine not in other.get("/notifications/").get_data(as_text=True)
    other.post("/notifications/read-all")
    with app.app_context():
        assert db.session.get(Notification, mine).read_on is None
    assert as_user("central").get("/notifications/open/%d" % mine).status_code == 404


@pytest.mark.parametrize("username", ["central", "province", "lao", "school", "cdc", "manager"])
def test_every_role_reads_its_own_inbox_and_sees_the_bell(as_user, username):
    client = as_user(username)
    assert client.get("/notifications/").status_code == 200
    assert 'id="notification-bell"' in client.get("/").get_data(as_text=True)


def test_the_bell_counts_once_and_again_when_a_notification_is_written_or_read(app, as_user):
    client = as_user("school")
    with app.app_context():
        engine = db.engine

    def bell():
        with sql_run_on(engine) as statements:
            page = client.get("/schoolview/list/").get_data(as_text=True)
        shown = re.search(r'<span class="badge" id="unread-count">(\d+)</span>', page)
        return int(shown.group(1)) if shown else 0, len([s for s in statements if "FROM notification" in s])

    client.post("/notifications/read-all")
    assert bell() == (0, 1)
    assert bell() == (0, 0)  # kept
    newest = notify_school(app)
    assert bell() == (1, 1)
    client.get("/notifications/open/%d" % newest)
    assert bell() == (0, 1)


def test_a_visitor_not_signed_in_sees_no_bell(client):
    assert 'id="notification-bell"' not in client.get("/login/").get_data(as_text=True)


# -- the one call other features make ------------------------------------------------------------


def test_another_feature_notifies_an_organisation_with_one_call(app, ctx, mailbox):
    school, lao = org(School, SCHOOL_OF["school"]), org(Lao, LAO_CODE)
    with as_account(app, "school"):
        recipients = notifications.notify(
            "exception_asked", lao, name=school.name_th, date="01/01/2570", reason="ครูลาคลอด"
        )
        db.session.commit()
    assert recipients == [account(app, "lao").id]
    row = db.session.scalar(select(Notification))
    assert (row.kind, row.org_level, row.lao_id) == ("exception_asked", "lao", lao.id)
    [message] = mailbox.to("lao@lec.example")
    assert school.name_th in message["Subject"]
    assert "ครูลาคลอด" in message.get_content() and "ครูธุรการ" in message.get_content()  # who asked


def test_the_acting_user_is_not_told_of_their_own_step_and_none_means_central(app, ctx):
    with as_account(app, "lao"):
        assert notifications.notify("remind", org(Lao, LAO_CODE)) == []
        central = notifications.notify("exception_asked", None, name="x")
        db.session.commit()
    assert sorted(central) == sorted([account(app, "central").id, account(app, "manager").id])
    assert sorted(row[0] for row in sent()) == ["central", "manager"]


# -- in a real browser -----------------------------------------------------------------------------


def test_in_the_browser_the_lao_returns_and_reminds_a_school_which_reads_both_in_its_inbox(browser, live_server):
    """The LAO, on its home page, returns its confirmed school with a reason and then reminds it
    (เตือน); the school signs in to a bell counting two, opens the inbox, opens the return: it is
    marked read and the bell counts one."""
    from browsing import SCHOOL_NAME, confirmations_kept, guide_shot, log_in, open_context
    from playwright.sync_api import expect

    app = live_server.app
    lao = open_context(browser, live_server).new_page()
    school = open_context(browser, live_server).new_page()

    def school_inbox():
        return (select(Notification).join(LecUser, LecUser.id == Notification.recipient_id)
                .where(LecUser.username == "school"))  # fmt: skip

    with app.app_context():
        last = db.session.scalar(select(func.max(Notification.id))) or 0
        leftover = school_inbox().with_only_columns(Notification.id)  # from other tests: the count starts at 0
        db.session.execute(Notification.__table__.delete().where(Notification.id.in_(leftover)))
        db.session.commit()
    try:
        with confirmations_kept(app):
            with app.app_context():
                confirmed_without_steps(org(School, SCHOOL_OF["school"]))
            log_in(lao, "lao")
            row = lao.locator("#home-below tr", has_text=SCHOOL_NAME)
            row.locator("a.home-return").click()
            lao.fill("#reason", "ชั้น ป.1 ขาดนักเรียนสองคน")
            lao.locator("#reason-form button[type=submit]").click()
            expect(lao.locator(".alert-success").first).to_contain_text("บันทึกแล้ว")
            lao.goto("/")
            row.locator("form.home-remind button").click()
            expect(lao.locator(".alert-success").first).to_contain_text(SCHOOL_NAME)
            expect(row.locator("form.home-remind")).to_have_count(1)  # still open: the button stays

            log_in(school, "school")
            expect(school.locator("#notification-bell #unread-count")).to_have_text("2")
            guide_shot(school, "inbox-bell")
            school.locator("#notification-bell").click()
            rows = school.locator("#inbox tbody tr")
            expect(rows).to_have_count(2)
            expect(school.locator("#inbox tr.lec-unread")).to_have_count(2)
            returned = rows.filter(has_text="ชั้น ป.1 ขาดนักเรียนสองคน")
            expect(returned).to_contain_text("ส่งคืน")
            expect(rows.first).to_contain_text("เตือน")  # newest first: the reminder came after
            guide_shot(school, "inbox-list")
            returned.locator("a").click()
            expect(school).to_have_url(re.compile(r"/workflow/board$"))
            expect(school.locator("#notification-bell #unread-count")).to_have_text("1")
            school.goto("/notifications/")
            expect(school.locator("#inbox tr.lec-read")).to_contain_text("ชั้น ป.1 ขาดนักเรียนสองคน")
            expect(school.locator("#inbox tr.lec-unread")).to_have_count(1)
            with app.app_context():
                read = db.session.scalars(school_inbox().where(Notification.read_on.is_not(None))).all()
                assert [row.kind for row in read] == ["returned"]
    finally:
        lao.context.close()
        school.context.close()
        with app.app_context():
            db.session.execute(Notification.__table__.delete().where(Notification.id > last))
            db.session.commit()
