"""Exception requests (app/exceptions.py): an organisation past its deadline asks, the level that
grants exceptions grants with a date (entry opens again) or refuses with a reason (entry stays
closed), and the organisation reads the answer; on the screens, through the REST API and in the
domain. The demo school of เชียงใหม่ asks; ขอนแก่น is the province outside the province officer's area."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from app import exceptions
from app.context import acting_as
from app.errors import Invalid, Locked, OutOfScope, Refused
from app.exceptions import (
    GRANTED,
    REFUSED,
    REQUESTED,
    ask_for_exception,
    grant_request,
    needs_exception,
    refuse_request,
    requests_of,
    requests_to_answer,
)
from app.extensions import db
from app.models import (
    AcademicYear,
    Confirmation,
    ExceptionRequest,
    Lao,
    LecUser,
    Notification,
    Province,
    School,
    Student,
    Transition,
)  # fmt: skip
from app.workflow import CONFIRMED, confirmation_of, return_school

from conftest import SCHOOL_OF, api_headers, close_entry_until, learner_of, restore_dates, visible_text

LATER = date.today() + timedelta(days=7)


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def be(day):
    return "%02d/%02d/%d" % (day.day, day.month, day.year + 543)


def requests_count():
    return db.session.scalar(select(func.count(ExceptionRequest.id)))


def the_school():
    return org(School, SCHOOL_OF["school"])


@contextmanager
def deadline_passed(app, deadline="school_deadline"):
    """The current year's deadlines up to ``deadline`` at yesterday for the block, as the calendar
    would have them."""
    with app.app_context():
        saved = close_entry_until(year(), deadline)
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            restore_dates(year(), saved)
            db.session.commit()


@pytest.fixture
def clean(app, fresh):
    """No exception request before or after the test (tests share one database); every
    confirmation open, with no exception (``fresh``)."""
    with app.app_context():
        db.session.execute(delete(ExceptionRequest))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(delete(ExceptionRequest))
        db.session.commit()


@contextmanager
def granted_by(app, setting):
    saved = app.config.get("LEC_EXCEPTION_GRANTED_BY")
    app.config["LEC_EXCEPTION_GRANTED_BY"] = setting
    try:
        yield
    finally:
        app.config["LEC_EXCEPTION_GRANTED_BY"] = saved


def learner_change_refused(app, username):
    """The school's first learner changed as ``username``: the lock's refusal, or None when it passes
    (rolled back either way)."""
    with as_account(app, username):
        learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
        learner.room = "7" if learner.room != "7" else "6"
        try:
            db.session.flush()
        except Locked as locked:
            return str(locked)
        finally:
            db.session.rollback()
    return None


# -- the domain ------------------------------------------------------------------------------------


def test_a_school_past_its_deadline_asks_central_grants_and_the_school_can_edit_until_the_date(app, clean):
    with deadline_passed(app), app.app_context():
        assert "ปิดรับข้อมูล" in learner_change_refused(app, "school")
        with as_account(app, "school"):
            assert "ขอขยายเวลา" in needs_exception(the_school(), year())
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วย บันทึกไม่ทัน")
            db.session.commit()
            assert asked.state == REQUESTED and asked.org_level == "school" and asked.school_id == the_school().id
        with as_account(app, "central"):
            assert [r.id for r in requests_to_answer(year())] == [asked.id]
            grant_request(asked, LATER, "อนุญาตตามเหตุจำเป็น")
            db.session.commit()
        asked = db.session.get(ExceptionRequest, asked.id)
        assert (asked.state, asked.granted_until, asked.answer_reason) == (GRANTED, LATER, "อนุญาตตามเหตุจำเป็น")
        assert asked.answered_by.username == "central" and asked.answered_on is not None
        confirmation = confirmation_of(the_school(), year())
        assert confirmation.exception_until == LATER
        assert max(confirmation.transitions, key=lambda t: t.id).action == "exception"
        assert learner_change_refused(app, "school") is None
        with as_account(app, "school"):
            assert needs_exception(the_school(), year()) is None
        with as_account(app, "central"):
            assert requests_to_answer(year()) == []


def test_a_refused_request_leaves_entry_closed_and_the_school_reads_why(app, clean):
    with deadline_passed(app), app.app_context():
        with as_account(app, "school"):
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
            db.session.commit()
        with as_account(app, "central"):
            refuse_request(asked, "เหตุผลไม่เพียงพอ")
            db.session.commit()
        assert confirmation_of(the_school(), year()).exception_until is None
        assert "ปิดรับข้อมูล" in learner_change_refused(app, "school")
        with as_account(app, "school"):
            (answered,) = requests_of(the_school(), year())
            assert (answered.state, answered.answer_reason, answered.granted_until) == (REFUSED, "เหตุผลไม่เพียงพอ", None)
            assert needs_exception(the_school(), year()) is not None  # it may ask again


def test_asking_while_entry_is_open_or_once_confirmed_is_refused_and_writes_nothing(app, clean):
    with app.app_context(), as_account(app, "school"):
        with pytest.raises(Refused) as refused:
            ask_for_exception(the_school(), year(), LATER, "เผื่อไว้")
        assert "ไม่ต้องขอ" in str(refused.value)
        db.session.rollback()
        assert requests_count() == 0 and needs_exception(the_school(), year()) is None
    with deadline_passed(app), app.app_context():
        confirmation_of(the_school(), year()).state = CONFIRMED
        db.session.commit()
        with as_account(app, "school"), pytest.raises(Refused) as refused:
            ask_for_exception(the_school(), year(), LATER, "ขอแก้")
        assert "ส่งคืน" in str(refused.value)
        db.session.rollback()
        assert requests_count() == 0


def test_a_request_needs_a_reason_and_a_date_not_past_and_one_waits_at_a_time(app, clean):
    with deadline_passed(app), app.app_context(), as_account(app, "school"):
        with pytest.raises(Invalid) as invalid:
            ask_for_exception(the_school(), year(), date.today() - timedelta(days=1), "  ")
        assert set(invalid.value.errors) == {"reason", "needed_until"}
        db.session.rollback()
        assert requests_count() == 0
        ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
        db.session.commit()
        with pytest.raises(Refused) as refused:
            ask_for_exception(the_school(), year(), LATER, "ขออีกครั้ง")
        assert "รอคำตอบ" in str(refused.value)
        db.session.rollback()
        assert requests_count() == 1


def test_only_the_organisations_own_account_asks_and_a_stranger_reads_it_as_not_found(app, clean):
    with deadline_passed(app), app.app_context():
        with as_account(app, "lao"), pytest.raises(Refused):
            ask_for_exception(the_school(), year(), LATER, "ขอแทนโรงเรียน")
        db.session.rollback()
        with as_account(app, "province"), pytest.raises(OutOfScope):
            ask_for_exception(org(School, "1040130001"), year(), LATER, "ขอแทนโรงเรียนขอนแก่น")
        db.session.rollback()
        assert requests_count() == 0


def test_a_returned_school_past_its_deadline_is_told_it_needs_an_exception_and_offered_the_form(app, as_user, clean):
    with app.app_context():
        confirmation_of(the_school(), year()).state = CONFIRMED
        db.session.commit()
        with as_account(app, "lao"):
            return_school(the_school(), year(), "ชื่อสะกดผิด")
            db.session.commit()
    with deadline_passed(app):
        with app.app_context(), as_account(app, "school"):
            told = needs_exception(the_school(), year())
            assert "ส่งคืน" in told and "ขอขยายเวลา" in told
        page = as_user("school").get("/exceptions/")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and told in visible_text(html)
        assert 'id="exception-ask-link" href="/exceptions/ask"' in html
        form = as_user("school").get("/exceptions/ask").get_data(as_text=True)
        assert told in visible_text(form) and 'name="needed_until"' in form
        banner = banner_of(as_user("school").get("/"))  # every screen's banner says it too
        assert told in visible_text(banner) and 'id="banner-exception-ask" href="/exceptions/ask"' in banner
        with app.app_context(), as_account(app, "school"):
            ask_for_exception(the_school(), year(), LATER, "ชื่อสะกดผิด ต้องแก้")
            db.session.commit()
        banner = banner_of(as_user("school").get("/"))
        assert "banner-exception-ask" not in banner and "กำลังรอการพิจารณา" in visible_text(banner)


def banner_of(page):
    html = page.get_data(as_text=True)
    start = html.index('id="entry-notice"')
    return html[start : html.index("</div>", start)]


def test_a_level_that_does_not_grant_cannot_answer_and_an_answer_is_given_once(app, clean):
    with deadline_passed(app), app.app_context():
        with as_account(app, "school"):
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
            db.session.commit()
        for username in ("province", "lao", "school"):
            with as_account(app, username):
                assert requests_to_answer(year()) == []
                with pytest.raises(Refused):
                    grant_request(asked, LATER, "อนุญาต")
                db.session.rollback()
                with pytest.raises(Refused):
                    refuse_request(asked, "ไม่อนุญาต")
                db.session.rollback()
        asked = db.session.get(ExceptionRequest, asked.id)
        assert asked.state == REQUESTED and confirmation_of(the_school(), year()).exception_until is None
        with as_account(app, "central"):
            refuse_request(asked, "ไม่อนุญาต")
            db.session.commit()
            with pytest.raises(Refused) as refused:
                grant_request(asked, LATER, "เปลี่ยนใจ")
            assert "ตอบแล้ว" in str(refused.value)
            db.session.rollback()
        assert db.session.get(ExceptionRequest, asked.id).state == REFUSED
        assert confirmation_of(the_school(), year()).exception_until is None


def test_a_grant_refused_by_the_workflow_writes_neither_the_answer_nor_the_exception(app, clean):
    with deadline_passed(app), app.app_context():
        with as_account(app, "school"):
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
            db.session.commit()
        steps = db.session.scalar(select(func.count(Transition.id)))
        with as_account(app, "central"), pytest.raises(Refused):
            grant_request(asked, date.today() - timedelta(days=1), "อนุญาต")
        db.session.rollback()
        assert db.session.get(ExceptionRequest, asked.id).state == REQUESTED
        assert db.session.scalar(select(func.count(Transition.id))) == steps


def test_with_the_setting_province_the_province_grants_for_its_school_and_central_for_the_province(app, clean):
    with granted_by(app, "province"), deadline_passed(app, "province_deadline"), app.app_context():
        province = org(Province, "50")
        assert exceptions.granting_level(the_school()) == "province"
        assert exceptions.granting_level(org(Lao, "3500101")) == "province"
        assert exceptions.granting_level(province) == "central"
        with as_account(app, "school"):
            by_school = ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
        with as_account(app, "province"):
            by_province = ask_for_exception(province, year(), LATER, "ระบบจังหวัดขัดข้อง")
        db.session.commit()
        with as_account(app, "central"):
            assert [r.id for r in requests_to_answer(year())] == [by_province.id]
            with pytest.raises(Refused):
                grant_request(by_school, LATER, "อนุญาต")
            db.session.rollback()
        with as_account(app, "province"):
            assert [r.id for r in requests_to_answer(year())] == [by_school.id]
            with pytest.raises(Refused):
                grant_request(by_province, LATER, "อนุญาตตัวเอง")
            db.session.rollback()
            grant_request(by_school, LATER, "อนุญาต")
            db.session.commit()
        with as_account(app, "central"):
            grant_request(by_province, LATER, "อนุญาต")
            db.session.commit()
        assert confirmation_of(the_school(), year()).exception_until == LATER
        assert confirmation_of(province, year()).exception_until == LATER
        assert learner_change_refused(app, "school") is None


def test_each_step_of_a_request_notifies_who_must_act_or_learns_the_answer(app, clean, mailbox):
    def told(since):
        return sorted(db.session.execute(
            select(LecUser.username, Notification.kind).join(LecUser, LecUser.id == Notification.recipient_id)
            .where(Notification.id > since)
        ).all())  # fmt: skip

    def latest():
        return db.session.scalar(select(func.max(Notification.id))) or 0

    with deadline_passed(app), app.app_context():
        start = latest()
        with as_account(app, "school"):
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
            db.session.commit()
        central = accounts_at(LecUser.org_level == "central", "exception_asked")  # read: test_cli adds one
        assert ("central", "exception_asked") in central and told(start) == central
        assert any("ครูป่วย" in m.get_content() for m in mailbox.to(central_address(app)))
        start = latest()
        with as_account(app, "central"):
            refuse_request(asked, "เหตุผลไม่เพียงพอ")
            db.session.commit()
        assert told(start) == accounts_at(LecUser.school_id == the_school().id, "exception_refused")
        start = latest()
        with as_account(app, "school"):
            asked = ask_for_exception(the_school(), year(), LATER, "ครูป่วยหนัก")
            db.session.commit()
        with as_account(app, "central"):
            grant_request(asked, LATER, "อนุญาต")
            db.session.commit()
        granted = accounts_at(LecUser.school_id == the_school().id, "exception_granted")
        assert told(start) == sorted(central + granted)
    with granted_by(app, "province"), deadline_passed(app, "province_deadline"), app.app_context():
        db.session.execute(delete(ExceptionRequest))
        confirmation_of(the_school(), year()).exception_until = None  # closed again
        db.session.commit()
        start = latest()
        with as_account(app, "school"):
            ask_for_exception(the_school(), year(), LATER, "ครูป่วย")
            db.session.commit()
        province = accounts_at(LecUser.province_id == the_school().lao.province_id, "exception_asked")
        assert ("province", "exception_asked") in province and told(start) == province  # by the setting


def accounts_at(condition, kind):
    """(username, kind) for each active account there: other modules add accounts, so read them."""
    return sorted((username, kind) for username in db.session.scalars(select(LecUser.username).where(
        condition, LecUser.active)))  # fmt: skip


def central_address(app):
    return app.appbuilder.sm.find_user(username="central").email


def test_the_workflow_grants_an_exception_by_the_same_setting(app, clean):
    from app.workflow import grant_exception

    with granted_by(app, "province"), app.app_context():
        with as_account(app, "central"), pytest.raises(Refused):
            grant_exception(the_school(), year(), LATER, "อนุญาต")
        db.session.rollback()
        with as_account(app, "province"):
            grant_exception(the_school(), year(), LATER, "อนุญาต")
            with pytest.raises(Refused):
                grant_exception(org(Province, "50"), year(), LATER, "อนุญาต")
        db.session.rollback()


# -- the screens -----------------------------------------------------------------------------------


def test_on_the_screens_the_school_asks_central_grants_and_the_school_reads_the_answer_and_edits(app, as_user, clean):
    with deadline_passed(app):
        school = as_user("school")
        page = school.get("/exceptions/")
        assert page.status_code == 200 and "ขอขยายเวลา" in visible_text(page.get_data(as_text=True))
        sent = school.post("/exceptions/ask", data={"reason": "ครูป่วย บันทึกไม่ทัน", "needed_until": be(LATER)})
        assert sent.status_code == 302
        with app.app_context():
            (asked,) = db.session.scalars(select(ExceptionRequest)).all()
            assert (asked.state, asked.needed_until, asked.requested_by.username) == (REQUESTED, LATER, "school")
            learner_id = learner_of(SCHOOL_OF["school"])
        html = school.get("/exceptions/").get_data(as_text=True)
        assert "รอคำตอบ" in visible_text(html) and 'id="exception-ask-link"' not in html

        central = as_user("central")
        listed = central.get("/exceptions/").get_data(as_text=True)
        assert "ครูป่วย บันทึกไม่ทัน" in listed and "/exceptions/%d/grant" % asked.id in listed
        form = central.get("/exceptions/%d/grant" % asked.id).get_data(as_text=True)
        assert 'value="%s"' % be(LATER) in form  # the date asked for, offered
        done = central.post("/exceptions/%d/grant" % asked.id, data={"reason": "อนุญาต", "until": be(LATER)})
        assert done.status_code == 302

        answer = visible_text(school.get("/exceptions/").get_data(as_text=True))
        assert "อนุญาต" in answer and be(LATER) in answer
        edit = school.get("/studentview/edit/%d" % learner_id).get_data(as_text=True)
        assert 'name="first_name"' in edit


def test_on_the_screens_a_refusal_is_read_by_the_school_and_a_refusal_without_reason_writes_nothing(
    app, as_user, clean
):
    with deadline_passed(app):
        school = as_user("school")
        school.post("/exceptions/ask", data={"reason": "ครูป่วย", "needed_until": be(LATER)})
        with app.app_context():
            asked_id = db.session.scalar(select(ExceptionRequest.id))
        central = as_user("central")
        blank = central.post("/exceptions/%d/refuse" % asked_id, data={"reason": ""})
        assert blank.status_code == 400
        with app.app_context():
            assert db.session.get(ExceptionRequest, asked_id).state == REQUESTED
        assert central.post("/exceptions/%d/refuse" % asked_id, data={"reason": "เหตุผลไม่เพียงพอ"}).status_code == 302
        answer = visible_text(school.get("/exceptions/").get_data(as_text=True))
        assert "ไม่อนุญาต" in answer and "เหตุผลไม่เพียงพอ" in answer
        with app.app_context():
            assert confirmation_of(the_school(), year()).exception_until is None
        again = school.post(
            "/exceptions/ask", data={"reason": "ครูป่วย", "needed_until": be(date.today() - timedelta(days=1))}
        )
        assert again.status_code == 400
        with app.app_context():
            assert requests_count() == 1


def test_a_request_outside_the_readers_area_is_not_found_on_screens_and_api(app, as_user, client, clean):
    """A request of a ขอนแก่น school (there is no ขอนแก่น school account in the demo: written as data)."""
    with granted_by(app, "province"), deadline_passed(app):
        with app.app_context():
            foreign = org(School, "1040130001")
            asked = ExceptionRequest(
                academic_year_id=year().id, org_key="school:%d" % foreign.id, org_level="school",
                school_id=foreign.id, reason="ครูป่วย", needed_until=LATER, state=REQUESTED,
            )  # fmt: skip
            db.session.add(asked)
            db.session.commit()
            asked_id = asked.id
        province = as_user("province")
        assert "ครูป่วย" not in province.get("/exceptions/").get_data(as_text=True)
        assert province.get("/exceptions/%d/grant" % asked_id).status_code == 404
        assert (
            province.post("/exceptions/%d/grant" % asked_id, data={"reason": "x", "until": be(LATER)}).status_code
            == 404
        )
        assert province.post("/exceptions/%d/refuse" % asked_id, data={"reason": "x"}).status_code == 404
        headers = api_headers(client, "province")
        assert client.post("/api/v1/exceptions/%d/grant" % asked_id, headers=headers,
                           json={"reason": "x", "until": LATER.isoformat()}).status_code == 404  # fmt: skip
        with app.app_context():
            year_be = year().year
        listed = client.get("/api/v1/exceptions/?year=%d" % year_be, headers=headers)
        assert listed.status_code == 200 and listed.json["result"] == []
        with app.app_context():
            assert db.session.get(ExceptionRequest, asked_id).state == REQUESTED
            assert confirmation_of(org(School, "1040130001"), year()).exception_until is None


def test_the_menu_offers_the_page_to_the_organisations_and_central_but_not_the_manager(as_user):
    for username in ("central", "province", "lao", "school"):
        assert 'href="/exceptions/"' in as_user(username).get("/").get_data(as_text=True), username
    manager = as_user("manager")
    assert 'href="/exceptions/"' not in manager.get("/").get_data(as_text=True)
    assert manager.get("/exceptions/").status_code in (302, 403)


# -- the REST API ----------------------------------------------------------------------------------


def test_through_the_api_a_school_asks_central_grants_or_refuses_and_refusals_are_409_or_400(app, client, clean):
    with deadline_passed(app):
        school, central = api_headers(client, "school"), api_headers(client, "central")
        with app.app_context():
            year_be = year().year
        body = {"org": SCHOOL_OF["school"], "year": year_be, "needed_until": LATER.isoformat(), "reason": "ครูป่วย"}
        asked = client.post("/api/v1/exceptions/ask", headers=school, json=body)
        assert asked.status_code == 200 and asked.json["state"] == "requested"
        assert asked.json["granted_by_level"] == "central"
        again = client.post("/api/v1/exceptions/ask", headers=school, json=body)
        assert again.status_code == 409 and any("รอคำตอบ" in m for m in again.json["message"])
        bad = client.post("/api/v1/exceptions/ask", headers=school, json={**body, "needed_until": "16/05/2569"})
        assert bad.status_code == 400 and "needed_until" in bad.json["message"]
        with app.app_context():
            assert requests_count() == 1
        request_id = asked.json["id"]

        by_school = client.post("/api/v1/exceptions/%d/grant" % request_id, headers=school,
                                json={"until": LATER.isoformat(), "reason": "อนุญาตตัวเอง"})  # fmt: skip
        assert by_school.status_code == 409
        granted = client.post("/api/v1/exceptions/%d/grant" % request_id, headers=central,
                              json={"until": LATER.isoformat(), "reason": "อนุญาต"})  # fmt: skip
        assert granted.status_code == 200 and granted.json["state"] == "granted"
        assert granted.json["granted_until"] == LATER.isoformat() and granted.json["answered_by"] == "central"
        listed = client.get("/api/v1/exceptions/?year=%d" % year_be, headers=school)
        assert listed.status_code == 200 and [r["state"] for r in listed.json["result"]] == ["granted"]
        status = client.get("/api/v1/workflow/status?org=%s&year=%d" % (SCHOOL_OF["school"], year_be), headers=school)
        assert status.json["entry_open"] is True

        with app.app_context():
            confirmation = db.session.scalar(select(Confirmation).where(Confirmation.school_id == the_school().id))
            confirmation.exception_until = None
            db.session.commit()
        second = client.post("/api/v1/exceptions/ask", headers=school, json=body)
        assert second.status_code == 200
        blank = client.post("/api/v1/exceptions/%d/refuse" % second.json["id"], headers=central, json={"reason": " "})
        assert blank.status_code == 400
        refused = client.post("/api/v1/exceptions/%d/refuse" % second.json["id"], headers=central,
                              json={"reason": "ไม่อนุญาต"})  # fmt: skip
        assert refused.status_code == 200 and refused.json["state"] == "refused"
        mine = client.get("/api/v1/exceptions/?year=%d&state=refused" % year_be, headers=school).json["result"]
        assert [(r["state"], r["answer_reason"]) for r in mine] == [("refused", "ไม่อนุญาต")]
        assert client.get("/api/v1/exceptions/?year=%d&state=maybe" % year_be, headers=school).status_code == 400
        assert client.post("/api/v1/exceptions/999999/refuse", headers=central, json={"reason": "x"}).status_code == 404


# -- in a real browser -----------------------------------------------------------------------------


def test_in_the_browser_a_school_past_its_deadline_asks_central_grants_and_the_school_edits_again(browser, live_server):
    """The school, past its deadline, is told it needs an exception and asks; central grants it
    with the date asked for; the school reads the answer and saves a learner again."""
    from browsing import confirmations_kept, guide_shot, log_in, open_context
    from playwright.sync_api import expect

    app = live_server.app
    school = open_context(browser, live_server).new_page()
    central = open_context(browser, live_server).new_page()
    with app.app_context():
        saved = close_entry_until(year(), "school_deadline")
        db.session.commit()
    try:
        with confirmations_kept(app):
            log_in(school, "school")
            school.goto("/exceptions/")
            expect(school.locator("#exception-needed")).to_contain_text("เลยกำหนดบันทึกข้อมูล")
            school.locator("#exception-ask-link").click()
            school.fill("#reason", "ครูผู้รับผิดชอบป่วย บันทึกข้อมูลไม่ทันกำหนด")
            school.fill("#needed_until", be(LATER))
            guide_shot(school, "exception-ask")
            school.locator("#exception-ask-form button[type=submit]").click()
            expect(school.locator(".alert-success").first).to_contain_text("ส่งคำขอแล้ว")
            expect(school.locator("#own-requests")).to_contain_text("รอคำตอบ")

            log_in(central, "central")
            central.goto("/exceptions/")
            row = central.locator("#requests-to-answer tr", has_text="โรงเรียนเทศบาลวัดเกตการาม")
            expect(row).to_contain_text("ครูผู้รับผิดชอบป่วย")
            row.locator("a.exception-grant").click()
            expect(central.locator("#until")).to_have_value(be(LATER))
            central.fill("#reason", "อนุญาตตามเหตุจำเป็น")
            guide_shot(central, "exception-grant")
            central.locator("#exception-grant-form button[type=submit]").click()
            expect(central.locator(".alert-success").first).to_contain_text("บันทึกแล้ว")
            expect(central.locator("#nothing-to-answer")).to_be_visible()

            school.goto("/exceptions/")
            answer = school.locator("#own-requests tr[data-state=granted]")
            expect(answer).to_contain_text("อนุญาตแล้ว")
            expect(answer).to_contain_text("อนุญาตตามเหตุจำเป็น")
            expect(answer).to_contain_text(be(LATER))
            expect(school.locator("#entry-notice")).to_contain_text(be(LATER))
            school.goto("/studentview/list/")
            school.locator("a[href^='/studentview/edit/']").first.click()
            school.locator("form button[type=submit], form input[type=submit]").first.click()
            expect(school.locator(".alert-success").first).to_be_visible()
    finally:
        school.context.close()
        central.context.close()
        with app.app_context():
            restore_dates(year(), saved)
            db.session.execute(delete(ExceptionRequest))
            db.session.commit()
