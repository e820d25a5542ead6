"""Spot checks (app/spotcheck.py), as the circular's points 3.2 and 6 ask: during the entry window a
province draws a random sample of an LAO's or a school's active learners, stratified by school and
reproducible from its stored seed; it records what it found; and it reads who recorded each learner
that was not found. The LAO and the school read the results of their own learners only.

The demo: เชียงใหม่ (50, account `province`) holds LAO 3500101 (account `lao`) with schools
1050130001 (`school`), 1050130002 and 2050130001 (`cdc`); ขอนแก่น (40) is out of scope. Tests that
commit delete their spot checks afterwards; the others roll back."""

import json
import math
import re
from collections import Counter
from datetime import date, timedelta

import flask_babel
import pytest
from sqlalchemy import delete, func, select

from app.audit import history_of
from app.context import acting_as
from app.errors import OutOfScope, Refused
from app.extensions import db
from app.levels import LAO, PROVINCE, SCHOOL
from app.models import AcademicYear, Lao, Province, School, SpotCheck, SpotCheckItem, Student
from app.scope import Node, readable
from app.spotcheck import (
    accountability,
    allocate,
    draw_spot_check,
    population_of,
    record_result,
    sample_of,
    stored_sample,
    summary,
)
from app.workflow import CONFIRMED, confirmation_of, current_year

from conftest import SCHOOL_OF, close_entry_until, new_national_id, visible_text

LAO_CODE = "3500101"  # เทศบาลนครเชียงใหม่
LAO_SCHOOLS = ("1050130001", "1050130002", "2050130001")
SIBLING_SCHOOL = "1050130002"
FOREIGN_LAO, FOREIGN_SCHOOL = "3400101", "1040130001"  # ขอนแก่น


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def said(app, message, **values):
    """What a Thai page says for a message of the catalog (the English msgid until it has Thai)."""
    with app.test_request_context():
        return flask_babel.gettext(message, **values)


@pytest.fixture
def clean(app):
    """Spot checks committed by a test are deleted afterwards: tests share one database."""
    yield
    with app.app_context():
        db.session.execute(delete(SpotCheckItem))
        db.session.execute(delete(SpotCheck))
        db.session.commit()


def drawn_by_province(app, target_model, code, **size):
    """A committed spot check drawn by the `province` account; its id and its items' (id, school
    code, learner identifier)."""
    with app.app_context(), as_account(app, "province"):
        check = draw_spot_check(org(target_model, code), current_year(), **size)
        db.session.commit()
        items = [(item.id, item.school.code, item.student.id_number) for item in check.items]
        return check.id, items


# -- the draw ---------------------------------------------------------------------------------------


def test_each_school_gets_its_proportional_share_rounded_by_largest_remainders():
    assert allocate({1: 62, 2: 60, 3: 60}, 10) == {1: 4, 2: 3, 3: 3}
    assert allocate({1: 50, 2: 30, 3: 20}, 7) == {1: 4, 2: 2, 3: 1}
    assert allocate({7: 10}, 4) == {7: 4}
    for sizes, size in [({1: 13, 2: 7, 3: 29, 4: 1}, 11), ({1: 3, 2: 3, 3: 3}, 4), ({1: 1000, 2: 999}, 1999)]:
        shares = allocate(sizes, size)
        assert sum(shares.values()) == size
        total = sum(sizes.values())
        assert all(shares[s] <= sizes[s] and abs(shares[s] - size * sizes[s] / total) < 1 for s in sizes)


def test_every_school_with_learners_gets_at_least_one_when_the_sample_allows():
    assert allocate({1: 100, 2: 1, 3: 1}, 5) == {1: 3, 2: 1, 3: 1}
    assert allocate({1: 100, 2: 1, 3: 1}, 2) == {1: 2, 2: 0, 3: 0}  # fewer learners than schools


def test_the_same_seed_draws_the_same_learners_and_the_stored_sample_is_the_drawn_one(app, ctx):
    lao, year = org(Lao, LAO_CODE), current_year()
    with as_account(app, "province"):
        first = draw_spot_check(lao, year, count=12, seed="ตรวจ-2569-รอบ1")
        again = draw_spot_check(lao, year, count=12, seed="ตรวจ-2569-รอบ1")
        fresh = draw_spot_check(lao, year, count=12)
    assert len(stored_sample(first)) == 12
    assert stored_sample(again) == stored_sample(first)
    assert sample_of(first) == stored_sample(first) and sample_of(fresh) == stored_sample(fresh)
    assert len(fresh.seed) == 32 and fresh.seed != first.seed
    assert stored_sample(fresh) != stored_sample(first)


def test_an_lao_is_sampled_school_by_school_in_proportion_to_its_active_learners(app, ctx):
    lao, year = org(Lao, LAO_CODE), current_year()
    sizes = {school: len(ids) for school, ids in population_of(lao, year).items()}
    counted = dict(
        db.session.execute(
            select(Student.school_id, func.count(Student.id))
            .join(School, School.id == Student.school_id)
            .where(School.lao_id == lao.id, Student.status == "active", Student.academic_year_id == year.id)
            .group_by(Student.school_id)
        ).all()
    )
    assert sizes == counted and {org(School, code).id for code in LAO_SCHOOLS} == set(sizes)
    total = sum(sizes.values())
    with as_account(app, "province"):
        check = draw_spot_check(lao, year, count=10)
        by_percent = draw_spot_check(lao, year, percent=5)
    drawn = Counter(item.school_id for item in check.items)
    for school, size in sizes.items():
        assert math.floor(10 * size / total) <= drawn[school] <= math.ceil(10 * size / total)
    assert sum(drawn.values()) == check.sample_count == 10 and check.population == total
    assert (by_percent.sample_count, by_percent.sample_percent) == (math.ceil(total * 5 / 100), 5)
    assert len(by_percent.items) == by_percent.sample_count


def test_removed_learners_and_other_years_learners_are_never_drawn(app, ctx):
    school, year = org(School, SCHOOL_OF["school"]), current_year()
    own = sorted(db.session.scalars(select(Student.id).where(Student.school_id == school.id)))
    removed = own[:5]
    with as_account(app, "school"):
        for learner in db.session.scalars(select(Student).where(Student.id.in_(removed))):
            learner.status, learner.removal_reason, learner.removed_on = "removed", "moved", date.today()
        db.session.flush()
    with as_account(app, "central"):
        soon = date.today() + timedelta(days=5)
        last_year = AcademicYear(
            year=year.year - 1, entry_opens=date.today() - timedelta(days=5), school_deadline=soon, lao_deadline=soon,
            province_deadline=soon, is_current=False,
        )  # fmt: skip
        earlier = Student(
            academic_year=last_year, school=school, id_kind="national_id", id_number=new_national_id(777001),
            prefix="เด็กหญิง", first_name="ปีก่อน", last_name="ทดสอบ", sex="F", nationality="ไทย", class_level="p1",
            birth_date=date(last_year.year - 543 - 7, 12, 1),
        )  # fmt: skip
        db.session.add_all([last_year, earlier])
        db.session.flush()
    with as_account(app, "province"):
        census = draw_spot_check(school, year, count=100_000)  # more than there are: everyone
    drawn = set(stored_sample(census))
    assert drawn == set(own) - set(removed)
    assert census.population == census.sample_count == len(own) - 5
    assert earlier.id not in drawn


# -- who may draw, and when ------------------------------------------------------------------------


def test_a_province_cannot_spot_check_outside_its_province(app, ctx):
    with as_account(app, "province"):
        for target in (org(Lao, FOREIGN_LAO), org(School, FOREIGN_SCHOOL)):
            with pytest.raises(OutOfScope):
                draw_spot_check(target, current_year(), count=3)
        foreign = org(Lao, FOREIGN_LAO)
        db.session.add(SpotCheck(academic_year_id=current_year().id, province_id=foreign.province_id,
                                 lao_id=foreign.id, seed="x", population=1, sample_count=1))  # fmt: skip
        with pytest.raises(OutOfScope):
            db.session.flush()  # the flush guard refuses whatever the entry point


@pytest.mark.parametrize("username", ["lao", "school", "cdc"])
def test_lao_and_school_users_cannot_draw_spot_checks_or_record_results(app, ctx, username):
    with as_account(app, username), pytest.raises(Refused):
        draw_spot_check(org(School, SCHOOL_OF["school"]), current_year(), count=3)
    with as_account(app, "province"):
        check = draw_spot_check(org(Lao, LAO_CODE), current_year(), count=9)
    item = check.items[0]
    with as_account(app, username):
        with pytest.raises(Refused):
            record_result(item, "found", "")
        item.result = "not_found"
        with pytest.raises(OutOfScope):
            db.session.flush()


def test_a_closed_entry_window_refuses_drawing_and_recording(app, ctx):
    lao, year = org(Lao, LAO_CODE), current_year()
    with as_account(app, "province"):
        check = draw_spot_check(lao, year, count=3)
        close_entry_until(year, "province_deadline")
        with pytest.raises(Refused) as refused:
            draw_spot_check(lao, year, count=3)
        assert "%d" % year.year in str(refused.value)  # the deadline, in the Buddhist era
        with pytest.raises(Refused):
            record_result(check.items[0], "found", "")


def test_a_province_that_has_confirmed_is_done_spot_checking(app, ctx):
    province, year = org(Province, "50"), current_year()
    with as_account(app, "province"):
        check = draw_spot_check(org(Lao, LAO_CODE), year, count=3)
        confirmation_of(province, year).state = CONFIRMED
        with pytest.raises(Refused) as refused:
            draw_spot_check(org(Lao, LAO_CODE), year, count=3)
        assert said(app, "The province has confirmed its data; spot checks are closed.") in refused.value.reasons
        with pytest.raises(Refused):
            record_result(check.items[0], "found", "")


@pytest.mark.parametrize("count, percent", [(None, None), (5, 10), (0, None), (None, 0), (-3, None), (None, 101)])
def test_a_sample_size_missing_given_twice_or_out_of_range_is_refused(app, ctx, count, percent):
    with as_account(app, "province"), pytest.raises(Refused) as refused:
        draw_spot_check(org(Lao, LAO_CODE), current_year(), count=count, percent=percent)
    assert len(refused.value.reasons) == 1


def test_a_target_without_active_learners_is_refused(app, ctx):
    with as_account(app, "province"):
        empty = School(code="1050139999", kind="school", name_th="โรงเรียนเทศบาลทดสอบว่าง", lao=org(Lao, LAO_CODE))
        db.session.add(empty)
        db.session.flush()
        with pytest.raises(Refused) as refused:
            draw_spot_check(empty, current_year(), count=3)
    assert "โรงเรียนเทศบาลทดสอบว่าง" in str(refused.value)


# -- results and who answers for them --------------------------------------------------------------


def test_the_accountability_report_names_who_recorded_and_who_last_changed_a_learner_not_found(app, ctx):
    school, year = org(School, SCHOOL_OF["school"]), current_year()
    with as_account(app, "school"):
        ghost = Student(
            academic_year=year, school=school, id_kind="national_id", id_number=new_national_id(424242),
            prefix="เด็กชาย", first_name="ภูมิพัฒน์", last_name="ไม่มีตัวตน", sex="M", nationality="ไทย",
            class_level="p1", birth_date=date(year.year - 543, 5, 16) - timedelta(days=6 * 365 + 100),
        )  # fmt: skip
        db.session.add(ghost)
        db.session.flush()
    with as_account(app, "lao"):
        ghost.room = "3/1"
        db.session.flush()
    with as_account(app, "province"):
        check = draw_spot_check(school, year, count=100_000)  # everyone, the ghost included
        items = {item.student_id: item for item in check.items}
        record_result(items[ghost.id], "not_found", "ไม่พบตัวที่โรงเรียน ครูไม่รู้จัก")
        record_result(next(item for item in check.items if item.student_id != ghost.id), "found", "")
    report = accountability(check)
    assert [row.learner.id for row in report] == [ghost.id]
    row = report[0]
    assert (row.created_by.username, row.changed_by.username) == ("school", "lao")
    assert row.created_on <= row.changed_on
    assert (row.school.code, row.lao.code) == (SCHOOL_OF["school"], LAO_CODE)
    assert row.item.note == "ไม่พบตัวที่โรงเรียน ครูไม่รู้จัก" and row.item.checked_by.username == "province"
    counted = summary(check)
    assert counted.counts == {"found": 1, "not_found": 1, "mismatch": 0}
    assert (counted.sampled, counted.checked, counted.not_found_rate) == (len(check.items), 2, 0.5)


def test_the_lao_and_each_school_read_only_the_spot_checks_and_results_of_their_own_learners(app, ctx):
    with as_account(app, "province"):
        lao_check = draw_spot_check(org(Lao, LAO_CODE), current_year(), count=9)
        sibling_check = draw_spot_check(org(School, SIBLING_SCHOOL), current_year(), count=3)
    ids = {code: org(School, code).id for code in LAO_SCHOOLS}
    items = lao_check.items + sibling_check.items
    assert {item.school_id for item in lao_check.items} == set(ids.values())

    def visible(model, level, node_id):
        return set(db.session.scalars(select(model.id).where(readable(model, Node(level, node_id)))))

    lao_id, khon_kaen = org(Lao, LAO_CODE).id, org(Province, "40").id
    for code in (SCHOOL_OF["school"], SCHOOL_OF["cdc"]):
        assert visible(SpotCheckItem, SCHOOL, ids[code]) == {i.id for i in items if i.school_id == ids[code]}
        assert visible(SpotCheck, SCHOOL, ids[code]) == {lao_check.id}
    assert visible(SpotCheck, SCHOOL, ids[SIBLING_SCHOOL]) == {lao_check.id, sibling_check.id}
    assert visible(SpotCheckItem, LAO, lao_id) == {item.id for item in items}
    assert visible(SpotCheck, LAO, lao_id) == {lao_check.id, sibling_check.id}
    assert visible(SpotCheck, PROVINCE, khon_kaen) == set() and visible(SpotCheckItem, PROVINCE, khon_kaen) == set()


# -- screens --------------------------------------------------------------------------------------


def result_form(item_ids, results, notes=None):
    data = {}
    for index, item_id in enumerate(item_ids):
        data["rows-%d-item_id" % index] = str(item_id)
        data["rows-%d-result" % index] = results.get(index, "found")
        data["rows-%d-note" % index] = (notes or {}).get(index, "")
    return data


def test_a_province_officer_draws_records_and_reads_the_rate_and_the_accountability_on_screen(app, as_user, clean):
    client = as_user("province")
    with app.app_context():
        lao_id = org(Lao, LAO_CODE).id
    form = client.get("/spotcheck/new").get_data(as_text=True)
    assert "เทศบาลนครเชียงใหม่ (3500101)" in form and "เทศบาลนครขอนแก่น" not in form
    drawn = client.post("/spotcheck/new", data={"lao": str(lao_id), "school": "", "count": "6", "percent": ""})
    assert drawn.status_code == 302
    check_id = int(drawn.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        items = db.session.scalars(
            select(SpotCheckItem).where(SpotCheckItem.spot_check_id == check_id)
            .order_by(SpotCheckItem.school_id, SpotCheckItem.student_id)
        ).all()  # fmt: skip
        item_ids = [item.id for item in items]
        missing = items[0].student
        missing_name, missing_id = "%s %s" % (missing.first_name, missing.last_name), missing.id_number
    page = visible_text(client.get("/spotcheck/%d" % check_id).get_data(as_text=True))
    assert missing_id in page and "เทศบาลนครเชียงใหม่ (3500101)" in page
    saved = client.post(
        "/spotcheck/%d/results" % check_id,
        data=result_form(item_ids, {0: "not_found", 1: "mismatch"}, {0: "ไม่พบตัว", 1: "ชื่อสะกดผิด"}),
    )
    assert saved.status_code == 302
    page = visible_text(client.get("/spotcheck/%d" % check_id).get_data(as_text=True))
    assert "16.7%" in page  # 1 of 6
    accountable = page.split(said(app, "Learners not found: who recorded them"))[1]
    assert missing_name in accountable and missing_id in accountable and "ไม่พบตัว" in accountable
    listing = visible_text(client.get("/spotcheckview/list/").get_data(as_text=True))
    assert "16.7% (1/6)" in listing and "เทศบาลนครเชียงใหม่" in listing
    assert client.get("/spotcheckview/show/%d" % check_id).headers["Location"].endswith("/spotcheck/%d" % check_id)


def test_bad_input_on_the_spot_check_screens_is_a_400_in_thai_never_a_500(app, as_user, clean):
    client = as_user("province")
    with app.app_context():
        lao_id, school_id, foreign_id = org(Lao, LAO_CODE).id, org(School, SIBLING_SCHOOL).id, org(Lao, FOREIGN_LAO).id
    for data, message in [
        ({"lao": str(lao_id), "count": "หก"}, "ต้องเป็นจำนวนเต็มที่ถูกต้อง"),
        ({"lao": str(foreign_id), "count": "3"}, "ตัวเลือกไม่ถูกต้อง"),  # a province of its own only
        ({"lao": "x", "count": "3"}, "ตัวเลือกไม่ถูกต้อง"),
        ({"lao": str(lao_id), "school": str(school_id), "count": "3"},
         said(app, "Choose one: a local administrative organisation or a school.")),
        ({"count": "3"}, said(app, "Choose one: a local administrative organisation or a school.")),
        ({"lao": str(lao_id), "count": "0"}, said(app, "The sample size must be greater than zero.")),
        ({"lao": str(lao_id), "count": "3", "percent": "10"},
         said(app, "Give either a number of learners or a percentage, not both.")),
        ({"lao": str(lao_id), "percent": "150"}, said(app, "A percentage cannot be above 100.")),
    ]:  # fmt: skip
        response = client.post("/spotcheck/new", data=data)
        assert response.status_code == 400, data
        assert message in visible_text(response.get_data(as_text=True)), data
    with app.app_context():
        assert db.session.scalar(select(func.count(SpotCheck.id))) == 0
    check_id, items = drawn_by_province(app, Lao, LAO_CODE, count=3)
    other_id, other_items = drawn_by_province(app, School, SIBLING_SCHOOL, count=2)
    item_ids = [item_id for item_id, _code, _number in items]
    assert client.post("/spotcheck/%d/results" % check_id, data=result_form(item_ids, {0: "ghost"})).status_code == 400
    bad_id = result_form(item_ids, {}) | {"rows-0-item_id": "x"}
    assert client.post("/spotcheck/%d/results" % check_id, data=bad_id).status_code == 400
    foreign_item = result_form([other_items[0][0]], {})
    assert client.post("/spotcheck/%d/results" % check_id, data=foreign_item).status_code == 404
    assert client.get("/spotcheck/999999").status_code == 404
    assert client.get("/spotcheck/abc").status_code == 404
    assert client.get("/spotcheckview/show/abc").status_code == 404


def test_a_province_sees_no_spot_check_of_another_province(app, as_user, clean):
    with app.app_context(), as_account(app, "central"):
        check = draw_spot_check(org(Lao, FOREIGN_LAO), current_year(), count=2)
        db.session.commit()
        check_id, item_id = check.id, check.items[0].id
    client = as_user("province")
    assert client.get("/spotcheck/%d" % check_id).status_code == 404
    assert client.get("/spotcheckview/show/%d" % check_id, follow_redirects=True).status_code == 404
    assert client.get("/spotcheckitemview/show/%d" % item_id).status_code == 404
    assert client.post("/spotcheck/%d/results" % check_id, data=result_form([item_id], {})).status_code == 404
    assert "/spotcheck/%d\"" % check_id not in client.get("/spotcheckview/list/").get_data(as_text=True)


def test_the_lao_and_the_school_read_their_own_learners_results_on_screen_and_change_nothing(app, as_user, clean):
    check_id, items = drawn_by_province(app, Lao, LAO_CODE, count=9)
    with app.app_context(), as_account(app, "province"):
        for item in db.session.scalars(select(SpotCheckItem).where(SpotCheckItem.spot_check_id == check_id)):
            record_result(item, "found", "พบตัว")
        db.session.commit()
    lao, school = as_user("lao"), as_user("school")
    lao_page = visible_text(lao.get("/spotcheck/%d" % check_id).get_data(as_text=True))
    assert all(number in lao_page for _id, _code, number in items)
    for url in ("/spotcheck/%d" % check_id, "/spotcheckitemview/list/?psize_SpotCheckItemView=100"):
        page = visible_text(school.get(url).get_data(as_text=True))
        for _id, code, number in items:
            assert (number in page) == (code == SCHOOL_OF["school"]), (url, code)
    school_page = school.get("/spotcheck/%d" % check_id).get_data(as_text=True)
    assert re.search(r"<select[^>]*rows-0-result", school_page) is None  # read only
    for client in (lao, school):
        assert client.get("/spotcheck/new").status_code in (302, 403)
        posted = client.post("/spotcheck/%d/results" % check_id, data=result_form([items[0][0]], {0: "not_found"}))
        assert posted.status_code in (302, 403)
    with app.app_context():
        assert db.session.scalar(select(func.count(SpotCheckItem.id)).where(SpotCheckItem.result == "not_found")) == 0


def test_a_recorded_result_is_in_the_change_history_with_the_officer(app, clean):
    check_id, items = drawn_by_province(app, School, SIBLING_SCHOOL, count=1)
    with app.app_context(), as_account(app, "province"):
        item = db.session.get(SpotCheckItem, items[0][0])
        record_result(item, "not_found", "ไม่พบที่บ้านตามที่อยู่")
        db.session.commit()
        newest = history_of(SpotCheckItem, item.id)[0]
        province_user = app.appbuilder.sm.find_user(username="province")
        assert (newest.action, newest.actor_id) == ("update", province_user.id)
        assert json.loads(newest.changes)["result"] == [None, "not_found"]
        assert ("insert", province_user.id) in [(e.action, e.actor_id) for e in history_of(SpotCheck, check_id)]
