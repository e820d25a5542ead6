"""Transfers between schools (app/transfers.py): issue 18 point 1.

The receiving school finds a learner active in another school by the exact identifier and sees only
the minimal record; the old school accepts (the old row removed as moved, the learner active at the
new school with the identity carried over) or declines with a reason; its LAO decides once the old
school is overdue; a locked old school refuses by the lock. Within one LAO (the centre 2050130001,
account ``cdc``, to the school 1050130001, account ``school``, both of LAO ``lao``) and across
provinces (โรงเรียนเทศบาลสวนสนุก, ขอนแก่น, with an account made here). Every learner and request a
test writes is taken away afterwards (the database is shared by every test module)."""

import json
from datetime import date, timedelta

import pytest
from browsing import guide_shot, list_rows, log_in, open_context, search_by_id
from playwright.sync_api import expect
from sqlalchemy import delete, func, or_, select, text, update

from app import quality
from app.audit import HistoryEntry, history_of
from app.context import acting_as
from app.errors import Invalid, Locked, OutOfScope, Refused
from app.extensions import db
from app.learners import learners_by_id
from app.models import AcademicYear, LecUser, Notification, School, Student, TransferRequest
from app.transfers import accept_transfer, ask_for_transfer, decline_transfer, find_for_transfer, who_answers

from conftest import SCHOOL_OF, api_headers, append_only_lifted, digest, learner_form, new_national_id, visible_text

KHON_KAEN_SCHOOL = "1040130001"  # โรงเรียนเทศบาลสวนสนุก, ขอนแก่น: another LAO and province
KK_ACCOUNT = "kk-transfer-school"
KK_PASSWORD = "Kk-transfer-2569"


def school(code):
    return db.session.scalar(select(School).where(School.code == code))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def confirm_directly(code):
    """The school's confirmation for the current year set to confirmed (the ``fresh`` fixture opens
    it again): the lock, not the steps that lead to it, is what these tests are about."""
    db.session.execute(
        text("UPDATE confirmation SET state = 'confirmed' WHERE org_key = :key AND academic_year_id = :year"),
        {"key": "school:%d" % school(code).id, "year": year().id},
    )
    db.session.commit()


@pytest.fixture(scope="module")
def kk_account(app):
    """A school account at โรงเรียนเทศบาลสวนสนุก (ขอนแก่น), active while this module runs: other
    modules count the demo's accounts (reminders go to every open school's)."""
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=KK_ACCOUNT)
        if user is None:
            user = sm.add_user(KK_ACCOUNT, "ครู", "สวนสนุก", "kk-transfer@lec.example", sm.find_role("สถานศึกษา"),
                               KK_PASSWORD)  # fmt: skip
            user.school, user.org_level = school(KHON_KAEN_SCHOOL), "school"
        user.active = True
        db.session.commit()
    yield KK_ACCOUNT
    with app.app_context():
        app.appbuilder.sm.find_user(username=KK_ACCOUNT).active = False
        db.session.commit()


@pytest.fixture
def newcomer(app, fresh):
    """newcomer(school code, class level) → (id, identifier) of a learner added to that school this
    year; afterwards each one, its requests and their history are taken away."""
    made = []

    def make(code, level="p2"):
        with app.app_context(), acting_as(None):
            number = new_national_id(digest("transfer", len(made), code, level) % 10**9)
            learner = Student(
                academic_year_id=year().id, school_id=school(code).id, id_kind="national_id", id_number=number,
                prefix="เด็กหญิง", first_name="ย้ายบ้าน", last_name="ทดสอบ", sex="F", birth_date=date(2017, 3, 1),
                nationality="ไทย", class_level=level, guardian_name="ผู้ปกครอง ทดสอบ", guardian_phone="0812345678",
            )  # fmt: skip
            db.session.add(learner)
            db.session.commit()
            made.append(number)
            return learner.id, number

    yield make
    with app.app_context():
        connection = db.session.connection()
        students = list(connection.scalars(select(Student.id).where(Student.id_number.in_(made))))
        requests = list(connection.scalars(select(TransferRequest.id).where(or_(
            TransferRequest.student_id.in_(students), TransferRequest.new_student_id.in_(students)))))  # fmt: skip
        with append_only_lifted(connection, "history"):
            connection.execute(delete(HistoryEntry.__table__).where(or_(
                (HistoryEntry.table_name == "student") & HistoryEntry.row_id.in_(students),
                (HistoryEntry.table_name == "transfer_request") & HistoryEntry.row_id.in_(requests),
            )))  # fmt: skip
        connection.execute(delete(TransferRequest.__table__).where(TransferRequest.id.in_(requests)))
        connection.execute(delete(Student.__table__).where(Student.id.in_(students)))
        db.session.commit()


def ask(app, username, number, level="k1", to_code=None):
    with app.app_context(), account(app, username):
        to_school = school(to_code) if to_code else None
        match = find_for_transfer(number, to_school)
        request = ask_for_transfer(match, to_school, level)
        db.session.commit()
        return request.id


def rows_with(number):
    return db.session.scalars(select(Student).where(Student.id_number == number).order_by(Student.id)).all()


def two_schools_findings(number):
    found = quality.findings_of(year(), codes={"two_schools"})
    return [finding for finding in found if finding.student and finding.student.id_number == number]


# -- the receiving school finds and asks ------------------------------------------------------------


def test_the_receiving_school_sees_only_the_minimal_record_of_a_learner_active_elsewhere(app, newcomer):
    student_id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context(), account(app, "school"):
        match = find_for_transfer(number[:6] + "-" + number[6:])  # typed with a dash: the same identifier
        assert match.student_id == student_id and match.name == "เด็กหญิง ย้ายบ้าน ทดสอบ"
        assert match.school_name == "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" and match.class_level == "cdc"
        assert set(vars(match)) == {"student_id", "id_number", "name", "class_level", "school_id", "school_name",
                                    "lao_name", "province_name"}  # no birth date, guardian, telephone...
        assert find_for_transfer(new_national_id(digest("nobody") % 10**9)) is None  # not exactly it
        with pytest.raises(Invalid):
            find_for_transfer(number[:5])
        with pytest.raises(OutOfScope):  # the full record stays out of reach
            learners_by_id([student_id])


def test_the_old_school_does_not_find_its_own_learner_and_a_lao_cannot_ask(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context(), account(app, "cdc"):
        assert find_for_transfer(number) is None
    with app.app_context(), account(app, "lao"), pytest.raises(Refused):
        find_for_transfer(number, school(SCHOOL_OF["school"]))


def test_asking_twice_for_the_same_learner_is_refused_and_writes_nothing(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    ask(app, "school", number)
    with app.app_context(), account(app, "school"):
        with pytest.raises(Refused, match="รอคำตอบ"):
            ask_for_transfer(find_for_transfer(number), None, "k1")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(TransferRequest).join(
            Student, Student.id == TransferRequest.student_id).where(Student.id_number == number)) == 1  # fmt: skip


def test_a_confirmed_receiving_school_cannot_ask(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context():
        confirm_directly(SCHOOL_OF["school"])
    with app.app_context(), account(app, "school"):
        with pytest.raises(Locked):
            ask_for_transfer(find_for_transfer(number), None, "k1")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(TransferRequest)
                                 .where(TransferRequest.to_school_id == school(SCHOOL_OF["school"]).id,
                                        TransferRequest.state == "asked")) == 0  # fmt: skip


# -- the old school answers -------------------------------------------------------------------------


def test_within_one_lao_the_old_school_accepts_and_the_learner_moves_with_identity_and_history(app, newcomer):
    old_id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context():
        assert two_schools_findings(number) == []
    request_id = ask(app, "school", number, "k1")
    with app.app_context(), account(app, "cdc"):
        request = db.session.get(TransferRequest, request_id)
        assert who_answers(request).organisation.code == SCHOOL_OF["cdc"]
        accept_transfer(request)
        db.session.commit()
    with app.app_context():
        old, new = rows_with(number)
        request = db.session.get(TransferRequest, request_id)
        assert (old.id, old.status, old.removal_reason, old.removed_on) == (old_id, "removed", "moved", date.today())
        assert "โรงเรียนเทศบาลวัดเกตการาม" in old.removal_note and "#%d" % request_id in old.removal_note
        assert (new.school.code, new.status, new.class_level) == (SCHOOL_OF["school"], "active", "k1")
        for name in ("first_name", "last_name", "birth_date", "sex", "guardian_name", "guardian_phone", "id_kind"):
            assert getattr(new, name) == getattr(old, name)
        assert (request.state, request.new_student_id, request.answered_by.username) == ("accepted", new.id, "cdc")
        reasons = [entry.reason for entry in history_of(Student, old.id)[:1] + history_of(Student, new.id)]
        assert all("#%d" % request_id in reason for reason in reasons)
        assert "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" in reasons[-1]  # the new row names where from
        changes = [json.loads(entry.changes) for entry in history_of(TransferRequest, request_id)]
        assert ["asked", "accepted"] in [change.get("state") for change in changes]
        assert [None, new.id] in [change.get("new_student_id") for change in changes]
        assert two_schools_findings(number) == []


def test_across_provinces_the_old_school_accepts_and_another_province_cannot(app, newcomer, kk_account):
    _old_id, number = newcomer(KHON_KAEN_SCHOOL, "p3")
    request_id = ask(app, "school", number, "p3")
    with app.app_context():
        request = db.session.get(TransferRequest, request_id)
        for outsider in ("cdc", "lao", "province"):  # Chiang Mai: the request's other side, or above it
            with account(app, outsider), pytest.raises((Refused, OutOfScope)):
                accept_transfer(request)
            db.session.rollback()
        assert [row.status for row in rows_with(number)] == ["active"]
        with account(app, kk_account):
            accept_transfer(db.session.get(TransferRequest, request_id))
            db.session.commit()
        old, new = rows_with(number)
        assert (old.status, new.status, new.school.code) == ("removed", "active", SCHOOL_OF["school"])


def test_a_duplicate_entered_before_is_resolved_by_the_transfer_and_the_quality_report_clears(app, newcomer):
    _old, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context(), acting_as(None):
        twin = Student(academic_year_id=year().id, school_id=school(SCHOOL_OF["school"]).id, id_kind="national_id",
                       id_number=number, first_name="ย้ายบ้าน", last_name="ทดสอบ", sex="F",
                       birth_date=date(2017, 3, 1), nationality="ไทย", class_level="k1")  # fmt: skip
        db.session.add(twin)
        db.session.commit()
        assert len(two_schools_findings(number)) == 2
    with app.app_context(), account(app, "school"):
        match = find_for_transfer(number)
        request = ask_for_transfer(match, None, "k1")
        db.session.commit()
        request_id = request.id
    with app.app_context(), account(app, "cdc"):
        accept_transfer(db.session.get(TransferRequest, request_id))
        db.session.commit()
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["removed", "active"]  # no third row
        assert two_schools_findings(number) == []


def test_the_old_school_declines_with_a_reason_and_nothing_else_changes(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    with app.app_context(), account(app, "cdc"):
        request = db.session.get(TransferRequest, request_id)
        with pytest.raises(Invalid):
            decline_transfer(request, "  ")
        db.session.rollback()
        decline_transfer(db.session.get(TransferRequest, request_id), "ผู้ปกครองยังไม่ได้ย้ายบ้าน")
        db.session.commit()
    with app.app_context():
        request = db.session.get(TransferRequest, request_id)
        assert (request.state, request.decline_reason) == ("declined", "ผู้ปกครองยังไม่ได้ย้ายบ้าน")
        assert [row.status for row in rows_with(number)] == ["active"]
        assert history_of(TransferRequest, request_id)[0].reason == "ผู้ปกครองยังไม่ได้ย้ายบ้าน"
        with account(app, "cdc"), pytest.raises(Refused):
            accept_transfer(request)


def test_the_receiving_school_cannot_answer_its_own_request(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    with app.app_context(), account(app, "school"):
        with pytest.raises(Refused):
            accept_transfer(db.session.get(TransferRequest, request_id))
        db.session.rollback()
        assert [row.status for row in rows_with(number)] == ["active"]


# -- a locked old school, an overdue one ------------------------------------------------------------


def test_a_confirmed_old_school_refuses_by_the_lock_and_the_request_says_its_lao_must_return_it(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    with app.app_context():
        confirm_directly(SCHOOL_OF["cdc"])
        request = db.session.get(TransferRequest, request_id)
        answerer = who_answers(request)
        assert answerer.organisation.code == "3500101" and answerer.locked
        assert "เทศบาลนครเชียงใหม่" in answerer.note and "ข้อยกเว้น" in answerer.note
        with account(app, "cdc"), pytest.raises(Locked):
            accept_transfer(request)
        db.session.rollback()
        assert [row.status for row in rows_with(number)] == ["active"]
        assert db.session.get(TransferRequest, request_id).state == "asked"


def test_the_lao_may_decide_only_once_the_old_school_is_overdue(app, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    with app.app_context(), account(app, "lao"):
        with pytest.raises(Refused, match="7"):
            accept_transfer(db.session.get(TransferRequest, request_id))
        db.session.rollback()
        late = date.today() - timedelta(days=app.config["LEC_TRANSFER_ANSWER_DAYS"] + 1)
        db.session.execute(update(TransferRequest).where(TransferRequest.id == request_id).values(asked_on=late))
        db.session.commit()
        request = db.session.get(TransferRequest, request_id)
        assert who_answers(request).overdue and who_answers(request).organisation.code == "3500101"
        accept_transfer(request)
        db.session.commit()
        assert [row.status for row in rows_with(number)] == ["removed", "active"]


# -- the API and the screens ------------------------------------------------------------------------


def test_the_api_finds_asks_lists_and_accepts_with_the_rules_of_the_screens(app, client, newcomer, kk_account):
    _id, number = newcomer(KHON_KAEN_SCHOOL, "p3")
    school_headers = api_headers(client, "school")
    found = client.post("/api/v1/transfers/find", json={"id_number": number}, headers=school_headers)
    assert found.status_code == 200 and set(found.json["result"]) == {
        "student_id", "id_number", "name", "class_level", "school", "lao", "province"}  # fmt: skip
    assert client.post("/api/v1/transfers/ask", json={"id_number": number, "class_level": "x9"},
                       headers=school_headers).status_code == 400  # fmt: skip
    asked = client.post("/api/v1/transfers/ask", json={"id_number": number, "class_level": "p3"},
                        headers=school_headers)  # fmt: skip
    assert asked.status_code == 200, asked.json
    request_id = asked.json["result"]["id"]
    again = client.post("/api/v1/transfers/ask", json={"id_number": number, "class_level": "p3"},
                        headers=school_headers)  # fmt: skip
    assert again.status_code == 409 and "รอคำตอบ" in again.json["message"][0]
    assert client.post("/api/v1/transfers/%d/accept" % request_id, headers=school_headers).status_code == 409
    cdc = client.post("/api/v1/transfers/%d/accept" % request_id, headers=api_headers(client, "cdc"))
    assert cdc.status_code == 404  # another school's request does not exist for it
    kk_headers = api_headers(client, kk_account, KK_PASSWORD)
    listed = client.get("/api/v1/transfers/", headers=kk_headers).json["result"]
    assert [row["id"] for row in listed if row["id"] == request_id] and listed[0]["may_answer"]
    with app.app_context():
        confirm_directly(KHON_KAEN_SCHOOL)
    locked = client.post("/api/v1/transfers/%d/accept" % request_id, headers=kk_headers)
    assert locked.status_code == 409 and "ยืนยัน" in locked.json["message"][0]
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["active"]
        db.session.execute(text("UPDATE confirmation SET state = 'open'"))
        db.session.commit()
    accepted = client.post("/api/v1/transfers/%d/accept" % request_id, headers=kk_headers)
    assert accepted.status_code == 200 and accepted.json["result"]["state"] == "accepted"
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["removed", "active"]


def test_the_learners_api_refuses_a_learner_active_elsewhere_and_names_the_transfer_instead(app, client, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    with app.app_context():
        body = {"academic_year": year().id, "school": school(SCHOOL_OF["school"]).id, "id_kind": "national_id",
                "id_number": number, "first_name": "ย้ายบ้าน", "last_name": "ทดสอบ", "sex": "F",
                "birth_date": "2017-03-01", "class_level": "k1"}  # fmt: skip
    response = client.post("/api/v1/student/", json=body, headers=api_headers(client, "school"))
    assert response.status_code == 409 and "/api/v1/transfers/ask" in response.json["message"]
    assert "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" in response.json["message"]
    with app.app_context():
        assert len(rows_with(number)) == 1


def test_the_api_declines_with_a_reason_in_thai(app, client, newcomer):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    cdc = api_headers(client, "cdc")
    blank = client.post("/api/v1/transfers/%d/decline" % request_id, json={"reason": ""}, headers=cdc)
    assert blank.status_code == 400 and "เหตุผล" in blank.json["message"]["reason"]
    done = client.post("/api/v1/transfers/%d/decline" % request_id, json={"reason": "ยังเรียนอยู่"}, headers=cdc)
    assert done.status_code == 200 and done.json["result"]["decline_reason"] == "ยังเรียนอยู่"


def test_the_learner_form_offers_a_transfer_instead_of_saving_a_learner_active_elsewhere(
    app, as_user, newcomer
):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    client = as_user("school")
    response = client.post("/studentview/add", data=learner_form(app, id_number=number, class_level="k1"))
    assert response.status_code == 302 and "/transfers/ask" in response.location
    with app.app_context():
        assert len(rows_with(number)) == 1  # no duplicate saved
    page = client.get(response.location)
    shown = visible_text(page.get_data(as_text=True))
    assert "ย้ายบ้าน ทดสอบ" in shown and "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" in shown
    assert "0812345678" not in shown and "ผู้ปกครอง ทดสอบ" not in shown  # nothing beyond the minimal record
    sent = client.post("/transfers/ask", data={"step": "ask", "id_number": number, "class_level": "k1"})
    assert sent.status_code == 302
    cdc = as_user("cdc")
    listing = visible_text(cdc.get("/transfers/").get_data(as_text=True))
    assert "ย้ายบ้าน ทดสอบ" in listing
    with app.app_context():
        request_id = db.session.scalar(select(TransferRequest.id).join(
            Student, Student.id == TransferRequest.student_id).where(Student.id_number == number))  # fmt: skip
    assert cdc.post("/transfers/%d/decline" % request_id, data={"reason": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(TransferRequest, request_id).state == "asked"  # refused: no reason
    with app.app_context():
        confirm_directly(SCHOOL_OF["cdc"])
    locked = visible_text(cdc.get("/transfers/").get_data(as_text=True))
    assert "ต้องส่งคืนแก้ไขก่อน หรือส่วนกลางให้ข้อยกเว้น" in locked
    refused = cdc.post("/transfers/%d/accept" % request_id, follow_redirects=True)
    assert "ข้อมูลถูกล็อก" in visible_text(refused.get_data(as_text=True))
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["active"]  # the lock refused: nothing written
        db.session.execute(text("UPDATE confirmation SET state = 'open'"))
        db.session.commit()
    assert cdc.post("/transfers/%d/accept" % request_id).status_code == 302
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["removed", "active"]
    moved_in = visible_text(client.get("/transfers/").get_data(as_text=True))
    assert "รับย้ายแล้ว" in moved_in


def test_the_lao_lists_the_requests_of_its_schools_and_a_foreign_school_sees_none(app, as_user, newcomer, kk_account):
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    lao = as_user("lao")
    page = lao.get("/transfers/").get_data(as_text=True)
    assert "ย้ายบ้าน ทดสอบ" in visible_text(page) and "/transfers/%d/accept" % request_id not in page
    assert lao.post("/transfers/%d/accept" % request_id).status_code == 302  # refused: not overdue
    with app.app_context():
        assert [row.status for row in rows_with(number)] == ["active"]
        late = date.today() - timedelta(days=app.config["LEC_TRANSFER_ANSWER_DAYS"] + 1)
        db.session.execute(update(TransferRequest).where(TransferRequest.id == request_id).values(asked_on=late))
        db.session.commit()
    page = lao.get("/transfers/").get_data(as_text=True)
    assert "/transfers/%d/accept" % request_id in page and "ตัดสินแทนได้" in visible_text(page)
    assert lao.post("/transfers/%d/decline" % request_id, data={"reason": "ผู้ปกครองแจ้งว่าไม่ย้าย"}).status_code == 302
    with app.app_context():
        assert db.session.get(TransferRequest, request_id).state == "declined"
    foreign = login_as(app, kk_account)
    assert "ย้ายบ้าน ทดสอบ" not in visible_text(foreign.get("/transfers/").get_data(as_text=True))
    assert foreign.post("/transfers/%d/withdraw" % request_id).status_code == 404


def take_away(app, numbers):
    """The learners with these identifiers, their transfer requests and the history of both."""
    with app.app_context():
        connection = db.session.connection()
        students = list(connection.scalars(select(Student.id).where(Student.id_number.in_(numbers))))
        requests = list(connection.scalars(select(TransferRequest.id).where(TransferRequest.student_id.in_(students))))
        with append_only_lifted(connection, "history"):
            connection.execute(delete(HistoryEntry.__table__).where(or_(
                (HistoryEntry.table_name == "student") & HistoryEntry.row_id.in_(students),
                (HistoryEntry.table_name == "transfer_request") & HistoryEntry.row_id.in_(requests),
            )))  # fmt: skip
        connection.execute(delete(TransferRequest.__table__).where(TransferRequest.id.in_(requests)))
        connection.execute(delete(Student.__table__).where(Student.id.in_(students)))
        db.session.commit()


def test_the_new_school_asks_the_old_school_accepts_and_the_learner_appears_at_the_new_school(browser, live_server):
    """Issue 18.1 end to end, as the two clerks: the school types the identifier of a child of the
    centre, sees the minimal record and asks; the centre accepts; the learner is on the school's list."""
    app = live_server.app
    with app.app_context(), acting_as(None):
        number = new_national_id(digest("browser transfer", live_server.backend) % 10**9)
        db.session.add(Student(
            academic_year_id=year().id, school_id=school(SCHOOL_OF["cdc"]).id, id_kind="national_id",
            id_number=number, prefix="เด็กหญิง", first_name="ขวัญข้าว", last_name="ย้ายถิ่น", sex="F",
            birth_date=date(2021, 1, 15), nationality="ไทย", class_level="cdc", guardian_phone="0899999999",
        ))  # fmt: skip
        db.session.commit()
    new = open_context(browser, live_server).new_page()
    old = open_context(browser, live_server).new_page()
    try:
        log_in(new, "school")
        new.goto("/transfers/")
        new.locator("#ask-transfer").click()
        new.fill("#id_number", number)
        new.locator("#transfer-search").click()
        expect(new.locator("#transfer-match")).to_contain_text("เด็กหญิง ขวัญข้าว ย้ายถิ่น")
        expect(new.locator("#transfer-match")).to_contain_text("ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่")
        expect(new.locator("body")).not_to_contain_text("0899999999")  # the minimal record only
        new.select_option("#class_level", "k1")
        guide_shot(new, "transfer-ask")
        new.locator("#send-transfer").click()
        expect(new.locator(".alert-success").first).to_contain_text("ส่งคำขอย้ายไปยัง ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่")
        expect(new.locator("#transfers-in")).to_contain_text("รอ ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่ ตอบ")

        log_in(old, "cdc")
        old.goto("/transfers/")
        row = old.locator("#transfers-out tr", has_text="ขวัญข้าว")
        row.locator(".transfer-accept button").click()
        expect(old.locator(".alert-success").first).to_contain_text("รับย้ายแล้ว")
        expect(old.locator("#transfers-out tr", has_text="ขวัญข้าว")).to_contain_text("รับย้ายแล้ว")
        guide_shot(old, "transfer-accept")

        search_by_id(new, number)
        expect(list_rows(new)).to_have_count(1)
        expect(list_rows(new).first).to_contain_text("ขวัญข้าว")
        new.goto("/transfers/")
        expect(new.locator("#transfers-in tr", has_text="ขวัญข้าว")).to_contain_text("รับย้ายแล้ว")
    finally:
        new.context.close()
        old.context.close()
        take_away(app, [number])


def login_as(app, username):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": KK_PASSWORD})
    assert response.status_code == 302
    return client


def test_each_step_notifies_the_school_that_must_act_or_learns_the_answer_by_inbox_and_email(app, newcomer, mailbox):
    def told(since):
        return sorted(db.session.execute(
            select(LecUser.username, Notification.kind).join(LecUser, LecUser.id == Notification.recipient_id)
            .where(Notification.id > since)
        ).all())  # fmt: skip

    def accounts_of(code, kind):  # other modules add accounts to the demo schools: read, not listed
        users = db.session.scalars(select(LecUser.username).where(LecUser.school_id == school(code).id, LecUser.active))
        return [(username, kind) for username in users]

    def latest():
        return db.session.scalar(select(func.max(Notification.id))) or 0

    with app.app_context():
        start = latest()
        old_address = app.appbuilder.sm.find_user(username="cdc").email
    _id, number = newcomer(SCHOOL_OF["cdc"], "cdc")
    request_id = ask(app, "school", number)
    with app.app_context():
        asked = accounts_of(SCHOOL_OF["cdc"], "transfer_asked")
        assert ("cdc", "transfer_asked") in asked and told(start) == sorted(asked)  # the old school answers
        start = latest()
        with account(app, "cdc"):
            decline_transfer(db.session.get(TransferRequest, request_id), "ผู้ปกครองยังไม่ได้ย้ายบ้าน")
            db.session.commit()
        declined = accounts_of(SCHOOL_OF["school"], "transfer_declined")
        assert ("school", "transfer_declined") in declined and told(start) == sorted(declined)
        start = latest()
    request_id = ask(app, "school", number)
    with app.app_context(), account(app, "cdc"):
        accept_transfer(db.session.get(TransferRequest, request_id))
        db.session.commit()
        assert told(start) == sorted(asked + accounts_of(SCHOOL_OF["school"], "transfer_accepted"))
    subjects = [message["Subject"] for message in mailbox.to(old_address)]
    assert len(subjects) == 2 and set(subjects) == {"LEC: ขอย้ายนักเรียน: เด็กหญิง ย้ายบ้าน ทดสอบ"}
