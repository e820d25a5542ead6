"""The confirmation workflow and the lock (app/workflow.py), as DESIGN.md §4 describes it.

Each test works on its own demo school, LAO and province of เชียงใหม่ so that states do not leak
between tests; ขอนแก่น stays as the out-of-scope neighbour."""

import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, text

from app.audit import HistoryEntry
from app.context import acting_as
from app.errors import Locked, OutOfScope, Refused
from app.extensions import db
from app.levels import ORGANISATIONS
from app.models import AcademicYear, Confirmation, Lao, Province, School, Student, Transition
from app.workflow import (
    BLOCKING_CHECKS,
    CONFIRMED,
    OPEN,
    adding_refused,
    board,
    confirm_lao,
    confirm_province,
    confirm_school,
    confirmation_of,
    grant_exception,
    lock_reason,
    open_confirmations,
    return_lao,
    return_province,
    return_school,
    take_back_school,
)

from conftest import (
    SCHOOL_OF,
    api_headers,
    close_entry_until,
    learner_form,
    learner_of,
    login,
    restore_dates,
    visible_text,
)


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def state(organisation):
    return confirmation_of(organisation, year()).state


def confirm_all_schools_of(app, lao_code):
    """Each school of the LAO confirms (by its own staff, as the demo accounts would)."""
    lao = org(Lao, lao_code)
    for school in db.session.scalars(select(School).where(School.lao_id == lao.id)):
        confirmation = confirmation_of(school, year())
        confirmation.state = CONFIRMED
    db.session.commit()


def test_a_school_confirms_and_its_learners_are_locked(app, fresh, ctx):
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        confirm_school(school, year())
        db.session.commit()
        assert state(school) == CONFIRMED
        learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
        learner.room = "9"
        with pytest.raises(Locked):
            db.session.flush()
        db.session.rollback()


def test_a_school_cannot_confirm_twice_or_for_another_school(app, fresh, ctx):
    with as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
        with pytest.raises(Refused) as refused:
            confirm_school(org(School, SCHOOL_OF["school"]), year())
        assert "ยืนยันไว้แล้วก่อนหน้านี้" in str(refused.value)
        db.session.rollback()
        with pytest.raises(OutOfScope):
            confirm_school(org(School, "1050130002"), year())


def test_blocking_errors_refuse_a_school_with_the_reasons_listed(app, fresh, ctx):
    BLOCKING_CHECKS.append(lambda school, year: ["เลขประจำตัวประชาชนผิด 1 คน"])
    try:
        with as_account(app, "school"), pytest.raises(Refused) as refused:
            confirm_school(org(School, SCHOOL_OF["school"]), year())
        assert refused.value.reasons == ["เลขประจำตัวประชาชนผิด 1 คน"]
    finally:
        BLOCKING_CHECKS.pop()
        db.session.rollback()


def test_a_closed_window_refuses_confirmation_and_writes_until_an_exception_is_granted(app, fresh, ctx):
    current = year()
    original = current.school_deadline
    current.school_deadline = date.today() - timedelta(days=1)
    db.session.commit()
    try:
        school = org(School, SCHOOL_OF["school"])
        with as_account(app, "school"):
            with pytest.raises(Refused) as refused:
                confirm_school(school, current)
            assert "ปิดรับข้อมูล" in str(refused.value)
            db.session.rollback()
            db.session.get(Student, learner_of(SCHOOL_OF["school"])).room = "8"
            with pytest.raises(Locked):
                db.session.flush()
            db.session.rollback()
        with as_account(app, "central"):
            grant_exception(school, current, date.today() + timedelta(days=3), "ไฟฟ้าดับทั้งตำบล")
            db.session.commit()
        with as_account(app, "school"):
            db.session.get(Student, learner_of(SCHOOL_OF["school"])).room = "8"
            db.session.flush()
            confirm_school(school, current)
            db.session.commit()
    finally:
        db.session.rollback()
        current.school_deadline = original
        db.session.commit()


def refusal_of_a_change(learner):
    """What the flush guard says when the learner is changed (None when it lets the change pass)."""
    learner.room = "7" if learner.room != "7" else "6"
    try:
        db.session.flush()
    except Locked as locked:
        return str(locked)
    finally:
        db.session.rollback()
    return None


def test_a_screen_asks_the_flush_guard_s_own_question_whether_a_learner_may_be_changed(app, fresh, ctx):
    """lock_reason is what the guard refuses with: None while the school is open, the guard's own
    words once it has confirmed or once its entry window has closed; adding_refused says the
    same of the school's own organisation, and nothing to an account above it."""
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
        assert lock_reason(learner) is None and refusal_of_a_change(learner) is None
        assert adding_refused(Student) is None
        confirmation_of(school, year()).state = CONFIRMED
        db.session.commit()
        learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
        assert lock_reason(learner) == "%s ยืนยันข้อมูลแล้ว ข้อมูลถูกล็อก" % school.name_th
        assert adding_refused(Student) == lock_reason(learner) == refusal_of_a_change(learner)
        assert adding_refused(School) is None
    with as_account(app, "central"):
        assert adding_refused(Student) is None
    current = year()
    confirmation_of(school, current).state = OPEN
    saved = close_entry_until(current, "school_deadline")
    db.session.commit()
    try:
        with as_account(app, "school"):
            learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
            assert "ปิดรับข้อมูลของ %s แล้ว" % school.name_th in lock_reason(learner)
            assert lock_reason(learner) == refusal_of_a_change(learner)
    finally:
        current = year()
        restore_dates(current, saved)
        db.session.commit()


def test_an_expired_exception_does_not_reopen_entry(app, fresh, ctx):
    with as_account(app, "central"), pytest.raises(Refused):
        grant_exception(org(School, SCHOOL_OF["school"]), year(), date.today() - timedelta(days=1), "ช้าไป")
    db.session.rollback()


def test_the_school_takes_back_until_its_lao_confirms(app, fresh, ctx):
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        confirm_school(school, year())
        take_back_school(school, year())
        db.session.commit()
        assert state(school) == OPEN
        confirm_school(school, year())
        db.session.commit()
    confirm_all_schools_of(app, "3500101")
    with as_account(app, "lao"):
        confirm_lao(org(Lao, "3500101"), year())
        db.session.commit()
    with as_account(app, "school"), pytest.raises(Refused) as refused:
        take_back_school(school, year())
    assert "อปท. ยืนยันแล้ว" in str(refused.value)
    db.session.rollback()


def test_the_school_cannot_take_back_after_its_deadline_where_it_could_not_confirm_again(app, fresh, ctx):
    school, current = org(School, SCHOOL_OF["school"]), year()
    original = current.school_deadline
    with as_account(app, "school"):
        confirm_school(school, current)
        db.session.commit()
    current.school_deadline = date.today() - timedelta(days=1)
    db.session.commit()
    try:
        with as_account(app, "school"), pytest.raises(Refused) as refused:
            take_back_school(school, current)
        assert "ปิดรับข้อมูล" in str(refused.value)
        db.session.rollback()
        assert state(school) == CONFIRMED
    finally:
        db.session.rollback()
        current.school_deadline = original
        db.session.commit()


def test_an_lao_confirms_only_when_every_school_has_and_is_told_which_have_not(app, fresh, ctx):
    with as_account(app, "lao"), pytest.raises(Refused) as refused:
        confirm_lao(org(Lao, "3500101"), year())
    message = str(refused.value)
    assert "โรงเรียนเทศบาลวัดเกตการาม" in message and "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" in message
    db.session.rollback()
    confirm_all_schools_of(app, "3500101")
    with as_account(app, "lao"):
        confirm_lao(org(Lao, "3500101"), year())
        db.session.commit()
    assert state(org(Lao, "3500101")) == CONFIRMED


def test_an_lao_returns_a_school_with_a_reason_while_it_is_open(app, fresh, ctx):
    confirm_all_schools_of(app, "3500101")
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "lao"):
        with pytest.raises(Refused):
            return_school(school, year(), "  ")
        db.session.rollback()
        return_school(school, year(), "ชื่อนักเรียนสะกดผิด 3 คน")
        db.session.commit()
    assert state(school) == OPEN
    last = db.session.scalars(select(Transition).order_by(Transition.id.desc()).limit(1)).one()
    assert (last.action, last.reason, last.actor.username) == ("return", "ชื่อนักเรียนสะกดผิด 3 คน", "lao")
    written = db.session.scalars(
        select(HistoryEntry).where(HistoryEntry.table_name == "confirmation").order_by(HistoryEntry.id.desc())
    ).first()
    assert written.reason == "ชื่อนักเรียนสะกดผิด 3 คน" and '"open"' in written.changes
    confirm_all_schools_of(app, "3500101")
    with as_account(app, "lao"):
        confirm_lao(org(Lao, "3500101"), year())
        db.session.commit()
        with pytest.raises(Refused):
            return_school(school, year(), "สายไป")
    db.session.rollback()


def test_province_and_central_steps(app, fresh, ctx):
    province = org(Province, "50")
    laos = db.session.scalars(select(Lao).where(Lao.province_id == province.id)).all()
    with as_account(app, "province"):
        with pytest.raises(Refused):
            confirm_province(province, year())
        db.session.rollback()
    for lao in laos:
        confirmation_of(lao, year()).state = CONFIRMED
    db.session.commit()
    with as_account(app, "province"):
        return_lao(org(Lao, "3500101"), year(), "ขาดข้อมูลสังกัดอื่น")
        db.session.commit()
        with pytest.raises(Refused):
            confirm_province(province, year())
        db.session.rollback()
    confirmation_of(org(Lao, "3500101"), year()).state = CONFIRMED
    db.session.commit()
    with as_account(app, "province"):
        confirm_province(province, year())
        db.session.commit()
    with as_account(app, "lao"), pytest.raises(Refused):
        return_school(org(School, SCHOOL_OF["school"]), year(), "x")  # the LAO is confirmed
    db.session.rollback()
    with as_account(app, "province"), pytest.raises(Refused):
        return_province(province, year(), "ไม่ใช่หน้าที่")
    db.session.rollback()
    with as_account(app, "central"):
        return_province(province, year(), "ตัวเลขไม่ตรงกับงบประมาณ")
        db.session.commit()
    assert state(province) == OPEN


def test_nobody_steps_outside_their_subtree(app, fresh, ctx):
    with as_account(app, "lao"), pytest.raises(OutOfScope):
        confirm_lao(org(Lao, "3400101"), year())
    db.session.rollback()


# -- every write path on a locked school -----------------------------------------------------------


@pytest.fixture
def locked_school(app, fresh):
    with app.app_context(), as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
        own = learner_of(SCHOOL_OF["school"])
        before = db.session.get(Student, own).room
    yield own
    with app.app_context():
        assert db.session.get(Student, own).room == before


def test_a_locked_school_refuses_the_form_add_edit_and_delete(app, locked_school):
    client = login(app.test_client(), "school")
    with app.app_context():
        count = db.session.scalar(select(db.func.count(Student.id)))
    page = client.post("/studentview/add", data=learner_form(app, last_name="ล็อก"), follow_redirects=True)
    assert "ล็อก" in visible_text(page.get_data(as_text=True)) or "ยืนยัน" in visible_text(page.get_data(as_text=True))
    client.post("/studentview/edit/%d" % locked_school, data=learner_form(app, room="77"))
    client.post("/studentview/delete/%d" % locked_school)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Student.id))) == count
        assert db.session.get(Student, locked_school) is not None


def test_a_locked_school_refuses_the_rest_api_with_409(app, locked_school, client):
    headers = api_headers(client, "school")
    put = client.put("/api/v1/student/%d" % locked_school, json={"room": "77"}, headers=headers)
    assert put.status_code == 409 and "ยืนยัน" in put.json["message"]
    # learners are never deleted (app/learners.py); removal on a locked school is a 409: test_learners.py
    assert client.delete("/api/v1/student/%d" % locked_school, headers=headers).status_code == 403


def test_a_locked_school_refuses_the_command_line(app, locked_school):
    with app.app_context(), as_account(app, "central"):
        db.session.get(Student, locked_school).room = "77"
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()


def test_the_workflow_api_answers_status_and_refuses_with_409(app, client, fresh):
    headers = api_headers(client, "school")
    status = client.get("/api/v1/workflow/status?org=%s&year=%d" % (SCHOOL_OF["school"], 2569), headers=headers)
    assert status.status_code == 200 and status.json["state"] == OPEN
    assert status.json["next"]["confirm"]["allowed"] is True
    assert status.json["next"]["take_back"]["allowed"] is False
    done = client.post("/api/v1/workflow/confirm", json={"org": SCHOOL_OF["school"], "year": 2569}, headers=headers)
    assert done.status_code == 200 and done.json["state"] == CONFIRMED
    again = client.post("/api/v1/workflow/confirm", json={"org": SCHOOL_OF["school"], "year": 2569}, headers=headers)
    assert again.status_code == 409 and any("ยืนยันไว้แล้วก่อนหน้านี้" in reason for reason in again.json["message"])
    foreign = client.post("/api/v1/workflow/confirm", json={"org": "1040130001", "year": 2569}, headers=headers)
    assert foreign.status_code == 404
    lao = api_headers(client, "lao")
    back = client.post(
        "/api/v1/workflow/return", json={"org": SCHOOL_OF["school"], "year": 2569, "reason": "ทดสอบ"}, headers=lao
    )
    assert back.status_code == 200 and back.json["history"][-1]["reason"] == "ทดสอบ"


# -- the status board, per level (central → provinces → LAOs → schools) ---------------------------

CHIANG_MAI_LAOS = ["3500101", "5500103", "6500101", "6500104"]
KHON_KAEN_LAOS = ["3400101", "4401601", "6400105"]


def set_states(model, codes, to_state=CONFIRMED, **fields):
    """Put the confirmations straight into a state (the steps themselves are tested above)."""
    for code in codes:
        confirmation = confirmation_of(org(model, code), year())
        confirmation.state = to_state
        for name, value in fields.items():
            setattr(confirmation, name, value)
    db.session.commit()


@dataclass
class BoardPage:
    """The board as a reader sees it: the status code, the page's text, the text of the node's own
    state, the way back up (the breadcrumb's items), and each row of the table as its text, its
    class and its links, in the order shown."""

    status: int
    text: str
    own: str
    path: list
    rows: list


def board_of(client, url="/workflow/board"):
    response = client.get(url)
    html = response.get_data(as_text=True)
    own = re.search(r'<div id="board-own"[^>]*>(.*?)</div>', html, flags=re.S)
    path = re.search(r'<ol class="breadcrumb" id="board-path">(.*?)</ol>', html, flags=re.S)
    table = re.search(r'<table[^>]*id="board".*?<tbody>(.*?)</tbody>', html, flags=re.S)
    rows = []
    for attributes, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", table.group(1) if table else "", flags=re.S):
        rows.append({
            "text": visible_text(cells), "class": re.search(r'class="([^"]*)"', attributes).group(1),
            "links": re.findall(r'href="([^"]+)"', cells),
        })  # fmt: skip
    return BoardPage(
        response.status_code, visible_text(html), visible_text(own.group(1)) if own else "",
        [visible_text(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", path.group(1), flags=re.S)] if path else [],
        rows,
    )  # fmt: skip


def row_of(rows, code):
    (row,) = [row for row in rows if "(%s)" % code in row["text"]]
    return row


def test_central_sees_every_province_with_its_state_and_its_laos_confirmed_out_of_all(app, as_user, fresh):
    with app.app_context():
        set_states(Lao, CHIANG_MAI_LAOS)
        set_states(Province, ["50"], confirmed_by_id=app.appbuilder.sm.find_user(username="province").id,
                   confirmed_on=datetime(2026, 6, 20, 9, 30))  # fmt: skip
        set_states(Lao, KHON_KAEN_LAOS[:1])
        provinces = db.session.scalar(select(func.count(Province.id)))
    page = board_of(as_user("central"))
    rows = page.rows
    assert page.status == 200 and "สถานะการยืนยันข้อมูล ปีการศึกษา 2569: ทั้งประเทศ" in page.text
    assert len(rows) == provinces  # every province, those with nothing registered under them last
    chiang_mai, khon_kaen = row_of(rows, "50"), row_of(rows, "40")
    assert "ยืนยันแล้ว" in chiang_mai["text"] and "4 / 4" in chiang_mai["text"]
    assert "ยืนยันโดย เจ้าหน้าที่ จังหวัดเชียงใหม่ เมื่อ 20/06/2569" in chiang_mai["text"]
    assert "ยังไม่ยืนยัน" in khon_kaen["text"] and "1 / 3" in khon_kaen["text"]
    assert chiang_mai["class"] == "success" and khon_kaen["class"] == ""
    assert rows.index(chiang_mai) < 2 and rows.index(khon_kaen) < 2
    assert "จังหวัดที่ยืนยันแล้ว: 1 / %d" % provinces in page.text


def test_a_province_sees_its_own_state_and_its_laos_and_not_the_other_provinces(app, as_user, fresh):
    with app.app_context():
        confirm_all_schools_of(app, "3500101")
        set_states(Lao, ["5500103"])
    page = board_of(as_user("province"))
    rows = page.rows
    assert page.status == 200 and page.own.startswith("เชียงใหม่: ยังไม่ยืนยัน") and "คุณภาพข้อมูล" in page.own
    assert sorted(code for code in CHIANG_MAI_LAOS if row_of(rows, code)) == sorted(CHIANG_MAI_LAOS)
    assert len(rows) == 4 and "ขอนแก่น" not in page.text and "4401601" not in page.text
    assert "อปท. ที่ยืนยันแล้ว: 1 / 4" in page.text
    assert "3 / 3" in row_of(rows, "3500101")["text"]  # its schools confirmed out of all
    assert "ยืนยันแล้ว" in row_of(rows, "5500103")["text"]


def test_an_lao_sees_its_schools_with_their_learners_errors_and_what_holds_them_up(app, as_user, fresh):
    with app.app_context():
        set_states(School, [SCHOOL_OF["school"]])
        doi_ngoen = org(School, "1050130002")
        learners = db.session.scalar(
            select(func.count(Student.id)).where(Student.school_id == doi_ngoen.id, Student.status == "active")
        )
    page = board_of(as_user("lao"))
    rows = page.rows
    assert page.status == 200 and page.own.startswith("เทศบาลนครเชียงใหม่: ยังไม่ยืนยัน")
    assert "สถานศึกษาที่ยืนยันแล้ว: 1 / 3" in page.text
    assert len(rows) == 3 and "ขอนแก่น" not in page.text
    confirmed, open_school = row_of(rows, SCHOOL_OF["school"]), row_of(rows, "1050130002")
    assert "ยืนยันแล้ว" in confirmed["text"] and "/quality/school/" not in " ".join(confirmed["links"])
    assert "ยังไม่ยืนยัน" in open_school["text"] and str(learners) in open_school["text"]
    assert "/quality/school/%d" % doi_ngoen.id in open_school["links"]  # the demo's data errors are there
    learners_link = next(link for link in open_school["links"] if link.startswith("/studentview/list/"))
    listed = visible_text(as_user("lao").get(learners_link.replace("&amp;", "&")).get_data(as_text=True))
    assert "โรงเรียนเทศบาลดอยเงิน" in listed and "โรงเรียนเทศบาลวัดเกตการาม" not in listed
    with app.app_context(), as_account(app, "lao"):
        counted = row_of_board(board(year(), org(Lao, "3500101")), "1050130002")
        assert counted.learners == learners and counted.errors > 0


def row_of_board(board_, code):
    (row,) = [row for row in board_.rows if row.code == code]
    return row


def test_a_school_sees_its_own_state_what_holds_it_up_and_whether_its_lao_has_confirmed(app, as_user, fresh):
    page = board_of(as_user("school"))
    assert page.status == 200 and page.own.startswith("โรงเรียนเทศบาลวัดเกตการาม: ยังไม่ยืนยัน") and page.rows == []
    assert "คุณภาพข้อมูล" in page.own and "ดูรายชื่อนักเรียน" in page.own
    assert "อปท. เทศบาลนครเชียงใหม่: ยังไม่ยืนยัน" in page.own and "จังหวัด เชียงใหม่: ยังไม่ยืนยัน" in page.own
    with app.app_context():
        confirm_all_schools_of(app, "3500101")
        set_states(Lao, ["3500101"], confirmed_by_id=app.appbuilder.sm.find_user(username="lao").id,
                   confirmed_on=datetime(2026, 6, 25, 14, 0))  # fmt: skip
    own = board_of(as_user("school")).own
    assert own.startswith("โรงเรียนเทศบาลวัดเกตการาม: ยืนยันแล้ว") and "คุณภาพข้อมูล" not in own
    assert "อปท. เทศบาลนครเชียงใหม่: ยืนยันแล้ว ยืนยันโดย เจ้าหน้าที่ เทศบาลนครเชียงใหม่ เมื่อ 25/06/2569" in own


def test_the_board_drills_down_from_central_to_a_province_to_an_lao(app, as_user, fresh):
    central = as_user("central")
    with app.app_context():
        province, lao = org(Province, "50"), org(Lao, "3500101")
    assert "/workflow/board/province/%d" % province.id in row_of(board_of(central).rows, "50")["links"]
    page = board_of(central, "/workflow/board/province/%d" % province.id)
    assert page.status == 200 and len(page.rows) == 4 and page.path == ["ทั้งประเทศ", "เชียงใหม่"]  # the way back up
    assert "/workflow/board/lao/%d" % lao.id in row_of(page.rows, "3500101")["links"]
    page = board_of(central, "/workflow/board/lao/%d" % lao.id)
    assert page.status == 200 and len(page.rows) == 3 and page.path == ["ทั้งประเทศ", "เชียงใหม่", "เทศบาลนครเชียงใหม่"]
    assert row_of(page.rows, "1050130002")
    assert board_of(as_user("province"), "/workflow/board/lao/%d" % lao.id).path == ["เชียงใหม่", "เทศบาลนครเชียงใหม่"]
    assert len(board_of(as_user("manager"), "/workflow/board/province/%d" % province.id).rows) == 4  # reads it too


def test_a_late_row_stands_out_and_comes_first_and_an_exception_takes_it_back(app, as_user, fresh):
    with app.app_context():
        current = year()
        saved = close_entry_until(current, "lao_deadline")
        db.session.commit()
    try:
        with app.app_context():
            set_states(Lao, ["3500101", "5500103", "6500101"])  # อบต.แม่เหียะ has not confirmed
        page = board_of(as_user("province"))
        rows = page.rows
        assert page.status == 200 and "เกินกำหนด: 1" in page.text and "เกินกำหนด" not in page.own  # its deadline is ahead
        late = rows[0]
        assert "(6500104)" in late["text"] and late["class"] == "danger"
        assert "เกินกำหนด" in late["text"] and "เลยกำหนดแล้ว" in late["text"]
        assert all(row["class"] == "success" for row in rows[1:])
        with app.app_context():
            set_states(Lao, ["6500104"], OPEN, exception_until=date.today() + timedelta(days=3))
        rows = board_of(as_user("province")).rows
        mae_hia = row_of(rows, "6500104")
        assert "เกินกำหนด" not in mae_hia["text"] and mae_hia["class"] == ""
        assert "ขยายเวลาถึง" in mae_hia["text"] and rows[-1] is mae_hia  # by code once nothing is late
    finally:
        with app.app_context():
            restore_dates(year(), saved)
            db.session.commit()


def test_a_board_above_or_beside_ones_own_node_does_not_exist(app, as_user, fresh):
    with app.app_context():
        province, sibling, foreign = org(Province, "50"), org(Lao, "5500103"), org(Lao, "3400101")
        own_school = org(School, SCHOOL_OF["school"])
    lao = as_user("lao")
    for url in (
        "/workflow/board/province/%d" % province.id, "/workflow/board/lao/%d" % sibling.id,
        "/workflow/board/lao/%d" % foreign.id, "/workflow/board/country/0", "/workflow/board/lao/99999999999",
    ):  # fmt: skip
        assert lao.get(url).status_code == 404, url
    assert lao.get("/workflow/board/school/%d" % own_school.id).status_code == 200
    assert as_user("school").get("/workflow/board/lao/%d" % sibling.id).status_code == 404


def test_the_board_counts_in_a_fixed_number_of_queries_whatever_the_size(app, ctx):
    def queries_for(organisation):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with as_account(app, "central"):
                board(year(), organisation)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    province, lao = org(Province, "50"), org(Lao, "3500101")
    queries_for(lao)  # once first, so that the way up (the LAO's province) is loaded like on a page
    before = [queries_for(None), queries_for(province), queries_for(lao)]
    for number in range(5):  # more LAOs and schools, in a savepoint that is rolled back
        extra = Lao(code="59990%02d" % number, kind="sao", name_th="อบต.ทดสอบ %d" % number, province=province)
        db.session.add_all([extra, *[School(code="10599%03d%02d" % (number, n), kind="school",
                                            name_th="โรงเรียนทดสอบ %d" % n, lao=extra) for n in range(4)]])  # fmt: skip
        db.session.add(School(code="10599999%02d" % number, kind="school", name_th="โรงเรียนเพิ่ม", lao=lao))
    db.session.flush()
    assert [queries_for(None), queries_for(province), queries_for(lao)] == before
    assert len(board(year(), lao).rows) == 8 and len(board(year(), province).rows) == 9
    db.session.rollback()


# -- concurrency -----------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL: TEST_DATABASE_URL")
def test_an_edit_and_a_confirmation_at_the_same_moment_never_leave_an_edit_after_the_lock(app, fresh):
    """Two real PostgreSQL transactions start together, many rounds. The edit holds its place for a
    moment between its checks and its commit; the confirmation must wait for it (or the edit must
    be refused): an edit may never commit after the confirmation took the lock. The database tells
    the order, not a clock: once it holds the lock, the confirmation reads the learner, and an edit
    that committed must be what it read."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    with app.app_context():
        own = learner_of(SCHOOL_OF["school"])
    landed = refused = 0
    for round_number in range(15):
        barrier = threading.Barrier(2)
        room = "r%d" % round_number
        outcome = {}

        def edit(barrier, outcome, room):
            with app.app_context(), as_account(app, "school"):
                learner = db.session.get(Student, own)
                barrier.wait()
                learner.room = room
                try:
                    db.session.flush()  # the lock check has run; now linger before committing
                    time.sleep(0.05)
                    db.session.commit()
                    outcome["edit_committed"] = True
                except Locked:
                    db.session.rollback()

        def confirm(barrier, outcome):
            with app.app_context(), as_account(app, "school"):
                school = org(School, SCHOOL_OF["school"])
                barrier.wait()
                time.sleep(0.01)
                confirmation_of(school, year(), lock=True)
                outcome["room_under_the_lock"] = db.session.scalar(select(Student.room).where(Student.id == own))
                confirm_school(school, year())
                db.session.commit()

        threads = [
            threading.Thread(target=edit, args=(barrier, outcome, room)),
            threading.Thread(target=confirm, args=(barrier, outcome)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            stored = db.session.scalar(select(Student.room).where(Student.id == own))
            assert state(org(School, SCHOOL_OF["school"])) == CONFIRMED
        if outcome.get("edit_committed"):
            landed += 1
            assert stored == room and outcome["room_under_the_lock"] == room, "an edit landed after the lock"
        else:
            refused += 1
            assert stored != room
        with app.app_context():
            db.session.execute(text("UPDATE confirmation SET state = 'open'"))
            db.session.commit()
    assert landed + refused == 15


def test_a_returned_school_shows_what_changed_since_it_confirmed(app, fresh, as_user):
    with app.app_context():
        school_id = org(School, SCHOOL_OF["school"]).id
        own = learner_of(SCHOOL_OF["school"])
        with as_account(app, "school"):
            confirm_school(db.session.get(School, school_id), year())
            db.session.commit()
        confirm_all_schools_of(app, "3500101")
        with as_account(app, "lao"):
            return_school(db.session.get(School, school_id), year(), "ห้องเรียนไม่ถูกต้อง")
            db.session.commit()
    client = as_user("school")
    notice = visible_text(client.get("/studentview/list/").get_data(as_text=True))
    assert "ส่งคืนแก้ไขเพราะ ห้องเรียนไม่ถูกต้อง" in notice
    assert client.post("/studentview/edit/%d" % own, data=learner_form(app, room="5/2")).status_code == 302
    page = visible_text(client.get("/workflow/changes/school/%d" % school_id).get_data(as_text=True))
    assert "5/2" in page
    lao_page = visible_text(as_user("lao").get("/workflow/changes/school/%d" % school_id).get_data(as_text=True))
    assert "5/2" in lao_page
    with app.app_context():
        foreign = org(School, "1040130001").id
    assert as_user("lao").get("/workflow/changes/school/%d" % foreign).status_code == 404


@pytest.mark.parametrize(
    "username, may_confirm_school",
    [("central", False), ("province", False), ("lao", False), ("school", True), ("cdc", False), ("manager", False)],
)
def test_only_the_school_itself_may_confirm_it(app, fresh, client, username, may_confirm_school):
    status = client.get(
        "/api/v1/workflow/status?org=%s&year=2569" % SCHOOL_OF["school"], headers=api_headers(client, username)
    )
    if username == "cdc":
        assert status.status_code == 404  # another school's: not even visible
        return
    assert status.status_code == 200
    assert status.json["next"]["confirm"]["allowed"] is may_confirm_school
    assert status.json["next"]["return"]["allowed"] is False  # nothing to return while open


def test_a_locked_school_refuses_a_rest_post_of_a_new_learner(app, locked_school, client):
    with app.app_context():
        school_id = org(School, SCHOOL_OF["school"]).id
    body = {
        "academic_year": 1, "school": school_id, "id_kind": "national_id", "id_number": "1101700230708",
        "first_name": "ใหม่", "last_name": "ล็อก", "sex": "M", "birth_date": "2018-06-01", "class_level": "p1",
    }  # fmt: skip
    response = client.post("/api/v1/student/", json=body, headers=api_headers(client, "school"))
    assert response.status_code == 409


def test_a_take_back_and_the_laos_confirmation_at_the_same_moment_never_leave_a_confirmed_lao_over_an_open_school(
    app, fresh
):
    """The load test's suspicion, on real PostgreSQL transactions: a school takes its confirmation
    back while its LAO confirms. One of them must wait for the other, so the LAO is never left
    confirmed over a school that is open."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    for _round in range(10):
        with app.app_context():
            confirm_all_schools_of(app, "3500101")
        barrier = threading.Barrier(2)

        def take_back(barrier):
            with app.app_context(), as_account(app, "school"):
                barrier.wait()
                try:
                    take_back_school(org(School, SCHOOL_OF["school"]), year())
                    db.session.flush()
                    time.sleep(0.05)  # between the check and the commit
                    db.session.commit()
                except Refused:
                    db.session.rollback()

        def confirm(barrier):
            with app.app_context(), as_account(app, "lao"):
                barrier.wait()
                time.sleep(0.01)
                try:
                    confirm_lao(org(Lao, "3500101"), year())
                    db.session.commit()
                except Refused:
                    db.session.rollback()

        threads = [threading.Thread(target=step, args=(barrier,)) for step in (take_back, confirm)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            lao, school = state(org(Lao, "3500101")), state(org(School, SCHOOL_OF["school"]))
            assert not (lao == CONFIRMED and school == OPEN), "an LAO confirmed over an open school"
            db.session.execute(text("UPDATE confirmation SET state = 'open'"))
            db.session.commit()


def test_every_organisation_has_its_confirmation_as_soon_as_the_year_opens(app, ctx):
    """Rows made on first use deadlock when two transactions make them in opposite orders; the year
    opens with all of them (the demo seed, the generator and the academic-year screen call it)."""
    counts = dict(
        db.session.execute(
            select(Confirmation.org_level, func.count()).where(Confirmation.academic_year_id == year().id)
            .group_by(Confirmation.org_level)
        ).all()
    )  # fmt: skip
    assert counts == {
        "school": db.session.scalar(select(func.count(School.id))),
        "lao": db.session.scalar(select(func.count(Lao.id))),
        "province": db.session.scalar(select(func.count(Province.id))),
    }
    assert open_confirmations(year().id) == sum(counts.values())  # nothing twice


def test_a_year_made_current_through_the_api_opens_every_confirmation_at_once(app, ctx):
    """Not only the academic-year screen: any entry point that makes a year current opens it."""
    current = year()
    client = app.test_client()
    headers = api_headers(client, "central")
    dates = {name: (getattr(current, name) + timedelta(days=365)).isoformat()
             for name in ("entry_opens", "school_deadline", "lao_deadline", "province_deadline")}  # fmt: skip
    added = client.post("/api/v1/academic_year/", json={"year": current.year + 1, "is_current": False, **dates},
                        headers=headers)  # fmt: skip
    assert added.status_code == 201, added.json
    next_id = added.json["id"]
    try:
        assert db.session.scalar(select(func.count()).where(Confirmation.academic_year_id == next_id)) == 0
        for year_id, is_current in ((current.id, False), (next_id, True)):
            made = client.put("/api/v1/academic_year/%d" % year_id, json={"is_current": is_current}, headers=headers)
            assert made.status_code == 200, made.json
        organisations = sum(db.session.scalar(select(func.count(model.id))) for model in ORGANISATIONS.values())
        assert db.session.scalar(select(func.count()).where(Confirmation.academic_year_id == next_id)) == organisations
    finally:
        with acting_as(None):
            db.session.execute(text("DELETE FROM confirmation WHERE academic_year_id = %d" % next_id))
            db.session.execute(text("UPDATE academic_year SET is_current = false WHERE id = %d" % next_id))
            db.session.execute(text("UPDATE academic_year SET is_current = true WHERE id = %d" % current.id))
            db.session.execute(text("DELETE FROM academic_year WHERE id = %d" % next_id))
            db.session.commit()


# -- the tree a confirmation counts ------------------------------------------------------------------

CITY, SUTHEP, KHONKAEN = "3500101", "5500103", "40"  # the demo LAO; another LAO of เชียงใหม่; the other province
MOVES = {
    "moved to another LAO": lambda school: setattr(school, "lao", org(Lao, SUTHEP)),
    "re-kinded": lambda school: setattr(school, "kind", "cdc"),
    "given other levels": lambda school: setattr(school, "levels", "p1-p6"),
    "removed": lambda school: db.session.delete(school),
}


@pytest.fixture
def confirmed_city(app, fresh):
    """เทศบาลนครเชียงใหม่ and its schools confirmed, and เชียงใหม่ above them (states set straight)."""
    with app.app_context():
        confirm_all_schools_of(app, CITY)
        for model, code in ((Lao, CITY), (Province, "50")):
            confirmation_of(org(model, code), year()).state = CONFIRMED
        db.session.commit()


def tree_of(school_code):
    school = org(School, school_code)
    return school and (school.lao.code, school.kind, school.levels)


@pytest.mark.parametrize("change", sorted(MOVES))
def test_a_confirmed_school_is_not_moved_re_kinded_given_other_levels_or_removed(app, confirmed_city, change):
    with app.app_context(), as_account(app, "central"):
        before = tree_of(SCHOOL_OF["school"])
        MOVES[change](org(School, SCHOOL_OF["school"]))
        with pytest.raises(Locked) as locked:
            db.session.commit()
        assert "ยืนยันข้อมูลแล้ว" in str(locked.value)
        db.session.rollback()
        assert tree_of(SCHOOL_OF["school"]) == before


def test_a_confirmed_schools_contact_details_stay_editable(app, confirmed_city):
    with app.app_context(), as_account(app, "central"):
        school = org(School, SCHOOL_OF["school"])
        before = (school.address, school.phone, school.head_name)
        school.address, school.phone, school.head_name = "ถนนราชดำเนิน", "053-000000", "นางสาวใจดี มีสุข"
        db.session.commit()
        assert org(School, SCHOOL_OF["school"]).phone == "053-000000"
        school.address, school.phone, school.head_name = before
        db.session.commit()


def test_nothing_is_added_to_or_moved_into_a_confirmed_lao(app, confirmed_city):
    with app.app_context(), as_account(app, "central"):
        schools = db.session.scalar(select(func.count(School.id)))
        db.session.add(School(code="1050139999", name_th="โรงเรียนใหม่", kind="school", lao=org(Lao, CITY)))
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()
        org(School, "2050150001").lao = org(Lao, CITY)  # from an open LAO into the confirmed one
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count(School.id))) == schools
        assert tree_of("2050150001")[0] == SUTHEP


def test_a_confirmed_province_takes_no_new_lao_and_loses_none(app, confirmed_city):
    with app.app_context(), as_account(app, "central"):
        laos = db.session.scalar(select(func.count(Lao.id)))
        db.session.add(Lao(code="6509999", name_th="อบต.ใหม่", kind="sao", province=org(Province, "50")))
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()
        org(Lao, SUTHEP).province = org(Province, KHONKAEN)
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count(Lao.id))) == laos
        assert org(Lao, SUTHEP).province.code == "50"


def test_the_rest_api_refuses_to_move_the_confirmed_tree_with_409(app, confirmed_city, client):
    with app.app_context():
        school, suthep, city = org(School, SCHOOL_OF["school"]).id, org(Lao, SUTHEP).id, org(Lao, CITY).id
        schools = db.session.scalar(select(func.count(School.id)))
    for username in ("central", "province"):
        headers = api_headers(client, username)
        for change in ({"lao": suthep}, {"kind": "cdc"}, {"levels": "p1-p6"}):
            answer = client.put("/api/v1/school/%d" % school, json=change, headers=headers)
            assert answer.status_code == 409 and "ยืนยันข้อมูลแล้ว" in answer.json["message"], change
        new = {"code": "1050139998", "name_th": "โรงเรียนใหม่", "kind": "school", "lao": city}
        assert client.post("/api/v1/school/", json=new, headers=headers).status_code == 409
        phone = client.put("/api/v1/school/%d" % school, json={"phone": "053-111111"}, headers=headers)
        assert phone.status_code == 200
    assert client.delete("/api/v1/school/%d" % school, headers=api_headers(client, "central")).status_code == 409
    with app.app_context():
        assert tree_of(SCHOOL_OF["school"]) == (CITY, "school", org(School, SCHOOL_OF["school"]).levels)
        assert org(School, SCHOOL_OF["school"]).kind == "school"
        assert db.session.scalar(select(func.count(School.id))) == schools


def test_the_screens_refuse_to_move_the_confirmed_tree_and_write_nothing(app, confirmed_city):
    client = login(app.test_client(), "province")
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        form = {"code": school.code, "name_th": school.name_th, "kind": school.kind, "lao": str(org(Lao, SUTHEP).id),
                "levels": school.levels or ""}  # fmt: skip
        before, province = tree_of(SCHOOL_OF["school"]), org(Province, "50").id
        counts = (db.session.scalar(select(func.count(School.id))), db.session.scalar(select(func.count(Lao.id))))
    page = client.post("/schoolview/edit/%d" % school.id, data=form, follow_redirects=True)
    assert "ยืนยันข้อมูลแล้ว" in visible_text(page.get_data(as_text=True))
    client.post("/schoolview/add", data={**form, "code": "1050139997", "lao": str(org_id(app, Lao, CITY))})
    client.post("/laoview/add", data={"code": "6509998", "name_th": "อบต.ใหม่", "kind": "sao", "province": province})
    client.post("/schoolview/delete/%d" % school.id)
    with app.app_context():
        assert tree_of(SCHOOL_OF["school"]) == before
        after = (db.session.scalar(select(func.count(School.id))), db.session.scalar(select(func.count(Lao.id))))
        assert after == counts


def org_id(app, model, code):
    with app.app_context():
        return org(model, code).id


def test_a_school_returned_down_the_chain_may_be_re_kinded_again(app, fresh):
    with app.app_context():
        confirm_all_schools_of(app, CITY)
        confirmation_of(org(Lao, CITY), year()).state = CONFIRMED
        db.session.commit()
        with as_account(app, "province"):
            return_lao(org(Lao, CITY), year(), "แก้ประเภทสถานศึกษา")
            db.session.commit()
        with as_account(app, "lao"):
            return_school(org(School, SCHOOL_OF["school"]), year(), "แก้ประเภทสถานศึกษา")
            db.session.commit()
        school = org(School, SCHOOL_OF["school"])
        levels = school.levels
        with as_account(app, "central"):
            school.levels = "k1-p6"
            db.session.commit()
            assert org(School, SCHOOL_OF["school"]).levels == "k1-p6"
            school.levels = levels  # as the demo had it, for the tests after this one
            db.session.commit()


# -- the banner on every screen, and the steps a list offers ---------------------------------------


def banner(client):
    """The entry notice of the home page: (its classes, its visible text)."""
    html = client.get("/schoolview/list/").get_data(as_text=True)
    tag = re.search(r'<div class="([^"]*)" id="entry-notice"', html)
    notice = re.search(r'id="entry-notice"[^>]*>(.*?)</div>', html, flags=re.S).group(1)
    return tag.group(1).split(), visible_text(notice)


def full_name(app, username):
    user = app.appbuilder.sm.find_user(username=username)
    return "%s %s" % (user.first_name, user.last_name)


def test_the_banner_s_colour_icon_and_word_follow_the_state_the_strongest_first(app, fresh, as_user):
    client = as_user("school")
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        with as_account(app, "school"):
            confirm_school(school, year())
            take_back_school(school, year())  # its last step re-opened it: open, not returned
            db.session.commit()
    classes, text_ = banner(client)
    assert {"alert-info", "lec-state-open"} <= set(classes) and text_.startswith("เปิดให้บันทึก:")

    with app.app_context(), as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
    classes, text_ = banner(client)
    assert {"alert-success", "lec-state-confirmed"} <= set(classes) and text_.startswith("ยืนยันแล้ว:")
    assert "ยืนยันแล้วโดย" in text_

    with app.app_context():
        confirm_all_schools_of(app, CITY)
        with as_account(app, "lao"):
            return_school(org(School, SCHOOL_OF["school"]), year(), "ห้องเรียนไม่ถูกต้อง")
            db.session.commit()
        returner = full_name(app, "lao")
    classes, text_ = banner(client)
    assert {"alert-danger", "lec-state-returned"} <= set(classes) and text_.startswith("ส่งคืนให้แก้ไข:")
    assert "ส่งคืนแก้ไขเพราะ ห้องเรียนไม่ถูกต้อง (โดย %s เมื่อ" % returner in text_

    with app.app_context():
        saved = close_entry_until(year(), "school_deadline")
        db.session.commit()
    try:
        classes, text_ = banner(client)  # returned after the deadline: still returned, and told it is closed
        assert "lec-state-returned" in classes and "ปิดรับข้อมูลปีการศึกษา" in text_
        with app.app_context():
            confirmation_of(org(School, SCHOOL_OF["school"]), year()).state = CONFIRMED
            confirmation_of(org(School, SCHOOL_OF["cdc"]), year()).state = OPEN  # confirmed with its LAO's schools
            db.session.commit()
        classes, text_ = banner(client)  # confirmed and closed: confirmed
        assert {"alert-success", "lec-state-confirmed"} <= set(classes)
        classes, text_ = banner(as_user("cdc"))  # open, never returned, past the deadline: closed
        assert {"lec-alert-closed", "lec-state-closed"} <= set(classes) and text_.startswith("ปิดรับข้อมูล:")
        assert "alert-info" not in classes
    finally:
        with app.app_context():
            restore_dates(year(), saved)
            db.session.commit()
    classes, _text = banner(as_user("central"))
    assert "lec-state-open" in classes


def test_the_banner_keeps_the_year_s_dates_a_while_and_follows_a_change_made_here_at_once(app, fresh, as_user):
    """The banner on every page reads the current year from a kept copy (workflow.shown_year): a
    deadline moved by another process (here: straight through a connection of its own) shows within
    LEC_USER_CACHE_SECONDS; one moved through this process's session shows on the next page."""
    client = as_user("central")
    assert "lec-state-open" in banner(client)[0]
    kept, app.config["LEC_USER_CACHE_SECONDS"] = app.config["LEC_USER_CACHE_SECONDS"], 3600
    try:
        with app.app_context():
            saved = {name: getattr(year(), name) for name in ("school_deadline", "lao_deadline", "province_deadline")}
            with db.engine.begin() as other_process:
                other_process.execute(text("UPDATE academic_year SET school_deadline = :day WHERE is_current"),
                                      {"day": date.today() - timedelta(days=1)})  # fmt: skip
        assert "lec-state-open" in banner(client)[0]  # kept: not seen yet
        with app.app_context():
            close_entry_until(year(), "school_deadline")
            db.session.commit()
        assert "lec-state-closed" in banner(client)[0]
    finally:
        app.config["LEC_USER_CACHE_SECONDS"] = kept
        with app.app_context():
            restore_dates(year(), saved)
            db.session.commit()
    assert "lec-state-open" in banner(client)[0]


def test_an_exception_granted_after_a_return_leaves_the_banner_returned(app, fresh, as_user):
    with app.app_context():
        with as_account(app, "school"):
            confirm_school(org(School, SCHOOL_OF["school"]), year())
            db.session.commit()
        confirm_all_schools_of(app, CITY)
        with as_account(app, "lao"):
            return_school(org(School, SCHOOL_OF["school"]), year(), "ขาดเลขประจำตัว")
            db.session.commit()
        with as_account(app, "central"):
            grant_exception(org(School, SCHOOL_OF["school"]), year(), date.today() + timedelta(days=5), "น้ำท่วม")
            db.session.commit()
    classes, text_ = banner(as_user("school"))
    assert "lec-state-returned" in classes and "ขาดเลขประจำตัว" in text_


def offered_actions(client, url):
    html = client.get(url).get_data(as_text=True)
    return set(re.findall(r'class="(\w+)_menu_item"', html)) | set(re.findall(r'btn-action-\w+-(\w+)"', html))


STEP_NAMES = {"confirm_school", "take_back_school", "return_school", "confirm_lao", "return_lao",
              "confirm_province", "return_province", "grant_exception"}  # fmt: skip


@pytest.mark.parametrize(
    "username, url, offered",
    [
        ("central", "/schoolview/list/", {"grant_exception"}),
        ("central", "/laoview/list/", {"grant_exception"}),
        ("central", "/provinceview/list/", {"return_province", "grant_exception"}),
        ("province", "/provinceview/list/", {"confirm_province"}),
        ("province", "/laoview/list/", {"return_lao"}),
        ("lao", "/laoview/list/", {"confirm_lao"}),
        ("lao", "/schoolview/list/", {"return_school"}),
        ("school", "/schoolview/list/", {"confirm_school", "take_back_school"}),
    ],
)
def test_a_list_offers_only_the_steps_the_user_s_level_takes(app, as_user, username, url, offered):
    assert offered_actions(as_user(username), url) & STEP_NAMES == offered


def test_central_posting_a_school_s_confirmation_anyway_changes_nothing(app, fresh, as_user):
    with app.app_context():
        school = org(School, SCHOOL_OF["school"])
        school_id, before = school.id, db.session.scalar(select(func.count(Transition.id)))
    client = as_user("central")
    for name in ("confirm_school", "take_back_school"):
        page = client.post("/schoolview/action_post", data={"action": name, "rowid": [str(school_id)]},
                           follow_redirects=True)  # fmt: skip
        assert "บทบาทของท่านไม่มีหน้าที่ดำเนินการขั้นตอนนี้" in visible_text(page.get_data(as_text=True))
    with app.app_context():
        assert state(db.session.get(School, school_id)) == OPEN
        assert db.session.scalar(select(func.count(Transition.id))) == before


def test_who_takes_each_step_agrees_with_the_roles_that_hold_its_action(app):
    """TAKEN_BY is the rule; a role holding a step's action at another level (central aside, which
    holds every permission) would be offered an action its step refuses."""
    from app.levels import CENTRAL
    from app.roles import levels_holding
    from app.workflow import TAKEN_BY

    seen = set()
    for view in app.appbuilder.baseviews:
        for name in getattr(view, "actions", {}) or {}:
            if name in TAKEN_BY:
                seen.add(name)
                holders = levels_holding([(view.class_permission_name, (name,))])
                assert TAKEN_BY[name] <= holders, name
                assert holders - {CENTRAL} <= TAKEN_BY[name], name
    assert seen == set(TAKEN_BY) == STEP_NAMES
