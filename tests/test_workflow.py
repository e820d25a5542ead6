"""The confirmation workflow and the lock (app/workflow.py), as DESIGN.md §4 describes it.

Each test works on its own demo school, LAO and province of เชียงใหม่ so that states do not leak
between tests; ขอนแก่น stays as the out-of-scope neighbour."""

import os
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app import db
from app.audit import acting_as
from app.errors import OutOfScope
from app.models import AcademicYear, Confirmation, HistoryEntry, Lao, Province, School, Student, Transition
from app.workflow import (
    BLOCKING_CHECKS,
    CONFIRMED,
    OPEN,
    Locked,
    Refused,
    confirm_lao,
    confirm_province,
    confirm_school,
    confirmation_of,
    grant_exception,
    open_confirmations,
    return_lao,
    return_province,
    return_school,
    take_back_school,
)

from conftest import SCHOOL_OF, api_headers, learner_form, learner_of, login, visible_text


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


def test_the_status_board_counts_confirmations_in_scope(app, as_user, fresh):
    with app.app_context(), as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
    page = visible_text(as_user("lao").get("/workflow/board").get_data(as_text=True))
    assert "เทศบาลนครเชียงใหม่" in page and "1 / 3" in page
    assert "ขอนแก่น" not in page
    province = visible_text(as_user("province").get("/workflow/board").get_data(as_text=True))
    assert "อปท. ที่ยืนยันแล้ว: 0 / 4" in province and "1 / 6" in province  # เชียงใหม่'s totals


# -- concurrency -----------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL: TEST_DATABASE_URL")
def test_an_edit_and_a_confirmation_at_the_same_moment_never_leave_an_edit_after_the_lock(app, fresh):
    """Two real PostgreSQL transactions start together, many rounds. The edit holds its place for a
    moment between its checks and its commit; the confirmation must wait for it (or the edit must
    be refused): an edit may never commit after the confirmation took the lock."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    with app.app_context():
        own = learner_of(SCHOOL_OF["school"])
    landed = refused = 0
    for round_number in range(15):
        barrier = threading.Barrier(2)
        times = {}

        def edit(barrier, times, round_number):
            with app.app_context(), as_account(app, "school"):
                learner = db.session.get(Student, own)
                barrier.wait()
                learner.room = "r%d" % round_number
                try:
                    db.session.flush()  # the lock check has run; now linger before committing
                    time.sleep(0.05)
                    db.session.commit()
                    times["edit_committed"] = time.monotonic()
                except Locked:
                    db.session.rollback()

        def confirm(barrier, times):
            with app.app_context(), as_account(app, "school"):
                school = org(School, SCHOOL_OF["school"])
                barrier.wait()
                time.sleep(0.01)
                confirmation_of(school, year(), lock=True)
                times["confirm_locked"] = time.monotonic()
                confirm_school(school, year())
                db.session.commit()

        threads = [
            threading.Thread(target=edit, args=(barrier, times, round_number)),
            threading.Thread(target=confirm, args=(barrier, times)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if "edit_committed" in times:
            landed += 1
            assert times["edit_committed"] <= times["confirm_locked"] + 0.005, "an edit landed after the lock"
        else:
            refused += 1
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
        organisations = sum(db.session.scalar(select(func.count(model.id))) for model in (School, Lao, Province))
        assert db.session.scalar(select(func.count()).where(Confirmation.academic_year_id == next_id)) == organisations
    finally:
        with acting_as(None):
            db.session.execute(text("DELETE FROM confirmation WHERE academic_year_id = %d" % next_id))
            db.session.execute(text("UPDATE academic_year SET is_current = false WHERE id = %d" % next_id))
            db.session.execute(text("UPDATE academic_year SET is_current = true WHERE id = %d" % current.id))
            db.session.execute(text("DELETE FROM academic_year WHERE id = %d" % next_id))
            db.session.commit()
