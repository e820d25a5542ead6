"""`flask lec ...` (app/cli.py, app/demo.py)."""

from datetime import date

from flask import current_app
from sqlalchemy import func, select
from stdnum.th import pin

from app.extensions import db
from app.models import AcademicYear, Lao, School, Student
from app.roles import ROLES


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    with app.app_context():
        before = db.session.scalar(select(func.count(Student.id)))
    result = runner.invoke(args=["lec", "seed-demo"])
    assert result.exit_code == 0 and "already present" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == before


def test_demo_has_two_provinces_several_lao_kinds_ten_schools_and_about_600_learners(ctx):
    laos = db.session.scalars(select(Lao)).all()
    assert {lao.province.code for lao in laos} == {"40", "50"}
    assert {lao.kind for lao in laos} >= {"pao", "city", "town", "subdistrict", "sao"}
    schools = db.session.scalars(select(School)).all()
    assert len(schools) == 10 and {school.kind for school in schools} == {"school", "cdc"}
    assert 550 <= db.session.scalar(select(func.count(Student.id))) <= 650


def test_demo_year_is_current_and_open_today(ctx):
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
    assert year.entry_opens <= date.today() <= year.school_deadline


def test_demo_carries_deliberate_data_problems(ctx):
    ids = db.session.scalars(select(Student.id_number)).all()
    assert any(not pin.is_valid(i) for i in ids if not i.startswith("G")), "a bad check digit"
    assert any(i.startswith("G") for i in ids), "learners with G codes"
    twins = db.session.execute(
        select(Student.id_number).group_by(Student.id_number).having(func.count(func.distinct(Student.school_id)) > 1)
    ).all()
    assert twins, "the same learner in two schools"


def test_one_demo_account_per_role(ctx):
    sm = current_app.appbuilder.sm
    accounts = ["central", "province", "lao", "school", "cdc", "manager"]
    roles = {name: sm.find_user(username=name).roles[0].name for name in accounts}
    assert set(roles.values()) == set(ROLES) | {"ส่วนกลาง"}


def test_create_admin_asks_for_a_password_and_refuses_duplicates(app):
    runner = app.test_cli_runner()
    args = ["lec", "create-admin", "--username", "chief", "--email", "chief@lec.example"]
    result = runner.invoke(args=args, input="S3cure-pass-2569\nS3cure-pass-2569\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="chief")
        assert user.roles[0].name == "ส่วนกลาง"
    assert runner.invoke(args=args, input="x\nx\n").exit_code != 0


def test_sync_roles_restores_a_tampered_role(app):
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("ผู้บริหาร")
        role.permissions = []
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["lec", "sync-roles"]).exit_code == 0
    with app.app_context():
        assert len(app.appbuilder.sm.find_role("ผู้บริหาร").permissions) > 10
