"""Row scoping (app/scope.py): every user sees and changes only their own subtree, on every path.

The matrix walks every registered screen and REST API whose model is placed in the organisation
tree, for every restricted demo account, and tries each verb on a row of the other province
(ขอนแก่น). A view added later without scoping shows that row and fails here."""

import pytest
from flask import url_for
from flask_appbuilder import ModelRestApi, ModelView
from sqlalchemy import func, select
from stdnum.th import pin
from test_views import learner_form

from app import quality
from app.context import acting_as
from app.credentials import issue_credentials
from app.extensions import db
from app.levels import ORGANISATIONS
from app.models import (
    AcademicYear,
    Credential,
    Lao,
    LecUser,
    NoOtherSchools,
    OtherSchool,
    Province,
    School,
    SchoolBuilding,
    SchoolProfile,
    Student,
)
from app.scope import RANK, node_of, readable

from conftest import SCHOOL_OF, api_headers, digest, learner_of, login

RESTRICTED = ["province", "lao", "school", "cdc"]
FOREIGN_SCHOOL = "1040130001"  # โรงเรียนเทศบาลสวนสนุก, ขอนแก่น
SIBLING_SCHOOL = "1050130002"  # same LAO as the school account, not its own school
SCOPED_MODELS = (
    Province, Lao, School, Student, LecUser, Credential, OtherSchool, NoOtherSchools, SchoolProfile, SchoolBuilding,
)  # fmt: skip


@pytest.fixture(scope="module")
def foreign(app):
    """One row of every scoped model under ขอนแก่น, including an account there."""
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == FOREIGN_SCHOOL))
        account = db.session.scalar(select(LecUser).where(LecUser.username == "khonkaen-school"))
        if account is None:
            sm = app.appbuilder.sm
            account = sm.add_user(
                "khonkaen-school", "ครู", "ขอนแก่น", "kk@lec.example", sm.find_role("สถานศึกษา"), "Kk-school-2569"
            )
            account.school, account.org_level = school, "school"
            db.session.commit()
        with acting_as(None):
            issue_credentials([school], include_active=True)
            db.session.commit()
        credential = db.session.scalar(
            select(Credential).join(LecUser, Credential.user_id == LecUser.id).where(LecUser.school_id == school.id)
        )
        with acting_as(None):
            other, none = foreign_other_affiliation_rows(school.lao)
        profile = db.session.scalar(select(SchoolProfile).where(SchoolProfile.school_id == school.id))
        return {
            OtherSchool: other,
            NoOtherSchools: none,
            SchoolProfile: profile.id,
            SchoolBuilding: profile.buildings[0].id,
            Credential: credential.id,
            Province: school.lao.province_id,
            Lao: school.lao_id,
            School: school.id,
            Student: learner_of(FOREIGN_SCHOOL),
            LecUser: account.id,
        }


def foreign_other_affiliation_rows(lao):
    """A school of another affiliation, and a statement that there is none, of ขอนแก่น's LAOs."""
    year_id = db.session.scalar(select(AcademicYear.id).where(AcademicYear.is_current))
    other = db.session.scalar(select(OtherSchool.id).where(OtherSchool.lao_id == lao.id))
    if other is None:
        row = OtherSchool(academic_year_id=year_id, lao=lao, name="โรงเรียนบ้านหนองแวง", affiliation="obec", p1_male=4)
        db.session.add(row)
        db.session.commit()
        other = row.id
    neighbour = db.session.scalar(select(Lao).where(Lao.code == "4401601"))
    none = db.session.scalar(select(NoOtherSchools.id).where(NoOtherSchools.lao_id == neighbour.id))
    if none is None:
        row = NoOtherSchools(academic_year_id=year_id, lao=neighbour)
        db.session.add(row)
        db.session.commit()
        none = row.id
    return other, none


def scoped_views(app):
    for view in app.appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if model in SCOPED_MODELS and isinstance(view, (ModelView, ModelRestApi)):
            yield view, model


def permissions_of(app, username):
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        return {(pv.permission.name, pv.view_menu.name) for role in user.roles for pv in role.permissions}




def allowed_for(permissions, view_name):
    return lambda verb: (verb, view_name) in permissions


DENIED = {302, 401, 403}  # no permission: screens redirect to sign-in, the API refuses


def test_every_scoped_model_has_screens_and_apis_in_the_matrix(app):
    covered = {model for _view, model in scoped_views(app)}
    assert covered == set(SCOPED_MODELS)


@pytest.mark.parametrize("username", RESTRICTED)
def test_no_screen_shows_or_touches_a_row_of_the_other_province(app, foreign, username):
    client = login(app.test_client(), username)
    allowed = permissions_of(app, username)
    for view, model in scoped_views(app):
        if not isinstance(view, ModelView):
            continue
        name, base, pk = view.class_permission_name, view.route_base, foreign[model]
        may = allowed_for(allowed, name)
        listing = client.get(base + "/list/?psize_%s=1000" % type(view).__name__)
        if may("can_list"):
            assert listing.status_code == 200, (username, base)
            assert 'name="rowid" value="%s"' % pk not in listing.get_data(as_text=True)
            assert "/show/%s\"" % pk not in listing.get_data(as_text=True), (username, base)
        else:
            assert listing.status_code in DENIED, (username, base)
        for verb, url in [("can_show", "/show/%s" % pk), ("can_edit", "/edit/%s" % pk)]:
            expected = {404} if may(verb) else DENIED
            assert client.get(base + url).status_code in expected, (username, base + url)
        expected = {404} if may("can_delete") else DENIED
        assert client.post(base + "/delete/%s" % pk).status_code in expected, (username, base, "delete")
        for action in view.actions:
            response = client.get(base + "/action/%s/%s" % (action, pk))
            assert response.status_code == 404, (username, base, action)
        assert client.post(base + "/action_post", data={"action": "x", "rowid": [pk]}).status_code == 404
    with app.app_context():
        for model, pk in foreign.items():
            assert db.session.get(model, pk) is not None, "a foreign row was deleted"


@pytest.mark.parametrize("username", RESTRICTED)
def test_no_api_shows_or_touches_a_row_of_the_other_province(app, foreign, username):
    client = app.test_client()
    headers = api_headers(client, username)
    allowed = permissions_of(app, username)
    for view, model in scoped_views(app):
        if not isinstance(view, ModelRestApi) or not view.resource_name:
            continue
        name, pk = view.class_permission_name, foreign[model]
        base = "/api/v1/%s/" % view.resource_name
        may = allowed_for(allowed, name)
        listing = client.get(base + "?q=(page_size:100)", headers=headers)
        if may("can_get"):
            assert listing.status_code == 200
            assert pk not in listing.json["ids"], (username, base)
            assert client.get(base + str(pk), headers=headers).status_code == 404, (username, base)
        else:
            assert listing.status_code in DENIED
        expected = {404} if may("can_put") else DENIED
        assert client.put(base + str(pk), json={}, headers=headers).status_code in expected, (username, base)
        expected = {404} if may("can_delete") else DENIED
        assert client.delete(base + str(pk), headers=headers).status_code in expected, (username, base)
        info = client.get(base + "_info?q=(keys:!(add_columns,edit_columns))", headers=headers)
        if may("can_info"):
            for column in info.json.get("add_columns", []) + info.json.get("edit_columns", []):
                related = SCOPED_MODELS_BY_FIELD.get(column["name"])
                if related:
                    offered = {value["id"] for value in column.get("values", [])}
                    assert foreign[related] not in offered, (username, base, column["name"])


SCOPED_MODELS_BY_FIELD = {"province": Province, "lao": Lao, "school": School, "profile": SchoolProfile}


def learner_json(app, school_code, **changes):
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.code == school_code))
    body = "3" + "%011d" % (digest(school_code, str(changes)) % 10**11)
    return {
        "academic_year": 1, "school": school_id, "id_kind": "national_id",
        "id_number": body + pin.calc_check_digit(body), "first_name": "ภูมิพัฒน์", "last_name": "ใจดี",
        "sex": "M", "birth_date": "2018-06-01", "class_level": "p1", **changes,
    }  # fmt: skip


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_rest_post_into_a_foreign_school_is_a_400_in_thai_and_writes_nothing(app, client):
    before = count(app, Student)
    headers = api_headers(client, "school")
    response = client.post("/api/v1/student/", json=learner_json(app, FOREIGN_SCHOOL), headers=headers)
    assert response.status_code == 400 and "หน่วยงานของท่าน" in str(response.json["message"]["school"])
    response = client.post("/api/v1/student/", json=learner_json(app, SIBLING_SCHOOL), headers=headers)
    assert response.status_code == 400
    assert count(app, Student) == before


def test_a_school_adds_learners_to_its_own_school_only(app, client):
    response = client.post(
        "/api/v1/student/", json=learner_json(app, SCHOOL_OF["school"], room="ก"), headers=api_headers(client, "school")
    )
    assert response.status_code == 201


def test_an_edit_cannot_move_a_learner_to_another_school(app, client):
    with app.app_context():
        own = learner_of(SCHOOL_OF["school"])
        sibling = db.session.scalar(select(School.id).where(School.code == SIBLING_SCHOOL))
    headers = api_headers(client, "school")
    response = client.put("/api/v1/student/%d" % own, json={"school": sibling}, headers=headers)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Student, own).school.code == SCHOOL_OF["school"]


def test_the_edit_form_cannot_move_a_learner_to_another_school(app, as_user):
    with app.app_context():
        own = learner_of(SCHOOL_OF["school"])
        sibling = db.session.scalar(select(School.id).where(School.code == SIBLING_SCHOOL))
    client = as_user("school")
    assert client.get("/studentview/edit/%d" % own).status_code == 200
    form = learner_form(app, school=str(sibling))
    response = client.post("/studentview/edit/%d" % own, data=form)
    assert response.status_code == 400
    assert client.post("/studentview/edit/%d" % own, data=learner_form(app)).status_code == 302  # own school
    with app.app_context():
        assert db.session.get(Student, own).school.code == SCHOOL_OF["school"]


def test_dropdowns_offer_only_the_users_own_organisations(app, as_user):
    page = as_user("school").get("/studentview/add").get_data(as_text=True)
    assert "โรงเรียนเทศบาลวัดเกตการาม" in page
    assert "โรงเรียนเทศบาลดอยเงิน" not in page and "โรงเรียนเทศบาลสวนสนุก" not in page
    page = as_user("province").get("/schoolview/add").get_data(as_text=True)
    assert "เทศบาลนครเชียงใหม่" in page and "เทศบาลนครขอนแก่น" not in page


def test_rest_info_offers_only_the_users_own_schools(client):
    info = client.get("/api/v1/student/_info?q=(keys:!(add_columns))", headers=api_headers(client, "lao")).json
    schools = next(c for c in info["add_columns"] if c["name"] == "school")
    names = {value["value"] for value in schools["values"]}
    assert "โรงเรียนเทศบาลวัดเกตการาม" in names and "ศูนย์พัฒนาเด็กเล็กเทศบาลนครเชียงใหม่" in names
    assert "โรงเรียนเทศบาลสวนสนุก" not in names and "ศูนย์พัฒนาเด็กเล็กบ้านแม่เหียะ" not in names


def test_counts_and_search_are_scoped(app, as_user):
    page = as_user("school").get("/studentview/list/").get_data(as_text=True)
    with app.app_context():
        own = db.session.scalar(
            select(func.count(Student.id)).join(School).where(School.code == SCHOOL_OF["school"])
        )
    assert "จำนวนรายการ: </strong>%d" % own in page.replace("\n", "").replace("  ", "") or str(own) in page
    searched = as_user("school").get("/studentview/list/?_flt_0_last_name=ใจดี").get_data(as_text=True)
    assert "โรงเรียนเทศบาลสวนสนุก" not in searched


def test_master_detail_lists_only_rows_in_scope(app, as_user):
    with app.app_context():
        lao_id = db.session.scalar(select(Lao.id).where(Lao.code == "3500101"))
    page = as_user("school").get("/laoview/show/%d" % lao_id).get_data(as_text=True)
    assert "โรงเรียนเทศบาลวัดเกตการาม" in page
    assert "โรงเรียนเทศบาลดอยเงิน" not in page


def test_a_school_user_reads_its_ancestors_but_nothing_beside_them(as_user):
    provinces = as_user("school").get("/provinceview/list/").get_data(as_text=True)
    assert "เชียงใหม่" in provinces and "ขอนแก่น" not in provinces and "กรุงเทพมหานคร" not in provinces


def test_central_and_managers_read_everything(as_user):
    for username in ["central", "manager"]:
        page = as_user(username).get("/schoolview/list/").get_data(as_text=True)
        assert "โรงเรียนเทศบาลสวนสนุก" in page and "โรงเรียนเทศบาลวัดเกตการาม" in page


# -- pages that name an organisation: one rule, own node or below ----------------------------------

NOT_THERE = {404, 403}  # 403: a page the role never has, whatever the organisation
ROUTE_VALUES = {"step": ["return", "exception"], "fmt": ["csv", "xlsx", "pdf"], "rule": sorted(quality.CHECK)}
ORG_ARGUMENTS = {"org_id": None, "school_id": "school", "lao_id": "lao", "province_id": "province"}


def organisation_routes(app):
    """Every registered route that names an organisation, with the level it takes (None: from the
    path's own <level>)."""
    for rule in app.url_map.iter_rules():
        named = [argument for argument in rule.arguments if argument in ORG_ARGUMENTS]
        if named and not rule.rule.startswith("/api/"):
            yield rule, named[0]


def urls_for(app, rule, argument, level, org_id):
    values = [{}]
    for name in sorted(rule.arguments - {argument, "level"}):
        values = [{**done, name: value} for done in values for value in ROUTE_VALUES[name]]
    fixed = {argument: org_id, **({"level": level} if "level" in rule.arguments else {})}
    with app.test_request_context():
        return [url_for(rule.endpoint, **fixed, **more) for more in values]


def outside(app, username):
    """Organisations outside the account's subtree (its ancestors, a sibling at each level, the
    other province), and the national IDs and names of the active learners outside it."""
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        node = node_of(user)
        targets = []
        for level, model in ORGANISATIONS.items():
            rows = db.session.scalars(
                select(model).where(~readable(model, node) | (RANK[level] < RANK[node.level])).order_by(model.id)
            ).all()  # fmt: skip
            ancestors = db.session.scalars(select(model).where(readable(model, node))).all()
            targets += [(level, row.id) for row in rows[:3]]
            targets += [(level, row.id) for row in ancestors if RANK[level] < RANK[node.level]]
        learners = db.session.execute(
            select(Student.id_number, Student.first_name, Student.last_name)
            .where(~readable(Student, node), Student.status == "active")
        ).all()  # fmt: skip
    leaks = {number for number, _first, _last in learners} | {"%s %s" % (first, last) for _n, first, last in learners}
    return sorted(set(targets)), leaks


@pytest.mark.parametrize("username", RESTRICTED)
def test_no_page_that_names_an_organisation_opens_an_ancestor_or_a_sibling(app, username):
    """Quality, workflow changes and reasons, reports, budget, boards, downloads: an organisation
    above the reader or beside it answers 404, and no answer shows a learner outside its subtree."""
    client = login(app.test_client(), username)
    targets, leaks = outside(app, username)
    assert targets and leaks
    walked = []
    for rule, argument in organisation_routes(app):
        for level, org_id in targets:
            if ORG_ARGUMENTS[argument] not in (None, level):
                continue
            for url in urls_for(app, rule, argument, level, org_id):
                answer = client.post(url) if "GET" not in rule.methods else client.get(url)
                body = answer.get_data(as_text=True) if answer.mimetype.startswith("text/") else ""
                assert answer.status_code in NOT_THERE, (url, answer.status_code)
                assert not [leak for leak in leaks if leak in body], url
                walked.append(url)
    assert any("/quality/" in url for url in walked) and any("/reports/budget/" in url for url in walked)


@pytest.mark.parametrize("username", RESTRICTED)
def test_a_reader_opens_the_pages_of_its_own_node(app, username):
    client = login(app.test_client(), username)
    with app.app_context():
        node = node_of(app.appbuilder.sm.find_user(username=username))
    for url in ("/quality/%s/%d", "/reports/%s/%d", "/reports/budget/%s/%d", "/workflow/changes/%s/%d"):
        assert client.get(url % (node.level, node.id)).status_code == 200, url % (node.level, node.id)


def test_an_id_beyond_the_column_range_is_a_404_not_a_fault(app, as_user):
    client = as_user("central")
    for url in ("/quality/school/%d", "/reports/lao/%d", "/workflow/changes/province/%d"):
        assert client.get(url % 2**70).status_code == 404
