"""Taking learners out of the count and starting a new academic year (app/learners.py): the
circular's 3.2 and issue #6 point 3.

Tests work on learners of the demo school 1050130001 (account ``school``, LAO 3500101 ``lao``) and
the centre 2050130001 (``cdc``); ขอนแก่น (40) is out of scope. The database is shared by every test
module, so each learner removed here is back in the count afterwards, each row added is taken away
again, and the confirmations are open again."""

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from app import choices, quality
from app.audit import HistoryEntry, history_of
from app.context import acting_as
from app.errors import Invalid, Locked, OutOfScope, Refused
from app.extensions import db
from app.learners import carry_over, remove_learners, restore_learners, roll_over, year_start
from app.models import AcademicYear, Confirmation, School, Student
from app.thai import format_be_date
from app.workflow import confirm_school, current_year, take_back_school

from conftest import (
    SCHOOL_OF,
    add_closed_year,
    api_headers,
    append_only_lifted,
    learner_of,
    new_national_id,
    visible_text,
)

FOREIGN_SCHOOL = "1040130001"  # โรงเรียนเทศบาลสวนสนุก, ขอนแก่น
SIBLING_SCHOOL = "1050130002"  # the school account's LAO, not its own school
CLERK = "ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม"  # the `school` account's name
TODAY = date.today()
DENIED = {302, 403}  # no permission: FAB redirects or forbids


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def school(code=SCHOOL_OF["school"]):
    return db.session.scalar(select(School).where(School.code == code))


def learner(learner_id):
    return db.session.get(Student, learner_id)


def be(day):
    return format_be_date(day)


def record_count(html):
    return int(re.search(r"จำนวนรายการ:\s*(\d+)", visible_text(html)).group(1))


def back_in_the_count(ids):
    db.session.execute(
        update(Student.__table__)
        .where(Student.id.in_(ids))
        .values(status="active", removal_reason=None, removed_on=None, removal_note=None, removed_by_id=None)
    )
    db.session.commit()


def erase(condition):
    """Learners a test committed, taken away through the connection (no session deletes a learner)
    with their history: SQLite gives a deleted row's id to the next row, which would inherit it."""
    connection = db.session.connection()
    ids = list(connection.scalars(select(Student.id).where(condition)))
    with append_only_lifted(connection, "history"):
        connection.execute(delete(HistoryEntry.__table__).where(HistoryEntry.table_name == "student",
                                                                HistoryEntry.row_id.in_(ids)))  # fmt: skip
    connection.execute(delete(Student.__table__).where(Student.id.in_(ids)))
    db.session.commit()


def reopen_everything():
    db.session.execute(text("UPDATE confirmation SET state = 'open', exception_until = NULL"))
    db.session.commit()


# Tests that use ``ctx`` ask for it after ``pick`` and ``last_year``: its rollback must come first
# when they are torn down, or SQLite's write lock is still held when they write.


@pytest.fixture
def open_year(app):
    """Every confirmation of the shared database open, before and after."""
    with app.app_context():
        reopen_everything()
    yield
    with app.app_context():
        reopen_everything()


@pytest.fixture
def pick(app, open_year):
    """pick(n, school code) → ids of n active learners of a demo school this year (never its first
    learner, which other modules use); afterwards every one is back in the count."""
    taken = []

    def choose(count, code=SCHOOL_OF["school"]):
        with app.app_context():
            ids = db.session.scalars(
                select(Student.id)
                .join(School)
                .join(AcademicYear)
                .where(School.code == code, AcademicYear.is_current, Student.status == "active")
                .where(Student.id.notin_(taken + [learner_of(code)]))
                .order_by(Student.id)
                .limit(count)
            ).all()
        taken.extend(ids)
        return ids

    yield choose
    with app.app_context():
        back_in_the_count(taken)


@pytest.fixture
def confirmed(app, open_year):
    """The demo school confirms its data, as its own clerk; it takes the confirmation back afterwards."""
    with app.app_context(), as_account(app, "school"):
        confirm_school(school(), current_year())
        db.session.commit()
    yield
    with app.app_context(), as_account(app, "school"):
        take_back_school(school(), current_year())
        db.session.commit()


def valid_form(**changes):
    return {"reason": "moved", "removed_on": be(TODAY), "note": "ย้ายตามผู้ปกครองไปลำพูน", **changes}


# -- removal --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", choices.codes(choices.REMOVAL_REASONS))
def test_a_school_removes_a_learner_with_a_reason_a_date_and_a_note_and_is_named_as_the_remover(
    app, pick, ctx, reason
):
    (learner_id,) = pick(1)
    with as_account(app, "school"):
        remove_learners([learner(learner_id)], reason, TODAY, "  แจ้งโดยผู้ปกครอง  ")
        db.session.commit()
    removed = learner(learner_id)
    assert (removed.status, removed.removal_reason, removed.removed_on) == ("removed", reason, TODAY)
    assert removed.removal_note == "แจ้งโดยผู้ปกครอง"
    assert removed.removed_by.username == "school"
    entry = history_of(Student, learner_id)[0]
    assert (entry.action, entry.actor.username) == ("update", "school")
    assert entry.reason.startswith("จำหน่าย: " + str(dict(choices.REMOVAL_REASONS)[reason]))
    assert "แจ้งโดยผู้ปกครอง" in entry.reason
    assert json.loads(entry.changes)["status"] == ["active", "removed"]


def test_removed_learners_leave_the_learner_list_and_show_in_the_removed_list_with_who_removed_them(
    app, pick, as_user
):
    ids = pick(2)
    client = as_user("school")
    action = client.post("/studentview/action_post", data={"action": "remove_learners", "rowid": ids})
    assert action.status_code == 302 and "/learners/remove?ids=" in action.location
    form = visible_text(client.get(action.location).get_data(as_text=True))
    with app.app_context():
        chosen = [learner(learner_id) for learner_id in ids]
        assert all(one.id_number in form and one.first_name in form and one.last_name in form for one in chosen)
    done = client.post(action.location, data=valid_form())
    assert done.status_code == 302 and done.location.endswith("/studentview/list/")
    assert "นำนักเรียนออกจากการนับ (จำหน่าย) แล้ว 2 คน" in visible_text(client.get("/").get_data(as_text=True))

    listed = client.get("/studentview/list/?psize_StudentView=1000").get_data(as_text=True)
    assert not any('name="rowid" value="%d"' % learner_id in listed for learner_id in ids)
    removed = client.get("/removedstudentview/list/?psize_RemovedStudentView=1000").get_data(as_text=True)
    assert all('name="rowid" value="%d"' % learner_id in removed for learner_id in ids)
    assert CLERK in visible_text(removed) and "ย้ายออก" in visible_text(removed)
    shown = visible_text(client.get("/removedstudentview/show/%d" % ids[0]).get_data(as_text=True))
    assert "ผู้จำหน่าย" in shown and CLERK in shown and be(TODAY) in shown
    assert client.get("/studentview/show/%d" % ids[0]).status_code == 404  # not among the learners counted


def test_the_counts_the_screens_show_leave_removed_learners_out(app, pick, as_user):
    for username in ("school", "lao"):
        client = as_user(username)
        counted = record_count(client.get("/studentview/list/").get_data(as_text=True))
        removed = record_count(client.get("/removedstudentview/list/").get_data(as_text=True))
        ids = pick(2)
        with app.app_context(), as_account(app, "school"):
            remove_learners([learner(i) for i in ids], "dropped_out", TODAY, None)
            db.session.commit()
        assert record_count(client.get("/studentview/list/").get_data(as_text=True)) == counted - 2
        assert record_count(client.get("/removedstudentview/list/").get_data(as_text=True)) == removed + 2


def test_the_lao_reads_removed_learners_of_its_schools_but_does_not_remove(app, pick, as_user):
    (learner_id,) = pick(1)
    with app.app_context(), as_account(app, "school"):
        remove_learners([learner(learner_id)], "moved", TODAY, None)
        db.session.commit()
    client = as_user("lao")
    assert 'value="%d"' % learner_id in client.get("/removedstudentview/list/").get_data(as_text=True)
    assert client.get("/learners/remove?ids=%d" % learner_id).status_code in DENIED
    assert "remove_learners" not in client.get("/studentview/list/").get_data(as_text=True)


@pytest.mark.parametrize(
    "reason, day, note, field, message",
    [
        ("", "today", "", "reason", "จำเป็นต้องกรอกข้อมูลในช่องนี้"),
        ("lost", "today", "", "reason", "ต้องเป็นค่าใดค่าหนึ่ง"),
        ("moved", None, "", "removed_on", "จำเป็นต้องกรอกข้อมูลในช่องนี้"),
        ("moved", "tomorrow", "", "removed_on", "ต้องไม่เป็นวันในอนาคต"),
        ("moved", "before the year", "", "removed_on", "ต้องไม่ก่อนวันเริ่มปีการศึกษา"),
        ("not_exist", "today", "   ", "note", "ไม่มีตัวตนหรือบันทึกผิดต้องอธิบาย"),
    ],
)
def test_a_removal_without_a_valid_reason_date_or_ghost_note_is_refused_and_changes_nothing(
    app, pick, ctx, reason, day, note, field, message
):
    (learner_id,) = pick(1)
    days = {"today": TODAY, "tomorrow": TODAY + timedelta(days=1), None: None}
    days["before the year"] = year_start(current_year()) - timedelta(days=1)
    with as_account(app, "school"), pytest.raises(Invalid) as refused:
        remove_learners([learner(learner_id)], reason, days[day], note)
    assert message in refused.value.errors[field]
    db.session.rollback()
    assert learner(learner_id).status == "active"


def test_the_removal_form_refuses_bad_input_with_a_400_in_thai_and_writes_nothing(app, pick, as_user):
    (learner_id,) = pick(1)
    client = as_user("school")
    url = "/learners/remove?ids=%d" % learner_id
    for data, message in [
        ({"reason": "", "removed_on": "", "note": ""}, "จำเป็นต้องกรอกข้อมูลในช่องนี้"),
        (valid_form(removed_on=be(TODAY + timedelta(days=1))), "ต้องไม่เป็นวันในอนาคต"),
        (valid_form(reason="not_exist", note=""), "ไม่มีตัวตนหรือบันทึกผิดต้องอธิบาย"),
        (valid_form(removed_on="01/06/2026"), "ปีคริสต์ศักราช"),
    ]:
        page = client.post(url, data=data)
        assert page.status_code == 400, data
        assert message in visible_text(page.get_data(as_text=True)), data
    with app.app_context():
        assert learner(learner_id).status == "active"


def test_removing_a_learner_already_removed_is_refused_naming_them(app, pick, ctx):
    first, second = pick(2)
    with as_account(app, "school"):
        remove_learners([learner(first)], "moved", TODAY, None)
        db.session.commit()
        with pytest.raises(Refused) as refused:
            remove_learners([learner(first), learner(second)], "moved", TODAY, None)
    assert "จำหน่ายไปแล้ว" in str(refused.value) and str(learner(first)) in str(refused.value)
    db.session.rollback()
    assert learner(second).status == "active"


def test_a_learner_outside_the_users_subtree_is_not_found_on_screen_and_refused_in_the_function(
    app, pick, as_user
):
    (own,) = pick(1)
    with app.app_context():
        foreign, sibling = learner_of(FOREIGN_SCHOOL), learner_of(SIBLING_SCHOOL)
    client = as_user("school")
    assert client.get("/learners/remove?ids=%d" % foreign).status_code == 404
    assert client.post("/learners/remove?ids=%d,%d" % (own, sibling), data=valid_form()).status_code == 404
    assert client.get("/learners/remove?ids=abc").status_code == 400
    with app.app_context():
        for username, other in (("school", sibling), ("lao", foreign)):
            with as_account(app, username), pytest.raises(OutOfScope):
                remove_learners([learner(other)], "moved", TODAY, None)
            db.session.rollback()
        assert {learner(i).status for i in (own, foreign, sibling)} == {"active"}


def test_a_confirmed_school_refuses_removal_on_screen_in_the_api_and_in_the_function(app, confirmed, pick, as_user):
    (learner_id,) = pick(1)
    page = as_user("school").post("/learners/remove?ids=%d" % learner_id, data=valid_form())
    assert page.status_code == 409 and "ข้อมูลถูกล็อก" in visible_text(page.get_data(as_text=True))
    client = app.test_client()
    answer = client.post(
        "/api/v1/learners/remove", headers=api_headers(client, "school"),
        json={"ids": [learner_id], "reason": "moved", "removed_on": TODAY.isoformat()},
    )  # fmt: skip
    assert answer.status_code == 409 and "ข้อมูลถูกล็อก" in answer.json["message"][0]
    with app.app_context(), as_account(app, "school"):
        with pytest.raises(Locked):
            remove_learners([learner(learner_id)], "moved", TODAY, None)
        db.session.rollback()
        assert learner(learner_id).status == "active"


# -- restoring ------------------------------------------------------------------------------------


def test_the_school_restores_a_removed_learner_while_its_data_is_open(app, pick, ctx):
    (learner_id,) = pick(1)
    with as_account(app, "school"):
        remove_learners([learner(learner_id)], "not_exist", TODAY, "ชื่อซ้ำกับพี่ชาย")
        db.session.commit()
        restore_learners([learner(learner_id)])
        db.session.commit()
    back = learner(learner_id)
    assert (back.status, back.removal_reason, back.removed_on, back.removal_note, back.removed_by_id) == (
        "active", None, None, None, None,
    )  # fmt: skip
    entry = history_of(Student, learner_id)[0]
    assert entry.reason == "คืนสถานะเข้าการนับ" and entry.actor.username == "school"
    with as_account(app, "school"), pytest.raises(Refused) as refused:
        restore_learners([learner(learner_id)])
    assert "ยังไม่ได้จำหน่าย" in str(refused.value)


def test_restoring_is_refused_once_the_school_has_confirmed_and_allowed_after_taking_it_back(app, pick, ctx):
    (learner_id,) = pick(1)
    with as_account(app, "school"):
        remove_learners([learner(learner_id)], "moved", TODAY, None)
        confirm_school(school(), current_year())
        db.session.commit()
        with pytest.raises(Locked):
            restore_learners([learner(learner_id)])
        db.session.rollback()
        assert learner(learner_id).status == "removed"
        take_back_school(school(), current_year())
        restore_learners([learner(learner_id)])
        db.session.commit()
    assert learner(learner_id).status == "active"


def test_the_lao_restores_a_learner_of_its_school_from_the_removed_list(app, pick, as_user):
    ids = pick(2)
    with app.app_context(), as_account(app, "school"):
        remove_learners([learner(i) for i in ids], "moved", TODAY, None)
        db.session.commit()
    client = as_user("lao")
    done = client.post("/removedstudentview/action_post", data={"action": "restore_learners", "rowid": ids})
    assert done.status_code == 302
    assert "คืนสถานะนักเรียนเข้าการนับแล้ว 2 คน" in visible_text(client.get("/").get_data(as_text=True))
    with app.app_context():
        assert {learner(i).status for i in ids} == {"active"}
        assert history_of(Student, ids[0])[0].actor.username == "lao"


def test_restoring_is_refused_when_the_identifier_is_active_again_in_the_same_school_and_year(app, pick, ctx):
    (learner_id,) = pick(1)
    with as_account(app, "school"):
        gone = learner(learner_id)
        remove_learners([gone], "not_exist", TODAY, "บันทึกผิดคน")
        db.session.commit()
        again = Student(
            academic_year_id=gone.academic_year_id, school_id=gone.school_id, id_kind=gone.id_kind,
            id_number=gone.id_number, first_name=gone.first_name, last_name=gone.last_name, sex=gone.sex,
            birth_date=gone.birth_date, class_level=gone.class_level,
        )  # fmt: skip
        db.session.add(again)
        db.session.flush()  # rolled back by ctx: nothing to take away afterwards
        with pytest.raises(Refused) as refused:
            restore_learners([learner(learner_id)])
    assert "เลขประจำตัวเดียวกัน" in str(refused.value) and str(gone) in str(refused.value)


# -- never a hard delete --------------------------------------------------------------------------


def test_a_learner_is_never_deleted_on_screen_by_anyone(app, pick, as_user):
    (learner_id,) = pick(1)
    for username in ("school", "central"):
        response = as_user(username).post("/studentview/delete/%d" % learner_id)
        assert response.status_code in DENIED, username
    with app.app_context():
        assert learner(learner_id).status == "active"


def test_a_learner_is_never_deleted_through_the_rest_api_by_anyone(app, client, pick):
    (learner_id,) = pick(1)
    for username in ("school", "central"):
        response = client.delete("/api/v1/student/%d" % learner_id, headers=api_headers(client, username))
        assert response.status_code == 403, username
    with app.app_context():
        assert learner(learner_id) is not None


def test_a_learner_is_never_deleted_through_the_orm_not_even_by_central(app, ctx):
    learner_id = learner_of(SCHOOL_OF["school"])
    with as_account(app, "central"):
        db.session.delete(learner(learner_id))
        with pytest.raises(Refused) as refused:
            db.session.flush()
        assert "ลบข้อมูลนักเรียนไม่ได้" in str(refused.value)
        db.session.rollback()
        with pytest.raises(Refused):
            db.session.execute(delete(Student).where(Student.id == learner_id))
        db.session.rollback()
    assert learner(learner_id) is not None


# -- the REST API ---------------------------------------------------------------------------------


def test_the_rest_api_removes_and_restores_with_the_rules_of_the_screens(app, client, pick):
    ids = pick(2)
    school_api, lao_api = api_headers(client, "school"), api_headers(client, "lao")
    remove = lambda payload, headers=school_api: client.post("/api/v1/learners/remove", json=payload, headers=headers)  # noqa: E731

    assert remove({"ids": "1,2"}).json["message"]["ids"] == "ระบุรหัสนักเรียน (ids) เป็นรายการตัวเลข"
    missing = remove({"ids": ids})
    assert missing.status_code == 400 and set(missing.json["message"]) == {"reason", "removed_on"}
    thai_date = remove({"ids": ids, "reason": "moved", "removed_on": be(TODAY)})
    assert thai_date.status_code == 400 and "ISO" in thai_date.json["message"]["removed_on"]
    ghost = remove({"ids": ids, "reason": "not_exist", "removed_on": TODAY.isoformat()})
    assert ghost.status_code == 400 and "หมายเหตุ" in ghost.json["message"]["note"]
    with app.app_context():
        foreign = learner_of(FOREIGN_SCHOOL)
    assert remove({"ids": [foreign], "reason": "moved", "removed_on": TODAY.isoformat()}).status_code == 404
    assert remove({"ids": ids, "reason": "moved", "removed_on": TODAY.isoformat()}, lao_api).status_code == 403

    payload = {"ids": ids, "reason": "dropped_out", "removed_on": TODAY.isoformat(), "note": "ไปทำงานกับครอบครัว"}
    done = remove(payload)
    assert done.status_code == 200 and done.json == {"ids": ids, "status": "removed"}
    again = remove(payload)
    assert again.status_code == 409 and "จำหน่ายไปแล้ว" in again.json["message"][0]
    shown = client.get("/api/v1/student/%d" % ids[0], headers=school_api).json["result"]
    assert (shown["status"], shown["removal_reason"], shown["removed_by"]["username"]) == (
        "removed", "dropped_out", "school",
    )  # fmt: skip

    restored = client.post("/api/v1/learners/restore", json={"ids": ids}, headers=lao_api)
    assert restored.status_code == 200 and restored.json["status"] == "active"
    twice = client.post("/api/v1/learners/restore", json={"ids": ids}, headers=school_api)
    assert twice.status_code == 409 and "ยังไม่ได้จำหน่าย" in twice.json["message"][0]


# -- a new academic year --------------------------------------------------------------------------


def bad_check_digit(seed):
    good = new_national_id(seed)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


# last name → (class level last year, age in full years on 16 May of last year)
LAST_YEAR = {
    "ยกยอด-อ1": ("k1", 3), "ยกยอด-อ3": ("k3", 5), "ยกยอด-ป5": ("p5", 10), "ยกยอด-ป6": ("p6", 11),
    "ยกยอด-ม3": ("m3", 14), "ยกยอด-ม6": ("m6", 17), "ยกยอด-ปวช1": ("v1", 15), "ยกยอด-ปวช3": ("v3", 17),
}  # fmt: skip
CENTRE_LAST_YEAR = {"ยกยอด-เล็ก": ("cdc", 3), "ยกยอด-โต": ("cdc", 5)}


@pytest.fixture
def last_year(app, open_year):
    """The academic year before the current one, closed and not current, with learners of the
    demo school and centre written straight to the table, as an earlier year left them (its entry
    window is long closed): one per level, one whose identifier the school already has this year,
    one whose check digit is wrong, one removed last year. Afterwards the year, its learners and
    every row carried into the current year are gone."""
    with app.app_context():
        now = current_year()
        year_be, current_id = now.year - 1, now.id
        first_new_id = db.session.scalar(select(func.max(Student.id))) + 1
        rows = last_years_learners(date(now.year - 543 - 1, 5, 16))
    try:
        with app.app_context():
            year_id = add_closed_year(year_be)
            for row in rows:
                db.session.execute(insert(Student.__table__).values(academic_year_id=year_id, **row))
            db.session.commit()
        yield year_be
    finally:
        with app.app_context():
            carried = Student.id_number.in_([row["id_number"] for row in rows])
            erase(carried & (Student.id >= first_new_id) & (Student.academic_year_id == current_id))
            year_id = select(AcademicYear.id).where(AcademicYear.year == year_be).scalar_subquery()
            erase(Student.academic_year_id == year_id)
            db.session.execute(delete(Confirmation).where(Confirmation.academic_year_id == year_id))
            db.session.execute(delete(AcademicYear).where(AcademicYear.year == year_be))
            db.session.commit()


def last_years_learners(may16):
    own, centre = school(), school(SCHOOL_OF["cdc"])
    present = learner(learner_of(SCHOOL_OF["school"]))
    rows = [
        dict(school_id=(centre if level == "cdc" else own).id, id_number=new_national_id(9000 + n), class_level=level,
             last_name=last_name, birth_date=may16 - timedelta(days=365 * age + 30))
        for n, (last_name, (level, age)) in enumerate({**LAST_YEAR, **CENTRE_LAST_YEAR}.items())
    ]  # fmt: skip
    rows.append(dict(school_id=own.id, id_number=present.id_number, class_level=present.class_level,
                     last_name="ยกยอด-มีแล้ว", birth_date=present.birth_date))  # fmt: skip
    rows.append(dict(school_id=own.id, id_number=bad_check_digit(9100), class_level="p2",
                     last_name="ยกยอด-เลขผิด", birth_date=may16 - timedelta(days=365 * 7 + 30)))  # fmt: skip
    rows.append(dict(school_id=own.id, id_number=new_national_id(9200), class_level="p3", last_name="ยกยอด-ออกแล้ว",
                     birth_date=may16 - timedelta(days=365 * 8 + 30), status="removed", removal_reason="moved",
                     removed_on=may16 + timedelta(days=100)))  # fmt: skip
    common = {"id_kind": "national_id", "first_name": "ต้นกล้า", "sex": "M", "nationality": "ไทย", "status": "active"}
    return [{**common, **row} for row in rows]


def previous(year_be):
    return db.session.scalar(select(AcademicYear).where(AcademicYear.year == year_be))


def by_last_name(carries):
    return {carry.student.last_name: carry for carry in carries}


def test_the_proposal_promotes_each_level_and_lists_leavers_and_learners_already_there_apart(app, last_year, ctx):
    with as_account(app, "school"):
        proposal = roll_over(school(), previous(last_year), current_year())
    carried = {name: (c.level, bool(c.review), bool(c.correct)) for name, c in by_last_name(proposal.carried).items()}
    assert carried == {
        "ยกยอด-อ1": ("k2", False, False), "ยกยอด-อ3": ("p1", False, False), "ยกยอด-ป5": ("p6", False, False),
        "ยกยอด-ม3": ("m4", True, False), "ยกยอด-ปวช1": ("v2", False, False), "ยกยอด-เลขผิด": ("p3", False, True),
    }  # fmt: skip
    leaving = {name: carry.leaves for name, carry in by_last_name(proposal.leaving).items()}
    assert set(leaving) == {"ยกยอด-ป6", "ยกยอด-ม6", "ยกยอด-ปวช3"}
    assert leaving["ยกยอด-ป6"] == "จบชั้นประถมศึกษาปีที่ 6"
    assert [student.last_name for student in proposal.present] == ["ยกยอด-มีแล้ว"]
    assert "ม.4" in by_last_name(proposal.carried)["ยกยอด-ม3"].review
    assert "หลักตรวจสอบ" in by_last_name(proposal.carried)["ยกยอด-เลขผิด"].correct


def test_a_centre_keeps_children_up_to_five_and_lets_older_ones_go_on_to_kindergarten(app, last_year, ctx):
    with as_account(app, "cdc"):
        proposal = roll_over(school(SCHOOL_OF["cdc"]), previous(last_year), current_year())
    assert {name: carry.level for name, carry in by_last_name(proposal.carried).items()} == {"ยกยอด-เล็ก": "cdc"}
    assert "อนุบาล" in by_last_name(proposal.leaving)["ยกยอด-โต"].leaves


def test_carrying_over_creates_active_rows_in_the_new_year_that_pass_the_rules_and_are_in_the_history(
    app, last_year, ctx
):
    from_year, to_year = previous(last_year), current_year()
    with as_account(app, "school"):
        proposal = roll_over(school(), from_year, to_year)
        chosen = [carry.student.id for carry in proposal.carried if not (carry.review or carry.correct)]
        rows = carry_over(school(), from_year, to_year, chosen)  # flushed, rolled back by ctx
    assert len(rows) == 4
    promoted = {carry.student.id_number: carry.level for carry in proposal.carried}
    for row in rows:
        stored = learner(row.id)
        assert (stored.status, stored.academic_year_id, stored.school_id) == ("active", to_year.id, school().id)
        assert stored.class_level == promoted[stored.id_number]
        assert stored.created_by.username == "school"
        quality.validate(stored)
        entry = history_of(Student, row.id)[0]
        assert (entry.action, entry.reason) == ("insert", "ยกยอดจากปีการศึกษา %d" % last_year)
    assert learner(chosen[0]).academic_year_id == from_year.id  # last year's row stays as it was
    with as_account(app, "school"):
        again = roll_over(school(), from_year, to_year)
    assert {student.id for student in again.present} >= set(chosen)


def test_carrying_over_refuses_leavers_learners_already_there_data_to_correct_and_nothing_chosen(
    app, last_year, ctx
):
    from_year, to_year = previous(last_year), current_year()
    with as_account(app, "school"):
        proposal = roll_over(school(), from_year, to_year)
        carried, leaving = by_last_name(proposal.carried), by_last_name(proposal.leaving)
        for chosen, message in [
            ([leaving["ยกยอด-ป6"].student.id], "ไม่อยู่ในรายชื่อที่เสนอ"),
            ([proposal.present[0].id], "ไม่อยู่ในรายชื่อที่เสนอ"),
            ([carried["ยกยอด-เลขผิด"].student.id], "ต้องแก้ไขข้อมูลก่อนยกยอด"),
        ]:
            with pytest.raises(Refused) as refused:
                carry_over(school(), from_year, to_year, chosen)
            assert message in str(refused.value)
        with pytest.raises(Invalid):
            carry_over(school(), from_year, to_year, [])
        with pytest.raises(Refused):
            roll_over(school(), to_year, from_year)
    with as_account(app, "cdc"), pytest.raises(OutOfScope):
        roll_over(school(), from_year, to_year)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Student.id)).where(Student.last_name.like("ยกยอด-%"),
                                                                    Student.academic_year_id == to_year.id)) == 0


def test_a_confirmed_school_cannot_carry_learners_into_its_locked_year(app, confirmed, last_year):
    with app.app_context(), as_account(app, "school"):
        from_year, to_year = previous(last_year), current_year()
        proposal = roll_over(school(), from_year, to_year)
        with pytest.raises(Locked):
            carry_over(school(), from_year, to_year, [by_last_name(proposal.carried)["ยกยอด-อ1"].student.id])
        db.session.rollback()


def test_the_wizard_proposes_the_learners_checked_except_those_to_review_and_creates_the_chosen(
    app, as_user, last_year
):
    client = as_user("school")
    page = client.get("/learners/rollover")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "เริ่มปีการศึกษาใหม่" in visible_text(html)
    with app.app_context():
        ids = {s.last_name: s.id for s in db.session.scalars(select(Student).where(Student.last_name.like("ยกยอด-%")))}
        own = school().id
    assert re.search(r'value="%d"\s+checked' % ids["ยกยอด-อ1"], html)
    assert 'value="%d"' % ids["ยกยอด-ม3"] in html
    assert not re.search(r'value="%d"\s+checked' % ids["ยกยอด-ม3"], html)
    assert not re.search(r'value="%d"\s+checked' % ids["ยกยอด-เลขผิด"], html)
    leaving = visible_text(html.split('id="rollover-leaving"')[1].split("</table>")[0])
    assert "ยกยอด-ป6" in leaving and "ยกยอด-ม6" in leaving and "ยกยอด-อ1" not in leaving
    assert "ยกยอด-มีแล้ว" in visible_text(html.split('id="rollover-present"')[1])
    assert "ยกยอด-ออกแล้ว" not in visible_text(html)

    url = "/learners/rollover?school=%d&from=%d" % (own, last_year)
    done = client.post(url, data={"carry": [ids["ยกยอด-อ1"], ids["ยกยอด-ม3"]]})
    assert done.status_code == 302 and done.location.endswith("/studentview/list/")
    flashed = visible_text(client.get("/").get_data(as_text=True))
    assert "ยกยอดเข้าปีการศึกษา %d แล้ว 2 คน ไม่ยกยอด 7 คน" % (last_year + 1) in flashed
    with app.app_context():
        levels = set(db.session.scalars(
            select(Student.class_level).where(Student.last_name.in_(["ยกยอด-อ1", "ยกยอด-ม3"]),
                                              Student.academic_year_id == current_year().id)
        ))  # fmt: skip
    assert levels == {"k2", "m4"}
    refused = client.post(url, data={"carry": [ids["ยกยอด-เลขผิด"]]})
    assert refused.status_code == 409 and "ต้องแก้ไขข้อมูลก่อนยกยอด" in visible_text(refused.get_data(as_text=True))


def test_the_wizard_says_so_when_there_is_no_earlier_year_to_carry_over(as_user):
    page = as_user("cdc").get("/learners/rollover")
    assert page.status_code == 200
    assert "ไม่มีข้อมูลนักเรียนของ ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่ ในปีการศึกษาก่อนหน้า" in visible_text(
        page.get_data(as_text=True)
    )


def test_the_lao_starts_the_year_for_its_own_schools_only(app, as_user, last_year):
    client = as_user("lao")
    with app.app_context():
        own, foreign = school().id, school(FOREIGN_SCHOOL).id
    page = client.get("/learners/rollover?school=%d" % own)
    assert page.status_code == 200 and "ยกยอด-อ1" in visible_text(page.get_data(as_text=True))
    assert client.get("/learners/rollover?school=%d" % foreign).status_code == 404
    assert client.get("/learners/rollover?school=%d&from=2400" % own).status_code == 404
    assert as_user("manager").get("/learners/rollover").status_code in DENIED  # read only: no wizard
