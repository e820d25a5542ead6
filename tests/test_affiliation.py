"""Other-affiliation counts (จำนวนนักเรียนสังกัดอื่น) and school profiles (ข้อมูลพื้นฐานสถานศึกษา).

An LAO records, per academic year, each school in its area that it does not run, with its learners
per class level and sex, or states that there is none; that is part of its confirmation and is
locked with it. A school records its profile (personnel, classrooms) and its buildings; they are
locked with the school's confirmation, like its learners."""


import pytest
from sqlalchemy import select
from test_workflow import as_account, confirm_all_schools_of, org, year

from app.audit import history_of
from app.context import acting_as
from app.errors import Locked, OutOfScope, Refused
from app.extensions import db
from app.models import (
    AcademicYear,
    Lao,
    NoOtherSchools,
    OtherSchool,
    School,
    SchoolBuilding,
    SchoolProfile,
)
from app.workflow import CONFIRMED, confirm_lao, confirm_school, confirmation_of

from conftest import SCHOOL_OF, api_headers, close_entry_until, login, restore_dates

DEMO_LAO = "3500101"  # เทศบาลนครเชียงใหม่: the "lao" account's own
SMALL_LAO = "5500103"  # เทศบาลตำบลสุเทพ: one centre, no other-affiliation data in the demo
FOREIGN_LAO = "3400101"  # เทศบาลนครขอนแก่น

pytestmark = pytest.mark.usefixtures("fresh")  # every confirmation open before and after each test


def other_school_form(lao_id, **changes):
    form = {"academic_year": str(year().id), "lao": str(lao_id), "name": "โรงเรียนตำรวจตระเวนชายแดนบ้านแม่ริม",
            "affiliation": "bpp", "note": ""}  # fmt: skip
    form.update({field: "0" for field in OTHER_COUNTS})
    form.update(changes)
    return form


OTHER_COUNTS = [
    "%s_%s" % (level, sex) for level in ["k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6",
                                         "m1", "m2", "m3", "m4", "m5", "m6", "v1", "v2", "v3"]
    for sex in ["male", "female"]
]  # fmt: skip


def own_other_school():
    lao = org(Lao, DEMO_LAO)
    return db.session.scalar(
        select(OtherSchool).where(OtherSchool.lao_id == lao.id, OtherSchool.academic_year_id == year().id)
        .order_by(OtherSchool.id).limit(1)
    )  # fmt: skip


def profile_of(school_code):
    return db.session.scalar(
        select(SchoolProfile).join(School)
        .where(School.code == school_code, SchoolProfile.academic_year_id == year().id)
    )  # fmt: skip


@pytest.fixture
def small_lao(app):
    """An officer of เทศบาลตำบลสุเทพ, whose one centre has confirmed; its other-affiliation data
    starts empty and is cleared again afterwards."""
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username="suthep-lao") is None:
            account = sm.add_user("suthep-lao", "เจ้าหน้าที่", "สุเทพ", "suthep@lec.example", sm.find_role("อปท."),
                                  "Suthep-lao-2569")  # fmt: skip
            account.lao, account.org_level = org(Lao, SMALL_LAO), "lao"
            db.session.commit()
        confirm_all_schools_of(app, SMALL_LAO)
    yield
    with app.app_context():
        lao_id = org(Lao, SMALL_LAO).id
        confirmation_of(org(Lao, SMALL_LAO), year()).state = "open"
        db.session.commit()
        for model in (OtherSchool, NoOtherSchools):
            for row in db.session.scalars(select(model).where(model.lao_id == lao_id)):
                db.session.delete(row)
        db.session.commit()


# -- the LAO records the schools of other affiliations in its area ------------------------------


def test_an_lao_records_a_school_of_another_affiliation_with_its_learners_by_level_and_sex(app):
    client = login(app.test_client(), "lao")
    with app.app_context():
        lao_id = org(Lao, DEMO_LAO).id
        form = other_school_form(lao_id, name="โรงเรียนพระปริยัติธรรมวัดสวนดอก", affiliation="pariyatti",
                                 m1_male="21", m2_male="18")  # fmt: skip
    assert client.post("/otherschoolview/add", data=form).status_code == 302
    with app.app_context():
        added = db.session.scalar(select(OtherSchool).where(OtherSchool.name == "โรงเรียนพระปริยัติธรรมวัดสวนดอก"))
        assert (added.lao.code, added.affiliation, added.m1_male, added.m2_male, added.total) == (
            DEMO_LAO, "pariyatti", 21, 18, 39,
        )  # fmt: skip
        assert added.created_by.username == "lao"
        listing = client.get("/otherschoolview/list/").get_data(as_text=True)
        assert "โรงเรียนพระปริยัติธรรมวัดสวนดอก" in listing and "โรงเรียนวัดศรีสุพรรณ" in listing
        db.session.delete(db.session.get(OtherSchool, added.id))
        db.session.commit()


def test_the_rest_api_records_and_reads_other_affiliation_counts(app, client):
    headers = api_headers(client, "lao")
    with app.app_context():
        body = {"academic_year": year().id, "lao": org(Lao, DEMO_LAO).id, "name": "โรงเรียนอาชีวะเชียงใหม่",
                "affiliation": "vocational", "v1_male": 40, "v1_female": 35}  # fmt: skip
    created = client.post("/api/v1/other_school/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    shown = client.get("/api/v1/other_school/%d" % created.json["id"], headers=headers).json["result"]
    assert (shown["v1_male"], shown["v1_female"], shown["lao"]["name_th"]) == (40, 35, "เทศบาลนครเชียงใหม่")
    assert client.delete("/api/v1/other_school/%d" % created.json["id"], headers=headers).status_code == 200


def test_a_negative_count_is_refused_on_the_form_and_the_api(app, client):
    with app.app_context():
        lao_id = org(Lao, DEMO_LAO).id
        form = other_school_form(lao_id, name="ติดลบ", p1_male="-1")
        body = {"academic_year": year().id, "lao": lao_id, "name": "ติดลบ", "affiliation": "obec", "p1_male": -1}
    page = login(app.test_client(), "lao").post("/otherschoolview/add", data=form)
    assert page.status_code == 400
    refused = client.post("/api/v1/other_school/", json=body, headers=api_headers(client, "lao"))
    assert refused.status_code == 400 and "p1_male" in refused.json["message"]
    school = client.put(
        "/api/v1/school_profile/%d" % profile_id(app, SCHOOL_OF["school"]), json={"classrooms": -2},
        headers=api_headers(client, "school"),
    )  # fmt: skip
    assert school.status_code == 400 and "classrooms" in school.json["message"]
    with app.app_context():
        assert db.session.scalar(select(OtherSchool).where(OtherSchool.name == "ติดลบ")) is None


def test_an_unknown_affiliation_is_refused(app, client):
    with app.app_context():
        body = {"academic_year": year().id, "lao": org(Lao, DEMO_LAO).id, "name": "ไม่รู้สังกัด", "affiliation": "x"}
    refused = client.post("/api/v1/other_school/", json=body, headers=api_headers(client, "lao"))
    assert refused.status_code == 400 and "affiliation" in refused.json["message"]


# -- part of the LAO's confirmation --------------------------------------------------------------


def test_an_lao_cannot_confirm_until_its_other_affiliation_data_is_entered(app, small_lao, ctx):
    lao = org(Lao, SMALL_LAO)
    with as_account(app, "suthep-lao"):
        with pytest.raises(Refused) as refused:
            confirm_lao(lao, year())
        assert len(refused.value.reasons) == 1  # its centre has confirmed: only the counts are missing
        db.session.rollback()
        db.session.add(NoOtherSchools(academic_year=year(), lao=lao, note="มีเฉพาะสถานศึกษาของเทศบาล"))
        db.session.commit()
        confirm_lao(lao, year())
        db.session.commit()
    assert confirmation_of(lao, year()).state == CONFIRMED


def test_an_lao_that_states_there_is_none_yet_records_one_cannot_confirm(app, small_lao, ctx):
    lao = org(Lao, SMALL_LAO)
    with as_account(app, "suthep-lao"):
        db.session.add(NoOtherSchools(academic_year=year(), lao=lao))
        db.session.add(OtherSchool(academic_year=year(), lao=lao, name="โรงเรียนบ้านสุเทพ", affiliation="obec", p1_male=5))
        db.session.commit()
        with pytest.raises(Refused) as refused:
            confirm_lao(lao, year())
        assert "1" in refused.value.reasons[0]
        db.session.rollback()


def test_the_demo_lao_has_entered_its_counts_and_confirms_after_its_schools(app, ctx):
    confirm_all_schools_of(app, DEMO_LAO)
    with as_account(app, "lao"):
        confirm_lao(org(Lao, DEMO_LAO), year())
        db.session.commit()
    assert confirmation_of(org(Lao, DEMO_LAO), year()).state == CONFIRMED


@pytest.fixture
def confirmed_lao(app):
    """The demo LAO has confirmed; its first school of another affiliation and its counts."""
    with app.app_context():
        confirm_all_schools_of(app, DEMO_LAO)
        with as_account(app, "lao"):
            confirm_lao(org(Lao, DEMO_LAO), year())
            db.session.commit()
        row = own_other_school()
        before = (row.id, row.p1_male, row.name)
    yield before
    with app.app_context():
        row = db.session.get(OtherSchool, before[0])
        assert (row.id, row.p1_male, row.name) == before


def test_a_confirmed_lao_refuses_other_affiliation_changes_on_the_form(app, confirmed_lao):
    row_id = confirmed_lao[0]
    client = login(app.test_client(), "lao")
    with app.app_context():
        lao_id = org(Lao, DEMO_LAO).id
        count = db.session.scalar(select(db.func.count(OtherSchool.id)))
        edit, add = other_school_form(lao_id, name="แก้หลังยืนยัน"), other_school_form(lao_id, name="เพิ่มหลังยืนยัน")
        statement = {"academic_year": str(year().id), "lao": str(lao_id)}
    for url, form in [("/otherschoolview/edit/%d" % row_id, edit), ("/otherschoolview/add", add)]:
        assert "ล็อก" in client.post(url, data=form, follow_redirects=True).get_data(as_text=True), url
    client.post("/otherschoolview/delete/%d" % row_id)
    client.post("/nootherschoolsview/add", data=statement)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(OtherSchool.id))) == count
        assert db.session.scalar(select(NoOtherSchools).where(NoOtherSchools.lao_id == lao_id)) is None


def test_a_confirmed_lao_refuses_the_rest_api_with_409(app, client, confirmed_lao):
    headers = api_headers(client, "lao")
    put = client.put("/api/v1/other_school/%d" % confirmed_lao[0], json={"p1_male": 99}, headers=headers)
    assert put.status_code == 409 and "ยืนยัน" in put.json["message"]
    assert client.delete("/api/v1/other_school/%d" % confirmed_lao[0], headers=headers).status_code == 409


def test_a_confirmed_lao_refuses_any_other_entry_point(app, confirmed_lao):
    with app.app_context(), as_account(app, "central"):
        db.session.get(OtherSchool, confirmed_lao[0]).p1_male = 99
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()


def test_a_closed_lao_window_locks_its_other_affiliation_data(app):
    with app.app_context():
        current = year()
        saved = close_entry_until(current, "lao_deadline")
        db.session.commit()
        try:
            with as_account(app, "lao"):
                own_other_school().p1_male = 99
                with pytest.raises(Locked):
                    db.session.commit()
                db.session.rollback()
        finally:
            restore_dates(db.session.get(AcademicYear, current.id), saved)
            db.session.commit()


# -- scope -----------------------------------------------------------------------------------------


@pytest.fixture
def foreign_other_school(app):
    with app.app_context(), acting_as(None):
        lao = org(Lao, FOREIGN_LAO)
        row = db.session.scalar(select(OtherSchool).where(OtherSchool.lao_id == lao.id))
        if row is None:
            row = OtherSchool(academic_year=year(), lao=lao, name="โรงเรียนบ้านโนนทัน", affiliation="obec", p2_female=9)
            db.session.add(row)
            db.session.commit()
        return row.id


def test_another_laos_rows_are_not_found(app, client, foreign_other_school):
    screen = login(app.test_client(), "lao")
    assert screen.get("/otherschoolview/show/%d" % foreign_other_school).status_code == 404
    assert screen.get("/otherschoolview/edit/%d" % foreign_other_school).status_code == 404
    assert "โรงเรียนบ้านโนนทัน" not in screen.get("/otherschoolview/list/").get_data(as_text=True)
    headers = api_headers(client, "lao")
    assert client.get("/api/v1/other_school/%d" % foreign_other_school, headers=headers).status_code == 404
    put = client.put("/api/v1/other_school/%d" % foreign_other_school, json={"p2_female": 1}, headers=headers)
    assert put.status_code == 404


def test_writes_outside_ones_own_organisation_are_refused_whatever_the_entry_point(app, foreign_other_school):
    with app.app_context():
        with as_account(app, "lao"):
            db.session.get(OtherSchool, foreign_other_school).p2_female = 1
            with pytest.raises(OutOfScope):
                db.session.flush()
            db.session.rollback()
            db.session.add(OtherSchool(academic_year=year(), lao=org(Lao, FOREIGN_LAO), name="ไม่ใช่ของเรา",
                                       affiliation="obec"))  # fmt: skip
            with pytest.raises(OutOfScope):
                db.session.flush()
            db.session.rollback()
        with as_account(app, "province"):  # the province reads the counts; the LAO records them
            own_other_school().p1_male = 1
            with pytest.raises(OutOfScope):
                db.session.flush()
            db.session.rollback()
        with as_account(app, "school"):
            profile_of("1050130002").classrooms = 1
            with pytest.raises(OutOfScope):
                db.session.flush()
            db.session.rollback()
            db.session.add(SchoolBuilding(profile=profile_of("1050130002"), kind="hall", condition="good"))
            with pytest.raises(OutOfScope):
                db.session.flush()
            db.session.rollback()


def test_the_province_and_managers_read_other_affiliation_counts_and_profiles_but_schools_do_not(app):
    for username in ("province", "manager", "central"):
        page = login(app.test_client(), username).get("/otherschoolview/list/")
        assert page.status_code == 200 and "โรงเรียนวัดศรีสุพรรณ" in page.get_data(as_text=True), username
        assert login(app.test_client(), username).get("/schoolprofileview/list/").status_code == 200
    assert login(app.test_client(), "school").get("/otherschoolview/list/").status_code in {302, 403}
    province = login(app.test_client(), "province")
    with app.app_context():
        row = own_other_school()
        row_id, name, form = row.id, row.name, other_school_form(row.lao_id, name="แก้โดยจังหวัด")
    province.post("/otherschoolview/edit/%d" % row_id, data=form)  # a redirect either way: the database tells
    with app.app_context():
        assert db.session.get(OtherSchool, row_id).name == name


# -- the school's profile --------------------------------------------------------------------------


def profile_id(app, school_code):
    with app.app_context():
        return profile_of(school_code).id


def test_a_school_records_its_profile_and_buildings(app, client):
    own = profile_id(app, SCHOOL_OF["school"])
    headers = api_headers(client, "school")
    edited = client.put("/api/v1/school_profile/%d" % own, json={"teachers_female": 14}, headers=headers)
    assert edited.status_code == 200
    screen = login(app.test_client(), "school")
    form = {"profile": str(own), "kind": "library", "built_year_be": "2561", "condition": "good", "note": ""}
    assert screen.post("/schoolbuildingview/add", data=form).status_code == 302
    too_old = screen.post("/schoolbuildingview/add", data={**form, "built_year_be": "1990"})
    assert too_old.status_code == 400
    with app.app_context():
        profile = db.session.get(SchoolProfile, own)
        assert profile.teachers_female == 14
        library = next(b for b in profile.buildings if b.kind == "library")
        assert (library.built_year_be, library.condition, library.created_by.username) == (2561, "good", "school")
        page = screen.get("/schoolprofileview/show/%d" % own).get_data(as_text=True)
        assert "2561" in page
        db.session.delete(library)
        db.session.commit()


def test_a_school_cannot_write_another_schools_profile_nor_its_lao_write_one(app, client):
    sibling = profile_id(app, "1050130002")
    school = api_headers(client, "school")
    assert client.put("/api/v1/school_profile/%d" % sibling, json={"classrooms": 1}, headers=school).status_code == 404
    own = profile_id(app, SCHOOL_OF["school"])
    lao = api_headers(client, "lao")
    assert client.get("/api/v1/school_profile/%d" % own, headers=lao).status_code == 200
    assert client.put("/api/v1/school_profile/%d" % own, json={"classrooms": 1}, headers=lao).status_code in {401, 403}


@pytest.fixture
def confirmed_school(app):
    with app.app_context(), as_account(app, "school"):
        confirm_school(org(School, SCHOOL_OF["school"]), year())
        db.session.commit()
        profile = profile_of(SCHOOL_OF["school"])
        before = (profile.id, profile.classrooms, len(profile.buildings))
    yield before
    with app.app_context():
        profile = db.session.get(SchoolProfile, before[0])
        assert (profile.id, profile.classrooms, len(profile.buildings)) == before


def test_a_confirmed_school_refuses_profile_and_building_changes_everywhere(app, client, confirmed_school):
    own, _classrooms, _buildings = confirmed_school
    headers = api_headers(client, "school")
    put = client.put("/api/v1/school_profile/%d" % own, json={"classrooms": 20}, headers=headers)
    assert put.status_code == 409 and "ยืนยัน" in put.json["message"]
    screen = login(app.test_client(), "school")
    screen.post("/schoolbuildingview/add", data={"profile": str(own), "kind": "toilet", "condition": "good"})
    with app.app_context():
        building = db.session.get(SchoolProfile, own).buildings[0]
    assert client.delete("/api/v1/school_building/%d" % building.id, headers=headers).status_code == 409
    with app.app_context(), as_account(app, "central"):
        db.session.get(SchoolBuilding, building.id).condition = "unsafe"
        with pytest.raises(Locked):
            db.session.commit()
        db.session.rollback()


# -- history ---------------------------------------------------------------------------------------


def test_the_history_names_who_changed_counts_profiles_and_buildings(app, client):
    with app.app_context():
        row_id = own_other_school().id
        own = profile_of(SCHOOL_OF["school"])
        own_id, school_id, building_id = own.id, own.school_id, own.buildings[0].id
    client.put("/api/v1/other_school/%d" % row_id, json={"p3_male": 30}, headers=api_headers(client, "lao"))
    school = api_headers(client, "school")
    client.put("/api/v1/school_profile/%d" % own_id, json={"classrooms": 11}, headers=school)
    client.put("/api/v1/school_building/%d" % building_id, json={"condition": "major_repair"}, headers=school)
    with app.app_context():
        entry = history_of(OtherSchool, row_id)[0]
        assert (entry.actor.username, entry.lao_id) == ("lao", org(Lao, DEMO_LAO).id)
        assert entry.record().endswith(own_other_school().name) and "p3_male" in entry.changes
        entry = history_of(SchoolProfile, own_id)[0]
        assert (entry.actor.username, entry.school_id, "classrooms" in entry.changes) == ("school", school_id, True)
        entry = history_of(SchoolBuilding, building_id)[0]
        assert (entry.actor.username, entry.school_id, "major_repair" in entry.changes) == ("school", school_id, True)
