"""Roles, accounts and sign-in (app/security.py): roles as data, delegated account management
with role ceilings, lockout, rate limits on both sign-in paths, password rules, CSRF, cookies."""

import re
from pathlib import Path

import pytest
from flask_appbuilder.security.sqla.models import Permission, Role
from sqlalchemy import select, update

from app import choices
from app.extensions import db
from app.levels import ORGANISATIONS
from app.models import AuditEvent, LecUser
from app.permissions import CAN_LIST, RESOURCE_NAMES, STUDENT_API, STUDENT_VIEW, VERB_NAMES
from app.roles import ROLE_CENTRAL, ROLE_MANAGER, ROLES, declared
from app.security import role_name

from conftest import PASSWORD, api_headers, close, database_url, login, make_app, sql_run_on, visible_text


def events(app, action, target):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.target == target)
        ).all()


def test_every_kind_of_event_the_code_records_reads_in_thai_on_the_log():
    recorded = set()
    for path in Path(choices.__file__).parent.rglob("*.py"):
        recorded |= set(re.findall(r'record_event\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert recorded and recorded <= set(choices.codes(choices.AUDIT_ACTIONS))


def new_account_form(app, username, level, code, role_name, password="Strong-pass-2569"):
    with app.app_context():
        model = ORGANISATIONS[level]
        org_id = db.session.scalar(select(model.id).where(model.code == code))
        role_id = app.appbuilder.sm.find_role(role_name).id
    return {
        "first_name": "ทดสอบ", "last_name": "บัญชี", "username": username, "email": username + "@lec.example",
        "org_level": level, level: str(org_id), "roles": [str(role_id)], "active": "y",
        "password": password, "conf_password": password,
    }  # fmt: skip


def held_by(app, role_name):
    with app.app_context():
        role = app.appbuilder.sm.find_role(role_name)
        return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def test_every_role_holds_exactly_what_it_declares(app):
    for name, grants in ROLES.items():
        assert held_by(app, name) == declared(grants), name


def test_a_grant_that_names_no_permission_fails_the_sync_and_changes_no_role(app, monkeypatch):
    before = held_by(app, ROLE_MANAGER)
    typo = [(STUDENT_API, (CAN_LIST,)), (STUDENT_VIEW, ("can_lsit",))]  # a screen verb on an API; a typo
    monkeypatch.setitem(ROLES, ROLE_MANAGER, ROLES[ROLE_MANAGER] + typo)
    result = app.test_cli_runner().invoke(args=["lec", "sync-roles"])
    assert result.exit_code != 0
    assert "can_list on StudentApi" in result.output and "can_lsit on StudentView" in result.output
    assert held_by(app, ROLE_MANAGER) == before


def test_fabs_user_statistics_chart_is_not_served_nor_in_the_menu(as_user):
    """It drew with Google Charts from the internet; LEC works offline."""
    client = as_user("central")
    assert client.get("/userstatschartview/chart/").status_code == 404
    menu = client.get("/").get_data(as_text=True)
    assert "/users/list/" in menu and "userstatschartview" not in menu.lower()


def test_sync_roles_drops_the_permissions_of_a_view_no_longer_registered(app):
    with app.app_context():
        sm = app.appbuilder.sm
        stale = sm.add_permission_view_menu("can_chart", "UserStatsChartView")
        sm.add_permission_role(sm.find_role(ROLE_CENTRAL), stale)
        sm.add_permission_view_menu("menu_access", "User's Statistics")
    assert app.test_cli_runner().invoke(args=["lec", "sync-roles"]).exit_code == 0
    with app.app_context():
        sm = app.appbuilder.sm
        assert sm.find_view_menu("UserStatsChartView") is None and sm.find_view_menu("User's Statistics") is None
        assert sm.find_permission("can_chart") is None
        assert ("can_chart", "UserStatsChartView") not in held_by(app, ROLE_CENTRAL)
        assert sm.find_permission_view_menu("menu_access", "Provinces") is not None


def test_every_permission_and_resource_sync_roles_creates_has_a_name(app):
    """A new screen, API, menu entry or verb without a name in app/permissions.py fails here."""
    with app.app_context():
        resources = {view_menu.name for view_menu in app.appbuilder.sm.get_all_view_menu()}
        verbs = {permission.name for permission in db.session.scalars(select(Permission))}
    assert len(resources) > 50 and len(verbs) > 20
    assert sorted(resources - set(RESOURCE_NAMES)) == []
    assert sorted(verbs - set(VERB_NAMES)) == []


def test_the_permission_screens_show_names_in_thai_and_in_english(as_user):
    client = as_user("central")
    screens = {
        "/viewmenus/list/?_flt_0_name=StudentView": ("หน้าจอ “นักเรียน / เด็กเล็ก”", "Screen “Learners”"),
        "/viewmenus/list/?_flt_0_name=Provinces": ("เมนู “จังหวัด”", "Menu “Provinces”"),
        "/permissions/list/?_flt_0_name=can_list": ("ดูรายการ", "view list"),
        "/permissionviews/list/?_flt_0_permission=%d": ("ยืนยันข้อมูลจังหวัด", "confirm a province"),
    }
    with client.application.app_context():
        confirm = app_permission_id(client.application, "confirm_province")
    for language, shown in (("th", 0), ("en", 1)):
        client.get("/lang/" + language)
        for url, names in screens.items():
            text = visible_text(client.get(url.replace("%d", str(confirm))).get_data(as_text=True))
            assert names[shown] in text, (language, url)
            assert not re.search(r"\b(StudentView|can_list|confirm_province)\b", text), (language, url)
    role = client.get("/roles/list/").get_data(as_text=True)  # still English
    assert "Executive" in visible_text(role)
    client.get("/lang/th")


def app_permission_id(app, name):
    return app.appbuilder.sm.find_permission(name).id


def test_every_role_reads_as_its_stored_name_in_thai(ctx):
    for name in [ROLE_CENTRAL, *ROLES]:
        assert role_name(Role(name=name)) == name


def test_security_screens_are_central_only(as_user):
    for username in ["province", "lao", "school", "manager"]:
        client = as_user(username)
        for url in ["/roles/list/", "/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"]:
            assert client.get(url).status_code in (302, 403), (username, url)
    assert as_user("central").get("/roles/list/").status_code == 200


def test_a_province_officer_creates_a_school_account_in_its_province(app, as_user):
    form = new_account_form(app, "cm-school-2", "school", "1050130002", "สถานศึกษา")
    as_user("province").post("/users/add", data=form)
    with app.app_context():
        account = app.appbuilder.sm.find_user(username="cm-school-2")
        assert account is not None and account.school.code == "1050130002"
        assert account.created_by.username == "province"
    assert events(app, "account_created", "cm-school-2")


def test_nobody_grants_a_role_above_their_own(app, as_user):
    form = new_account_form(app, "sneaky-lao", "lao", "3500101", "จังหวัด")
    response = as_user("lao").post("/users/add", data=form)
    assert response.status_code == 400  # the form comes back: the role is not on offer
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="sneaky-lao") is None


def test_an_lao_officer_cannot_create_accounts_outside_its_lao(app, as_user):
    form = new_account_form(app, "other-lao-school", "school", "2050150001", "สถานศึกษา")
    as_user("lao").post("/users/add", data=form)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="other-lao-school") is None


def test_a_role_must_fit_the_accounts_level(app, as_user):
    form = new_account_form(app, "misfit", "school", "1050130002", "อปท.")
    page = as_user("province").post("/users/add", data=form, follow_redirects=True).get_data(as_text=True)
    assert "ใช้กับบัญชีของหน่วยงานระดับนี้ไม่ได้" in visible_text(page)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="misfit") is None


def test_a_weak_password_is_refused_in_thai_on_the_form(app, as_user):
    form = new_account_form(app, "weak", "school", "1050130002", "สถานศึกษา", password="12345678")
    page = as_user("province").post("/users/add", data=form).get_data(as_text=True)
    assert "อย่างน้อย 10 ตัวอักษร" in visible_text(page)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="weak") is None


def test_a_weak_password_is_refused_on_the_command_line(app):
    args = ["lec", "create-admin", "--username", "weakadmin", "--email", "weakadmin@lec.example"]
    result = app.test_cli_runner().invoke(args=args, input="password\npassword\n")
    assert result.exit_code != 0 and "10" in result.output


def test_an_officer_disables_an_account_of_its_subtree_and_it_is_recorded(app, as_user):
    form = new_account_form(app, "to-disable", "school", "1050130002", "สถานศึกษา")
    as_user("province").post("/users/add", data=form)
    with app.app_context():
        account = app.appbuilder.sm.find_user(username="to-disable")
        edit = {key: value for key, value in form.items() if key not in ("password", "conf_password", "active")}
    as_user("lao").post("/users/edit/%d" % account.id, data=edit)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="to-disable").active is False
    assert events(app, "account_changed", "to-disable")


def statements_during(app, request):
    """The SQL the request ran."""
    with app.app_context():
        engine = db.engine
    with sql_run_on(engine) as seen:
        response = request()
    assert response.status_code == 200
    return seen


def test_a_signed_in_user_is_read_once_and_then_kept_between_requests(app, as_user):
    clerk = as_user("school")
    statements_during(app, lambda: clerk.get("/studentview/list/"))
    again = statements_during(app, lambda: clerk.get("/studentview/list/"))
    assert not [sql for sql in again if "FROM ab_user" in sql and "ab_user_role" in sql]


def set_active(app, username, active):
    with app.app_context():
        app.appbuilder.sm.find_user(username=username).active = active
        db.session.commit()


def test_an_account_disabled_in_this_process_is_signed_out_at_its_next_request(app, as_user):
    clerk, officer = as_user("school"), as_user("province")
    assert clerk.get("/studentview/list/").status_code == 200
    set_active(app, "school", False)
    try:
        assert clerk.get("/studentview/list/").status_code == 302
        assert officer.get("/studentview/list/").status_code == 200
    finally:
        set_active(app, "school", True)


def test_an_account_disabled_by_another_process_is_signed_out_once_the_cache_time_is_over(app, as_user):
    """LEC_USER_CACHE_SECONDS bounds how long another process's change takes to reach this one:
    with 0 it reaches the very next request."""
    kept, app.config["LEC_USER_CACHE_SECONDS"] = app.config["LEC_USER_CACHE_SECONDS"], 0
    try:
        clerk = as_user("cdc")
        assert clerk.get("/studentview/list/").status_code == 200
        with app.app_context(), db.engine.begin() as connection:  # no session of this process sees it
            connection.execute(update(LecUser.__table__).where(LecUser.username == "cdc").values(active=False))
        assert clerk.get("/studentview/list/").status_code == 302
    finally:
        app.config["LEC_USER_CACHE_SECONDS"] = kept
        set_active(app, "cdc", True)


def test_an_account_without_an_organisation_cannot_sign_in(app, client):
    with app.app_context():
        sm = app.appbuilder.sm
        sm.add_user("orphan", "ไม่มี", "สังกัด", "orphan@lec.example", sm.find_role("ผู้บริหาร"), "Orphan-pass-2569")
    credentials = {"username": "orphan", "password": "Orphan-pass-2569"}
    response = client.post("/login/", data=credentials, follow_redirects=True)
    assert "ยังไม่ได้กำหนดหน่วยงาน" in visible_text(response.get_data(as_text=True))
    assert client.get("/studentview/list/").status_code == 302
    api = client.post("/api/v1/security/login", json={**credentials, "provider": "db"})
    assert api.status_code == 401


def test_sign_ins_and_failures_are_recorded(app, client):
    client.post("/login/", data={"username": "manager", "password": "wrong"})
    client.post("/login/", data={"username": "nobody-at-all", "password": "wrong"})
    login(client, "manager")
    assert events(app, "login", "manager") and events(app, "login_failed", "manager")
    assert events(app, "login_failed", "nobody-at-all")


@pytest.fixture
def strict_app(tmp_path):
    """An app with the production limits: 5 sign-ins per minute, lockout after 3 failures."""
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, AUTH_RATE_LIMIT="5 per minute", LEC_LOCKOUT_FAILURES=3)
        yield app
        close(app)


def test_repeated_failures_lock_the_account_on_both_sign_in_paths(strict_app):
    client = strict_app.test_client()
    for _ in range(3):
        client.post("/login/", data={"username": "school", "password": "wrong"})
    page = client.post("/login/", data={"username": "school", "password": PASSWORD}, follow_redirects=True)
    assert "ถูกระงับชั่วคราว" in visible_text(page.get_data(as_text=True))
    api = strict_app.test_client().post(
        "/api/v1/security/login", json={"username": "school", "password": PASSWORD, "provider": "db"}
    )
    assert api.status_code == 401
    assert events(strict_app, "login_refused_locked", "school")


def test_form_sign_in_is_rate_limited(strict_app):
    client = strict_app.test_client()
    codes = [client.post("/login/", data={"username": "lao", "password": "wrong"}).status_code for _ in range(7)]
    assert 429 in codes and codes[0] != 429


def test_api_sign_in_is_rate_limited(strict_app):
    client = strict_app.test_client()
    body = {"username": "lao", "password": "wrong", "provider": "db"}
    codes = [client.post("/api/v1/security/login", json=body).status_code for _ in range(7)]
    assert 429 in codes and codes[0] == 401


def test_forms_need_a_csrf_token_and_the_api_does_not(tmp_path):
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, WTF_CSRF_ENABLED=True)
        client = app.test_client()
        assert client.post("/login/", data={"username": "central", "password": PASSWORD}).status_code == 400
        headers = api_headers(client, "central")
        assert client.get("/api/v1/province/", headers=headers).status_code == 200
        close(app)


def test_session_cookie_is_http_only_and_same_site(client):
    response = client.post("/login/", data={"username": "manager", "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_province_officer_sees_only_accounts_of_its_province(app, as_user):
    page = as_user("province").get("/users/list/?psize_LecUserView=100").get_data(as_text=True)
    assert "school" in page and "central" not in visible_text(page).split()
    with app.app_context():
        central_id = app.appbuilder.sm.find_user(username="central").id
    assert as_user("province").get("/users/show/%d" % central_id).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(LecUser.org_level).where(LecUser.username == "central")) == "central"


def test_an_officer_is_offered_only_the_levels_it_manages(as_user):
    page = as_user("lao").get("/users/add").get_data(as_text=True)
    assert 'value="lao"' in page and 'value="school"' in page
    assert 'value="central"' not in page and 'value="province"' not in page
    assert 'value="central"' in as_user("central").get("/users/add").get_data(as_text=True)


def test_central_reads_sign_ins_in_thai_and_nobody_else_does(client, as_user):
    client.post("/login/", data={"username": "nobody-of-the-log", "password": "wrong"})
    page = visible_text(as_user("central").get("/auditeventview/list/").get_data(as_text=True))
    assert "nobody-of-the-log" in page and "central" in page
    assert "เข้าสู่ระบบไม่สำเร็จ" in page and "login_failed" not in page and "login" not in page.split()
    for username in ["province", "lao", "school", "manager"]:
        assert as_user(username).get("/auditeventview/list/").status_code in (302, 403)
        assert as_user(username).get("/historyview/list/").status_code in (302, 403)


def test_sync_roles_takes_away_a_grant_no_longer_declared(app):
    """A database synced when the LAO role still deleted schools loses that right at the next sync."""
    from app.permissions import CAN_DELETE, SCHOOL_API, SCHOOL_VIEW
    from app.roles import ROLE_LAO

    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(ROLE_LAO)
        for resource in (SCHOOL_VIEW, SCHOOL_API):
            role.permissions.append(sm.find_permission_view_menu(CAN_DELETE, resource))
        db.session.commit()
    assert {(CAN_DELETE, SCHOOL_VIEW), (CAN_DELETE, SCHOOL_API)} <= held_by(app, ROLE_LAO)
    assert app.test_cli_runner().invoke(args=["lec", "sync-roles"]).exit_code == 0
    held = held_by(app, ROLE_LAO)
    assert (CAN_DELETE, SCHOOL_VIEW) not in held and (CAN_DELETE, SCHOOL_API) not in held
    assert held == declared(ROLES[ROLE_LAO])


def organisation_id(app, model, code):
    with app.app_context():
        return db.session.scalar(select(model.id).where(model.code == code))


@pytest.mark.parametrize("username", ["lao", "province"])
def test_an_lao_or_province_adds_and_edits_schools_but_deletes_none(app, fresh, client, username):
    from app.models import Lao, School

    headers = api_headers(client, username)
    city = organisation_id(app, Lao, "3500101")
    new = {"code": "1050139996", "name_th": "โรงเรียนทดลองลบ", "kind": "school", "lao": city}
    added = client.post("/api/v1/school/", json=new, headers=headers)
    assert added.status_code == 201, added.json
    school_id = added.json["id"]
    try:
        changed = client.put("/api/v1/school/%d" % school_id, json={"phone": "053-000000"}, headers=headers)
        assert changed.status_code == 200
        assert client.delete("/api/v1/school/%d" % school_id, headers=headers).status_code == 403
        screen = login(app.test_client(), username)
        screen.post("/schoolview/delete/%d" % school_id)
        listing = screen.get("/schoolview/list/?_flt_0_code=1050139996").get_data(as_text=True)
        assert "โรงเรียนทดลองลบ" in listing and "/schoolview/delete/" not in listing
        assert "/schoolview/edit/%d" % school_id in listing
        with app.app_context():
            assert db.session.get(School, school_id).phone == "053-000000"
    finally:
        central = api_headers(client, "central")
        assert client.delete("/api/v1/school/%d" % school_id, headers=central).status_code == 200
    with app.app_context():
        assert db.session.get(School, school_id) is None


def test_a_province_deletes_no_lao_by_api_or_screen_and_is_offered_no_delete(app, fresh, client):
    from app.models import Lao

    headers = api_headers(client, "province")
    province = organisation_id(app, ORGANISATIONS["province"], "50")
    added = client.post("/api/v1/lao/", json={"code": "6509997", "name_th": "อบต.ทดลองลบ", "kind": "sao",
                                              "province": province}, headers=headers)  # fmt: skip
    assert added.status_code == 201, added.json
    lao_id = added.json["id"]
    try:
        assert client.delete("/api/v1/lao/%d" % lao_id, headers=headers).status_code == 403
        screen = login(app.test_client(), "province")
        screen.post("/laoview/delete/%d" % lao_id)
        listing = screen.get("/laoview/list/?_flt_0_code=6509997").get_data(as_text=True)
        assert "อบต.ทดลองลบ" in listing and "/laoview/delete/" not in listing
        with app.app_context():
            assert db.session.get(Lao, lao_id) is not None
        central = login(app.test_client(), "central")
        assert "/laoview/delete/%d" % lao_id in central.get("/laoview/list/?_flt_0_code=6509997").get_data(as_text=True)
    finally:
        assert client.delete("/api/v1/lao/%d" % lao_id, headers=api_headers(client, "central")).status_code == 200
