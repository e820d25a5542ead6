"""The figures a province confirmed, frozen (app/snapshots.py, DESIGN.md §4.8): the budget and the
confirmed reports read the snapshot, never the live rows; a correction after a return makes a new
version; below the province every figure says it is provisional."""

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from app import choices
from app.context import acting_as
from app.errors import AppendOnly
from app.extensions import db
from app.learners import remove_learners
from app.levels import PROVINCE, SCHOOL
from app.models import AcademicYear, Lao, Province, School, Snapshot, SnapshotCount, SnapshotOtherCount, Student
from app.reports import CONFIRMED, ENTERED, budget, head_count
from app.workflow import (
    CONFIRMED as STATE_CONFIRMED,
)
from app.workflow import (
    confirm_lao,
    confirm_province,
    confirm_school,
    confirmation_of,
    return_lao,
    return_province,
    return_school,
)

from conftest import SCHOOL_OF, learner_of, visible_text

CHIANG_MAI, CITY = "50", "3500101"
NOT_FINAL = "ยังไม่ใช่ข้อมูลที่จังหวัดยืนยัน"


def as_account(app, username):
    return acting_as(app.appbuilder.sm.find_user(username=username).id)


def org(model, code):
    return db.session.scalar(select(model).where(model.code == code))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


@pytest.fixture
def clean(app, fresh):
    """No snapshot and every confirmation open (``fresh``), in an app context."""
    with app.app_context():
        yield
        db.session.rollback()


def everything_below_confirmed(province):
    """Every school and LAO of the province confirmed, states set straight (their own steps are
    tests/test_workflow.py's)."""
    for lao in db.session.scalars(select(Lao).where(Lao.province_id == province.id)):
        confirmation_of(lao, year()).state = STATE_CONFIRMED
        for school in db.session.scalars(select(School).where(School.lao_id == lao.id)):
            confirmation_of(school, year()).state = STATE_CONFIRMED
    db.session.commit()


def province_confirms(app, province):
    with as_account(app, "province"):
        transition = confirm_province(province, year())
        db.session.commit()
    return transition


def live_counts(province_id, year_id):
    """{(school, class level, sex): learners}, counted with plain SQL from the live rows."""
    rows = db.session.execute(text(
        "SELECT s.school_id, s.class_level, s.sex, count(*) FROM student s JOIN school sc ON sc.id = s.school_id"
        " JOIN lao l ON l.id = sc.lao_id WHERE l.province_id = :province AND s.academic_year_id = :year"
        " AND s.status = 'active' GROUP BY s.school_id, s.class_level, s.sex"
    ), {"province": province_id, "year": year_id})  # fmt: skip
    return {(school, level, sex): n for school, level, sex, n in rows}


def frozen_counts(snapshot_id):
    rows = db.session.execute(
        text("SELECT school_id, class_level, sex, learners FROM snapshot_count WHERE snapshot_id = :id"),
        {"id": snapshot_id},
    )
    return {(school, level, sex): n for school, level, sex, n in rows}


def live_other_counts(province_id, year_id):
    """{(LAO, name, class level, sex): learners} of the other-affiliation rows, with plain SQL."""
    found = {}
    for name in choices.OTHER_SCHOOL_COUNTS:
        level, sex = name.rsplit("_", 1)
        rows = db.session.execute(text(
            "SELECT o.lao_id, o.name, o.%s FROM other_school o JOIN lao l ON l.id = o.lao_id"
            " WHERE l.province_id = :province AND o.academic_year_id = :year AND o.%s > 0" % (name, name)
        ), {"province": province_id, "year": year_id})  # fmt: skip
        for lao_id, school, number in rows:
            found[(lao_id, school, level, "M" if sex == "male" else "F")] = number
    return found


def reported(report):
    counted = {}
    for code, _label, line in report.rows:
        counted.update({(code, "M"): line.male, (code, "F"): line.female})
    return {key: n for key, n in counted.items() if n}


def test_a_province_that_confirms_freezes_its_learners_per_school_level_and_sex_as_version_1(app, clean):
    province = org(Province, CHIANG_MAI)
    everything_below_confirmed(province)
    transition = province_confirms(app, province)
    snapshot = db.session.scalar(select(Snapshot).where(Snapshot.province_id == province.id))
    assert snapshot.version == 1 and snapshot.academic_year_id == year().id
    assert snapshot.transition_id == transition.id
    assert snapshot.confirmed_by.username == "province" and snapshot.confirmed_on == transition.occurred_on
    expected = live_counts(province.id, year().id)
    assert expected and frozen_counts(snapshot.id) == expected
    others = db.session.execute(
        select(SnapshotOtherCount.lao_id, SnapshotOtherCount.name, SnapshotOtherCount.class_level,
               SnapshotOtherCount.sex, SnapshotOtherCount.learners)
        .where(SnapshotOtherCount.snapshot_id == snapshot.id)
    ).all()  # fmt: skip
    assert {row[:4]: row[4] for row in others} == live_other_counts(province.id, year().id) != {}
    placed = db.session.execute(
        select(SnapshotCount.province_id, SnapshotCount.lao_id, School.lao_id)
        .join(School, School.id == SnapshotCount.school_id).where(SnapshotCount.snapshot_id == snapshot.id)
    ).all()  # fmt: skip
    assert {(p, lao) for p, lao, _now in placed} == {(province.id, now) for _p, _lao, now in placed}


def test_the_budget_and_the_confirmed_report_read_the_snapshot_not_the_live_rows(app, clean):
    province = org(Province, CHIANG_MAI)
    everything_below_confirmed(province)
    province_confirms(app, province)
    with as_account(app, "province"):
        money = budget("province", province.id, year())
        confirmed = head_count("province", province.id, year(), CONFIRMED)
        entered = head_count("province", province.id, year(), ENTERED)
    assert money.total > 0 and money.provisional == 0 and money.standing.level == PROVINCE
    assert all(part.provisional == 0 for part in money.parts)
    assert confirmed.final == confirmed.total.total > 0 and confirmed.provisional == 0
    assert reported(confirmed) == reported(entered)
    school = org(School, SCHOOL_OF["school"])
    # a write that bypasses the lock, straight to the tables: the confirmed figures must not move
    db.session.execute(
        text("UPDATE student SET class_level = 'm6', sex = 'F' WHERE id IN"
             " (SELECT id FROM student WHERE school_id = :school ORDER BY id LIMIT 5)"),
        {"school": school.id},
    )  # fmt: skip
    db.session.execute(text("UPDATE other_school SET k1_male = k1_male + 40 WHERE lao_id = :lao"),
                       {"lao": school.lao_id})  # fmt: skip
    with as_account(app, "province"):
        assert budget("province", province.id, year()).total == money.total
        after = head_count("province", province.id, year(), CONFIRMED)
        assert reported(after) == reported(confirmed)
        assert reported(after.other) == reported(confirmed.other)
        assert reported(head_count("province", province.id, year(), ENTERED)) != reported(entered)
    snapshot_id = db.session.scalar(select(Snapshot.id).where(Snapshot.province_id == province.id))
    frozen = {}
    for (school_id, _level, _sex), number in frozen_counts(snapshot_id).items():
        frozen[school_id] = frozen.get(school_id, 0) + number
    with as_account(app, "lao"):
        lao = head_count("lao", school.lao_id, year(), CONFIRMED)
    assert {part.id: line.total for part, line in lao.parts if line.total} == {
        school_id: n for school_id, n in frozen.items() if school_id in {part.id for part, _line in lao.parts}
    }
    assert lao.standing.level == PROVINCE and lao.standing.note() == ""
    assert all(standing.final for standing in lao.standings.values())


def test_a_correction_after_a_return_makes_version_2_and_the_report_shows_both_and_the_difference(
    app, clean, as_user
):
    province, lao, school = org(Province, CHIANG_MAI), org(Lao, CITY), org(School, SCHOOL_OF["school"])
    learner_id = learner_of(SCHOOL_OF["school"])
    learner = db.session.get(Student, learner_id)
    level, sex = learner.class_level, learner.sex
    everything_below_confirmed(province)
    province_confirms(app, province)
    with as_account(app, "province"):
        first = budget("province", province.id, year())
    with as_account(app, "central"):
        return_province(province, year(), "ตัวเลขไม่ตรงกับทะเบียน")
        db.session.commit()
    with as_account(app, "province"):
        returned = budget("province", province.id, year())
        assert returned.total == first.total and returned.provisional == 0  # v1 stays the final figure
        assert returned.standing.returned and "ส่งคืนแก้ไข" in returned.standing.note()
    page = visible_text(as_user("province").get("/reports/budget/province/%d" % province.id).get_data(True))
    assert "ส่งคืนแก้ไขแล้ว: ฉบับที่ 1 ยังเป็นตัวเลขที่ใช้" in page
    with as_account(app, "province"):
        return_lao(lao, year(), "นักเรียนย้ายออกแล้ว")
        db.session.commit()
    with as_account(app, "lao"):
        return_school(school, year(), "นักเรียนย้ายออกแล้ว")
        db.session.commit()
    try:
        with as_account(app, "school"):
            remove_learners([db.session.get(Student, learner_id)], "moved", date.today())
            db.session.commit()
            confirm_school(school, year())
            db.session.commit()
        with as_account(app, "lao"):
            confirm_lao(lao, year())
            db.session.commit()
        province_confirms(app, province)
        numbers = db.session.scalars(
            select(Snapshot.version).where(Snapshot.province_id == province.id).order_by(Snapshot.version)
        ).all()
        assert numbers == [1, 2]
        with as_account(app, "province"):
            report = head_count("province", province.id, year(), CONFIRMED)
            assert budget("province", province.id, year()).total < first.total
        assert [version.snapshot.version for version in report.versions] == [1, 2]
        assert report.versions[0].learners - 1 == report.versions[1].learners == report.total.total
        assert report.versions[1].snapshot.confirmed_by.username == "province"
        label = dict(choices.CLASS_LEVELS)[level]
        assert [(str(name), old - new) for name, old, new in report.difference.levels] == [(label, 1)]
        assert [(changed.id, old - new) for changed, old, new in report.difference.schools] == [(school.id, 1)]
        assert frozen_counts(report.versions[1].snapshot.id) == live_counts(province.id, year().id)
        frozen_before = frozen_counts(report.versions[0].snapshot.id)
        assert frozen_before[(school.id, level, sex)] == frozen_counts(report.versions[1].snapshot.id).get(
            (school.id, level, sex), 0) + 1  # fmt: skip
        page = visible_text(
            as_user("province").get("/reports/province/%d?basis=confirmed" % province.id).get_data(as_text=True)
        )
        assert "ฉบับที่ 1" in page and "ฉบับที่ 2" in page and school.name_th in page
        with as_account(app, "lao"):
            below = head_count("school", school.id, year(), CONFIRMED)
        assert [version.learners for version in below.versions] == [
            sum(n for (s, _l, _x), n in frozen_before.items() if s == school.id),
            below.total.total,
        ]
    finally:
        db.session.rollback()
        db.session.execute(
            text("UPDATE student SET status = 'active', removal_reason = NULL, removed_on = NULL,"
                 " removal_note = NULL, removed_by_id = NULL WHERE id = :id"), {"id": learner_id},
        )  # fmt: skip
        db.session.commit()


def test_a_province_with_only_a_school_confirmed_shows_it_as_provisional_and_budgets_nothing_final(
    app, clean, as_user
):
    school = org(School, SCHOOL_OF["school"])
    with as_account(app, "school"):
        confirm_school(school, year())
        db.session.commit()
    province_id, lao_id, school_id = school.lao.province_id, school.lao_id, school.id
    with as_account(app, "lao"):
        report = head_count("lao", lao_id, year(), CONFIRMED)
    standing = report.standings[school_id]
    assert standing.level == SCHOOL and str(standing.note()) == NOT_FINAL
    assert report.final == 0 and report.provisional == report.total.total > 0
    with as_account(app, "province"):
        money = budget("province", province_id, year())
    assert money.total == 0 and money.provisional > 0
    parts = {part.organisation.id: part for part in money.parts}
    assert parts[lao_id].final == 0 and parts[lao_id].provisional == money.provisional
    assert str(parts[lao_id].standing.note()) == NOT_FINAL
    assert all(item.final.baht == 0 for item in money.items)
    budget_page = visible_text(as_user("province").get("/reports/budget/province/%d" % province_id).get_data(True))
    assert NOT_FINAL in budget_page and "ยืนยันโดยสถานศึกษาเท่านั้น (1 จาก" in budget_page
    lao_page = visible_text(as_user("lao").get("/reports/lao/%d?basis=confirmed" % lao_id).get_data(True))
    assert NOT_FINAL in lao_page and "ยืนยันโดยสถานศึกษาเท่านั้น" in lao_page


def test_the_orm_cannot_change_or_delete_a_snapshot(app, clean):
    province = org(Province, CHIANG_MAI)
    everything_below_confirmed(province)
    province_confirms(app, province)
    snapshot = db.session.scalar(select(Snapshot).where(Snapshot.province_id == province.id))
    snapshot.version = 9
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    count = db.session.scalar(select(SnapshotCount).limit(1))
    count.learners += 1
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    for row in (db.session.scalar(select(SnapshotCount).limit(1)), db.session.scalar(select(Snapshot).limit(1)),
                db.session.scalar(select(SnapshotOtherCount).limit(1))):  # fmt: skip
        db.session.delete(row)
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.execute(update(SnapshotCount).values(learners=0))
    db.session.rollback()
    assert db.session.scalar(select(Snapshot.version).where(Snapshot.province_id == province.id)) == 1


def test_a_province_confirmed_before_snapshots_existed_gets_version_1_from_the_migration(app, clean):
    province = org(Province, CHIANG_MAI)
    everything_below_confirmed(province)
    transition = province_confirms(app, province)
    frozen = frozen_counts(db.session.scalar(select(Snapshot.id).where(Snapshot.province_id == province.id)))
    transition_id, province_id = transition.id, province.id
    db.session.remove()
    downgrade(revision="0009")  # the tables go, the confirmed province stays
    upgrade()
    snapshot = db.session.scalar(select(Snapshot).where(Snapshot.province_id == province_id))
    assert (snapshot.version, snapshot.transition_id, snapshot.confirmed_by.username) == (1, transition_id, "province")
    assert frozen_counts(snapshot.id) == frozen
