"""The schema (app/models.py) and the flush-time rules (app/quality.py, app/audit.py)."""

from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from stdnum.th import pin

from app.context import acting_as
from app.errors import Invalid
from app.extensions import db
from app.models import AcademicYear, Lao, Province, School, Student

from conftest import SCHOOL_OF, learner_of


def test_all_77_provinces_are_loaded_with_official_codes(ctx):
    assert db.session.scalar(select(func.count(Province.id))) == 77
    bangkok = db.session.scalar(select(Province).where(Province.code == "10"))
    assert (bangkok.name_th, bangkok.name_en) == ("กรุงเทพมหานคร", "Bangkok")


def test_every_foreign_key_is_indexed(ctx):
    inspector = inspect(db.engine)
    for table in ["province", "lao", "school", "academic_year", "student"]:
        indexed = {tuple(index["column_names"])[0] for index in inspector.get_indexes(table)}
        indexed |= {tuple(u["column_names"])[0] for u in inspector.get_unique_constraints(table)}
        for foreign_key in inspector.get_foreign_keys(table):
            assert foreign_key["constrained_columns"][0] in indexed, (table, foreign_key)


def test_only_one_academic_year_can_be_current_even_for_a_write_past_the_rules(ctx):
    """app/quality.py refuses a second current year with a Thai message; beneath it, the database
    refuses one written straight to the table."""
    second = dict(year=2600, entry_opens=date(2057, 5, 1), school_deadline=date(2057, 8, 6),
                  lao_deadline=date(2057, 8, 6), province_deadline=date(2057, 8, 7), is_current=True)  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.execute(insert(AcademicYear).values(**second))
    db.session.rollback()


def test_codes_are_unique(ctx):
    province = db.session.scalar(select(Province).where(Province.code == "50"))
    db.session.add(Lao(code="3500101", name_th="ซ้ำ", kind="city", province=province))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_learner_with_a_bad_identifier_cannot_be_stored_from_any_entry_point(ctx):
    learner = db.session.get(Student, 1)
    learner.id_number = "1234567890123"
    with pytest.raises(Invalid) as refused:
        db.session.flush()
    assert "หลักตรวจสอบ" in refused.value.errors["id_number"]


def test_an_unknown_code_cannot_be_stored(ctx):
    school = db.session.scalar(select(School).where(School.code == "1050130001"))
    school.kind = "university"
    with pytest.raises(Invalid) as refused:
        db.session.flush()
    assert "school" in refused.value.errors["kind"]


def test_a_legacy_row_with_a_bad_identifier_can_still_be_changed_elsewhere(ctx):
    """Removing a ghost carried over from the old system must not require fixing its ID first."""
    legacy = db.session.scalar(select(Student).where(Student.last_name == "ไม่มีตัวตน"))
    legacy.room = "3" if legacy.room == "2" else "2"
    db.session.flush()
    stored = db.session.execute(select(Student.room, Student.id_number).where(Student.id == legacy.id)).one()
    assert stored == (legacy.room, legacy.id_number)
    assert not pin.is_valid(legacy.id_number)  # still the bad identifier it came with


def test_rows_record_who_created_and_changed_them(ctx):
    school_user = current_app.appbuilder.sm.find_user(username="school")
    learner = db.session.get(Student, learner_of(SCHOOL_OF["school"]))
    with acting_as(school_user.id):
        learner.room = "3"
        db.session.flush()
    assert learner.changed_by_id == school_user.id
    assert learner.changed_on is not None and learner.created_on is not None
