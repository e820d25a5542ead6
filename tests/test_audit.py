"""The change history (app/audit.py): one append-only entry per insert, update and delete of
learners and organisation data, holding only what changed, and shown on each record's page."""

import html
import itertools
import json
import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, event, func, select, update

from app import choices
from app.audit import HistoryEntry, changes_since, history_of, history_page, history_record
from app.context import acting_as, change_reason, now
from app.errors import HistoryIsAppendOnly, Refused
from app.extensions import db
from app.learners import remove_learners
from app.levels import SCHOOL, org_key
from app.models import (
    AcademicYear,
    Confirmation,
    Credential,
    Lao,
    LecUser,
    Province,
    School,
    Student,
    Transition,
)
from app.pages.history import history_fields, install_history, record_history
from app.thai import format_be_date

from conftest import SCHOOL_OF, learner_form, new_national_id, visible_text


@pytest.fixture(autouse=True)
def history_in_templates(app):
    """create_app is to call install_history(app); until it does, the tests install it."""
    if "record_history" not in app.jinja_env.globals:
        install_history(app)


def entries(model, row_id):
    db.session.expire_all()
    return history_of(model, row_id)


def changes(entry):
    return json.loads(entry.changes)


def own_school():
    return db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))


def form_of(learner):
    """The edit form exactly as the stored learner fills it."""
    fields = ["id_kind", "id_number", "prefix", "first_name", "last_name", "sex", "nationality", "religion",
              "class_level", "room", "disadvantage", "disability", "guardian_name", "guardian_phone"]  # fmt: skip
    form = {field: getattr(learner, field) or "" for field in fields}
    form.update(
        academic_year=str(learner.academic_year_id),
        school=str(learner.school_id),
        birth_date=format_be_date(learner.birth_date),
    )
    return form


SEEDS = itertools.count(770001)


@pytest.fixture
def added_learner(app, as_user):
    """A learner the school account adds through the form: (client, learner id); its first name is
    put back afterwards."""
    client = as_user("school")
    form = learner_form(app, first_name="ประวัติ", last_name="ทดสอบ", id_number=new_national_id(next(SEEDS)))
    response = client.post("/studentview/add", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        learner_id = db.session.scalar(select(Student.id).where(Student.id_number == form["id_number"]))
    yield client, learner_id
    with app.app_context():  # a name with digits (a test's renames) is a warning that would block the school
        learner = db.session.get(Student, learner_id)
        if learner.first_name != "ประวัติ":
            learner.first_name = "ประวัติ"
            db.session.commit()


def test_adding_through_the_form_records_every_given_field_with_the_actor(app, added_learner):
    _client, learner_id = added_learner
    with app.app_context():
        (entry,) = entries(Student, learner_id)
        school = own_school()
        assert entry.action == "insert"
        assert entry.actor.username == "school"
        assert (entry.school_id, entry.lao_id, entry.province_id) == (school.id, school.lao_id, school.lao.province_id)
        recorded = changes(entry)
        assert recorded["first_name"] == [None, "ประวัติ"]
        assert recorded["birth_date"] == [None, "2018-06-01"]
        assert recorded["status"] == [None, "active"]  # the default, as stored
        assert recorded["school_id"] == [None, school.id]
        assert all(old is None and new is not None for old, new in recorded.values())
        assert not {"id", "created_on", "changed_on", "created_by_id", "changed_by_id"} & set(recorded)


def test_an_edit_through_the_form_records_only_the_changed_fields(app, added_learner):
    client, learner_id = added_learner
    with app.app_context():
        form = form_of(db.session.get(Student, learner_id))
    form.update(first_name="ปิ่นแก้ว", room="2/1")
    response = client.post("/studentview/edit/%d" % learner_id, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        latest, first = entries(Student, learner_id)
        assert first.action == "insert"
        assert latest.action == "update"
        assert changes(latest) == {"first_name": ["ประวัติ", "ปิ่นแก้ว"], "room": [None, "2/1"]}
        assert latest.actor.username == "school"
        assert latest.reason is None
        assert latest.school_id == own_school().id


def test_saving_the_form_unchanged_records_nothing(app, added_learner):
    client, learner_id = added_learner
    with app.app_context():
        form = form_of(db.session.get(Student, learner_id))
    assert client.post("/studentview/edit/%d" % learner_id, data=form).status_code == 302
    with app.app_context():
        assert [entry.action for entry in entries(Student, learner_id)] == ["insert"]


def history_panel(page):
    """The visible text of the show page's history panel ('' when there is none)."""
    start = page.find('id="lec-history"')
    return "" if start < 0 else visible_text(page[start : page.index("</table>", start)])


def test_the_show_page_lists_the_history_in_thai(app, added_learner):
    client, learner_id = added_learner
    with app.app_context():
        form = form_of(db.session.get(Student, learner_id))
    form.update(last_name="แก้ไขแล้ว", class_level="p2")
    assert client.post("/studentview/edit/%d" % learner_id, data=form).status_code == 302
    panel = history_panel(client.get("/studentview/show/%d" % learner_id).get_data(as_text=True))
    assert "ประวัติการแก้ไข" in panel
    assert "ทดสอบ → แก้ไขแล้ว" in panel  # old → new
    assert "ป.1 → ป.2" in panel  # codes as the show page says them
    assert "01/06/2561" in panel  # the added row, its birth date in the Buddhist era
    assert panel.index("แก้ไขแล้ว") < panel.index("01/06/2561")  # newest first
    assert " school " in panel  # who
    assert "/%d " % (date.today().year + 543) in panel  # when, in the Buddhist era
    assert "p1" not in panel and "2018-06-01" not in panel and "None" not in panel


def test_a_record_without_history_shows_no_panel(app, as_user):
    with app.app_context():
        untouched = db.session.scalar(
            select(func.max(Province.id)).where(
                Province.id.not_in(select(HistoryEntry.row_id).where(HistoryEntry.table_name == "province"))
            )
        )  # provinces came with the first migration, not through the ORM
    page = as_user("central").get("/provinceview/show/%d" % untouched).get_data(as_text=True)
    assert "panel-title" in page and history_panel(page) == ""


def test_orm_changes_record_the_reason_and_place_rows_in_the_tree(ctx):
    lao = db.session.scalar(select(Lao).where(Lao.id == own_school().lao_id))
    with change_reason("แก้ไขตามที่ อปท. ส่งคืน"):
        school = School(code="9999999901", name_th="โรงเรียนทดสอบประวัติ", kind="school", lao=lao)
        db.session.add(school)
        db.session.flush()
    (added,) = history_of(School, school.id)
    assert added.reason == "แก้ไขตามที่ อปท. ส่งคืน"
    assert (added.school_id, added.lao_id, added.province_id) == (school.id, lao.id, lao.province_id)
    assert added.actor_id is None  # command-line work without acting_as
    school.phone = "053000000"
    school.name_th = "โรงเรียนทดสอบประวัติ"  # set to what it was: not a change
    db.session.flush()
    changed, _added = history_of(School, school.id)
    assert changes(changed) == {"phone": [None, "053000000"]}
    assert changed.reason is None  # outside the block
    db.session.delete(school)
    db.session.flush()
    removed = history_of(School, school.id)[0]
    assert removed.action == "delete"
    assert changes(removed)["name_th"] == ["โรงเรียนทดสอบประวัติ", None]
    assert changes(removed)["phone"] == ["053000000", None]
    assert all(new is None for _old, new in changes(removed).values())
    assert (removed.school_id, removed.lao_id, removed.province_id) == (school.id, lao.id, lao.province_id)
    assert history_record(removed) == "สถานศึกษา: โรงเรียนทดสอบประวัติ"  # named from its last values

    province = db.session.get(Province, lao.province_id)
    lao.name_th, province.name_en = lao.name_th + " ทดสอบ", province.name_en + " test"
    db.session.flush()
    lao_entry, province_entry = history_of(Lao, lao.id)[0], history_of(Province, province.id)[0]
    assert (lao_entry.lao_id, lao_entry.province_id, lao_entry.school_id) == (lao.id, province.id, None)
    assert (province_entry.province_id, province_entry.lao_id) == (province.id, None)


def test_a_learner_is_never_deleted_and_its_removal_keeps_its_place_and_remover(ctx):
    """Learners leave the count by removal (app/learners.py), an update in the history placed under
    the learner's school; a delete is refused before anything is written."""
    learner = db.session.scalar(select(Student).where(Student.school_id == own_school().id).limit(1))
    learner_id, school_id = learner.id, learner.school_id
    central_id = db.session.scalar(select(LecUser.id).where(LecUser.username == "central"))
    with acting_as(central_id):
        db.session.delete(learner)
        with pytest.raises(Refused):
            db.session.flush()
        db.session.rollback()
        remove_learners([db.session.get(Student, learner_id)], "moved", date.today(), None)
    entry = history_of(Student, learner_id)[0]
    assert entry.action == "update"
    assert changes(entry)["status"] == ["active", "removed"]
    assert entry.school_id == school_id and entry.actor.username == "central"
    assert not [e for e in history_of(Student, learner_id) if e.action == "delete"]


def test_a_change_to_an_unloaded_field_records_the_stored_old_value(ctx):
    learner = db.session.scalar(select(Student).where(Student.school_id == own_school().id).limit(1))
    old_name = learner.first_name
    db.session.expire(learner)
    learner.first_name = "ไม่ได้โหลด"  # set without loading: SQLAlchemy does not know the old value
    db.session.flush()
    assert changes(history_of(Student, learner.id)[0]) == {"first_name": [old_name, "ไม่ได้โหลด"]}
    db.session.expire(learner)
    learner.first_name = "ไม่ได้โหลด"  # the same again, unloaded: no entry
    count = len(history_of(Student, learner.id))
    db.session.flush()
    assert len(history_of(Student, learner.id)) == count


def test_moving_a_learner_by_relationship_records_the_foreign_key(ctx):
    learner = db.session.scalar(select(Student).where(Student.school_id == own_school().id).limit(1))
    other = db.session.scalar(
        select(School).where(School.lao_id == own_school().lao_id, School.id != learner.school_id)
    )
    old_school_id = learner.school_id
    learner.school = other  # the form sets the relationship; the column follows at flush time
    db.session.flush()
    entry = history_of(Student, learner.id)[0]
    assert changes(entry) == {"school_id": [old_school_id, other.id]}
    assert entry.school_id == other.id
    label, old, new = history_fields(entry, "StudentView")[0]
    assert (label, old, new) == ("สถานศึกษา", own_school().name_th, other.name_th)
    assert history_fields(entry) == history_fields(entry, "StudentView")  # the history list names no screen


def test_history_fields_label_and_format_without_a_screen(ctx):
    learner = db.session.scalar(select(Student).where(Student.school_id == own_school().id).limit(1))
    old_level, old_birth = learner.class_level, learner.birth_date
    learner.class_level, learner.birth_date, learner.religion = "m1", date(2012, 5, 16), None
    db.session.flush()
    fields = history_fields(history_of(Student, learner.id)[0])
    assert ("ระดับชั้น", dict(choices.CLASS_LEVELS)[old_level], "ม.1") in [tuple(map(str, f)) for f in fields]
    assert ("วันเกิด", format_be_date(old_birth), "16/05/2555") in fields


def test_credential_codes_are_never_written_to_the_history(ctx):
    account = db.session.scalar(select(LecUser).where(LecUser.username == "lao"))
    credential = Credential(user=account, code_hash="a" * 64, issued_on=now(), expires_on=now() + timedelta(days=30))
    db.session.add(credential)
    db.session.flush()
    credential.code_hash = "b" * 64
    db.session.flush()
    changed, added = history_of(Credential, credential.id)
    assert changes(added)["code_hash"] == [None, "***"] and changes(changed) == {"code_hash": ["***", "***"]}
    assert "a" * 64 not in added.changes and "b" * 64 not in changed.changes
    lao = db.session.get(Lao, account.lao_id)
    assert (added.lao_id, added.province_id, added.school_id) == (lao.id, lao.province_id, None)
    other = db.session.scalar(select(LecUser).where(LecUser.username == "school"))
    db.session.expire(credential)
    credential.user = other  # nothing loads the row: its old user_id is read before the flush
    db.session.flush()
    moved = history_of(Credential, credential.id)[0]
    assert changes(moved) == {"user_id": [account.id, other.id]} and moved.school_id == other.school_id


def test_history_cannot_be_changed_or_deleted(ctx):
    entry = db.session.scalar(select(HistoryEntry).limit(1))
    assert entry is not None
    entry.reason = "แก้ประวัติ"
    with pytest.raises(HistoryIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(HistoryEntry, entry.id))
    with pytest.raises(HistoryIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for statement in (update(HistoryEntry).values(reason="x"), delete(HistoryEntry)):
        with pytest.raises(HistoryIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.get(HistoryEntry, entry.id).reason == entry.reason


def test_changes_since_lists_what_changed_after_the_last_confirmation(ctx):
    lao = db.session.get(Lao, own_school().lao_id)
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    school = School(code="9999999902", name_th="โรงเรียนส่งคืน", kind="school", lao=lao)
    learner = Student(
        academic_year=year, school=school, id_kind="national_id", id_number=new_national_id(424242),
        first_name="ก่อน", last_name="ยืนยัน", sex="M", birth_date=date(2017, 3, 1), class_level="p2",
    )  # fmt: skip
    db.session.add_all([school, learner])
    db.session.flush()
    confirmation = Confirmation(
        academic_year=year, org_key=org_key(SCHOOL, school.id), org_level="school", school_id=school.id, state="open"
    )
    db.session.add(confirmation)
    db.session.flush()
    assert changes_since(confirmation) == []  # never confirmed
    time.sleep(0.01)
    for action, state in (("confirm", "confirmed"), ("return", "open")):
        db.session.add(
            Transition(confirmation=confirmation, action=action, from_state=confirmation.state, to_state=state,
                       occurred_on=now())
        )  # fmt: skip
        confirmation.state = state
        db.session.flush()
        time.sleep(0.01)
    learner.first_name = "หลัง"
    db.session.flush()
    (entry,) = changes_since(confirmation)
    assert entry.table_name == "student" and changes(entry) == {"first_name": ["ก่อน", "หลัง"]}
    assert history_record(entry) == "นักเรียน / เด็กเล็ก: หลัง ยืนยัน"


def test_record_history_knows_only_tracked_views(app, ctx):
    learner_id = db.session.scalar(select(func.min(Student.id)))
    with app.test_request_context():
        assert record_history("NoSuchView", learner_id) == []
        assert record_history("StudentView", "not-a-number") == []
        assert record_history("StudentView", learner_id) == history_of(Student, learner_id)


def test_a_flush_writes_its_history_in_one_statement(app, ctx):
    school = own_school()
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    for seed in range(50):
        db.session.add(
            Student(academic_year=year, school=school, id_kind="national_id", id_number=new_national_id(900000 + seed),
                    first_name="หมู่", last_name="คณะ", sex="F", birth_date=date(2017, 1, 1), class_level="p2")
        )  # fmt: skip
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO HISTORY")]) == 1
    assert db.session.scalar(select(func.count()).where(HistoryEntry.table_name == "student", HistoryEntry.row_id.in_(
        select(Student.id).where(Student.last_name == "คณะ")))) == 50  # fmt: skip


def renamed(app, learner_id, times, start=1):
    """Rename the learner ``times`` times (one history entry each): รอบ01, รอบ02, ..."""
    with app.app_context():
        learner = db.session.get(Student, learner_id)
        for round_ in range(start, start + times):
            learner.first_name = "รอบ%02d" % round_
            db.session.flush()
        db.session.commit()


def rounds_shown(page):
    """The renames the history panel lists, as their round numbers, in the order shown."""
    return [int(n) for n in re.findall(r"→ รอบ(\d+)", history_panel(page))]


def earlier_link(page):
    found = re.search(r'<a class="lec-history-earlier" href="([^"]+)"', page)
    return found and html.unescape(found.group(1))


def test_the_show_page_lists_the_latest_twenty_changes_and_links_to_the_earlier_ones(app, added_learner):
    client, learner_id = added_learner
    renamed(app, learner_id, 45)  # with the insert: 46 entries
    page = client.get("/studentview/show/%d" % learner_id).get_data(as_text=True)
    assert rounds_shown(page) == list(range(45, 25, -1))  # exactly the latest 20, newest first
    assert "ดูประวัติเพิ่มเติม" in page
    link = earlier_link(page)
    assert link.startswith("/studentview/show/%d?" % learner_id) and "history_before=" in link
    page = client.get(link).get_data(as_text=True)
    assert rounds_shown(page) == list(range(25, 5, -1))  # the next 20, none twice
    page = client.get(earlier_link(page)).get_data(as_text=True)
    assert rounds_shown(page) == list(range(5, 0, -1))
    assert page.count('class="lec-history-insert"') == 1  # the learner's adding, last
    assert earlier_link(page) is None and "ดูประวัติเพิ่มเติม" not in page


def test_twenty_changes_or_fewer_show_no_link(app, added_learner):
    client, learner_id = added_learner
    renamed(app, learner_id, 19)  # with the insert: exactly 20 entries
    page = client.get("/studentview/show/%d" % learner_id).get_data(as_text=True)
    assert len(rounds_shown(page)) == 19
    assert earlier_link(page) is None and "ดูประวัติเพิ่มเติม" not in page


def test_another_schools_learner_history_is_not_found(app, added_learner, as_user):
    client, learner_id = added_learner
    renamed(app, learner_id, 25)
    first = client.get("/studentview/show/%d" % learner_id).get_data(as_text=True)
    other = as_user("cdc")  # another school's account
    assert other.get("/studentview/show/%d" % learner_id).status_code == 404
    response = other.get(earlier_link(first))
    assert response.status_code == 404
    assert "รอบ" not in response.get_data(as_text=True)


def test_the_show_page_reads_the_history_in_the_same_statements_however_long_it_is(app, added_learner, monkeypatch):
    client, learner_id = added_learner
    for setting in ("LEC_USER_CACHE_SECONDS", "LEC_PERMISSION_CACHE_SECONDS"):  # kept however slowly it runs
        monkeypatch.setitem(app.config, setting, 3600)

    def statements():
        found = []
        listener = lambda conn, cursor, statement, *args: found.append(statement)  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/studentview/show/%d" % learner_id).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return found

    renamed(app, learner_id, 25)
    statements()  # what is kept between requests (the user, the banner's year) is read once here
    short = statements()
    renamed(app, learner_id, 100, start=26)
    long = statements()
    assert len(long) == len(short)
    history_reads = [s for s in long if "FROM history" in s]
    assert len(history_reads) == 1 and "LIMIT" in history_reads[0].upper()


def test_history_pages_follow_the_newest_first_order_when_entries_share_a_moment(ctx):
    moment = now()
    row_id = 10**9  # no learner: the entries alone
    for n in range(7):
        db.session.add(HistoryEntry(occurred_on=moment if n < 5 else moment + timedelta(seconds=n),
                                    table_name="student", row_id=row_id, action="update", changes="{}"))  # fmt: skip
    db.session.flush()
    everything = [entry.id for entry in history_of(Student, row_id)]
    pages, before = [], None
    while True:
        page = history_page(Student, row_id, 3, before=before)
        pages.append([entry.id for entry in page])
        if page.earlier is None:
            break
        before = page.earlier
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == everything
    assert history_page(Student, row_id + 1, 3, before=everything[0]) == []  # another row's entry is no marker
