"""Password resets (app/resets.py): by the level above, on screens and by API, and by the person
through an emailed link (the `mailbox` fixture's real SMTP server)."""

import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app import resets
from app.extensions import db
from app.levels import ORGANISATIONS
from app.models import AuditEvent, Credential, Lao, LecUser, Province
from app.roles import ROLE_LAO, ROLE_PROVINCE, ROLE_SCHOOL

from conftest import PASSWORD, api_headers, close, database_url, login, make_app, visible_text

NEW_PASSWORD = "Chosen-own-2569"
LAO_SCHOOL = "1050130001"  # a school of the demo LAO 3500101, in province 50
OTHER_SCHOOL = "1040130001"  # a school of Khon Kaen (40)


def new_account(app, level, code, role, email=None):
    """A fresh account to reset (the demo accounts are shared by every test): (id, username)."""
    username = "t" + uuid.uuid4().hex[:10]
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, "ทดสอบ", "รีเซ็ต", email or username + "@lec.example", sm.find_role(role),
                           PASSWORD)  # fmt: skip
        model = ORGANISATIONS[level]
        setattr(user, level, db.session.scalar(select(model).where(model.code == code)))
        user.org_level = level
        db.session.commit()
        return user.id, username


def lao_outside_province_50(app):
    with app.app_context():
        return db.session.scalar(
            select(Lao.code).join(Province, Lao.province_id == Province.id).where(Province.code != "50").limit(1)
        )


def state_of(app, account_id):
    """Everything a reset changes, to prove a refusal changed nothing."""
    with app.app_context():
        user = db.session.get(LecUser, account_id)
        count = select(func.count()).select_from(Credential).where(Credential.user_id == account_id)
        credentials = db.session.scalar(count)
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.target == user.username, AuditEvent.action.like("password%"))
        )  # fmt: skip
        return user.password, user.must_change_password, user.active, credentials, events


def events_for(app, username):
    with app.app_context():
        return [
            (event.action, event.actor.username if event.actor else None)
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.target == username).order_by(AuditEvent.id)
            )
        ]


def signs_in(app, username, password):
    response = app.test_client().post("/login/", data={"username": username, "password": password})
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def reset_by_api(client, headers, account_id, mode):
    return client.post("/api/v1/account/%d/reset" % account_id, json={"mode": mode}, headers=headers)


def registration(email):
    return {
        "first_name": "สมศรี", "last_name": "ใจงาม", "position": "ครู", "phone": "053-111-222", "email": email,
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD,
    }  # fmt: skip


# -- by the level above -----------------------------------------------------------------------------


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")), reason="poppler-utils/zbar missing")
def test_a_province_resets_an_lao_account_with_a_one_card_sheet_whose_code_activates_it(app, tmp_path):
    account_id, username = new_account(app, "lao", "3500101", ROLE_LAO)
    client = login(app.test_client(), "province")
    response = client.post("/users/action_post", data={"action": "reset_with_code", "rowid": [str(account_id)]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert not signs_in(app, username, PASSWORD)  # the old password stopped working at once

    (tmp_path / "card.pdf").write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "card.pdf"), str(tmp_path / "p")], check=True)
    found = subprocess.run(["zbarimg", "-q", "--raw", *map(str, sorted(tmp_path.glob("p*.png")))],
                           capture_output=True, text=True).stdout.split()  # fmt: skip
    assert len(found) == 1  # one card
    path = found[0][len(app.config["LEC_BASE_URL"]) :]
    activation = app.test_client().post(path, data=registration(username + "@lec.example"))
    assert activation.status_code == 302
    assert signs_in(app, username, NEW_PASSWORD)
    assert events_for(app, username)[0] == ("password_reset_code", "province")


def test_an_lao_resets_a_school_account_with_a_code_by_api_and_the_code_works_once(app):
    account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    client = app.test_client()
    response = reset_by_api(client, api_headers(client, "lao"), account_id, "code")
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["username"] == username and response.json["mode"] == "code"
    assert not signs_in(app, username, PASSWORD)

    path = "/activate/" + response.json["activation_code"]
    assert app.test_client().get(path).status_code == 200
    assert app.test_client().post(path, data=registration(username + "@lec.example")).status_code == 302
    assert app.test_client().get(path).status_code == 404  # spent
    assert signs_in(app, username, NEW_PASSWORD)
    assert ("password_reset_code", "lao") in events_for(app, username)


def test_a_temporary_password_opens_only_the_change_password_form_until_changed(app):
    account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    lao = login(app.test_client(), "lao")
    data = {"action": "reset_with_temporary_password", "rowid": [str(account_id)]}
    page = lao.post("/users/action_post", data=data)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    [temporary] = re.findall(r'class="temporary-password">([^<]+)<', page.get_data(as_text=True))
    assert "รหัสผ่านชั่วคราว" in visible_text(page.get_data(as_text=True))
    assert not signs_in(app, username, PASSWORD)

    person = login(app.test_client(), username, temporary)
    for address in ("/", "/studentview/list/", "/workflow/board", "/users/userinfo/"):
        response = person.get(address)
        assert response.status_code == 302 and response.headers["Location"].endswith("/resetmypassword/form"), address
    other = login(app.test_client(), username, temporary)
    signed_out = other.get("/logout/")
    assert signed_out.status_code == 302 and "resetmypassword" not in signed_out.headers["Location"]
    form = person.get("/resetmypassword/form", follow_redirects=True)
    assert form.status_code == 200 and "รหัสผ่านชั่วคราว" in visible_text(form.get_data(as_text=True))

    api = app.test_client()
    headers = api_headers(api, username, temporary)
    refused = api.get("/api/v1/student/", headers=headers)
    assert refused.status_code == 403 and "รหัสผ่านชั่วคราว" in refused.json["message"]

    changed = person.post("/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert person.get("/studentview/list/").status_code == 200
    assert api.get("/api/v1/student/", headers=headers).status_code == 200
    assert signs_in(app, username, NEW_PASSWORD) and not signs_in(app, username, temporary)
    assert [action for action, _actor in events_for(app, username) if action.startswith("password")] == [
        "password_reset_temporary", "password_changed"]  # fmt: skip


def test_a_temporary_password_by_api_is_refused_by_the_api_until_changed_on_the_web(app):
    account_id, username = new_account(app, "lao", "3500101", ROLE_LAO)
    client = app.test_client()
    response = reset_by_api(client, api_headers(client, "province"), account_id, "temporary")
    assert response.status_code == 200
    temporary = response.json["password"]
    resets_check = resets.temporary_password()
    assert len(resets_check) == 14 and len(temporary) == 14
    headers = api_headers(client, username, temporary)
    assert client.get("/api/v1/school/", headers=headers).status_code == 403
    with app.app_context():
        assert db.session.get(LecUser, account_id).must_change_password


def test_central_resets_a_province_account(app):
    account_id, username = new_account(app, "province", "50", ROLE_PROVINCE)
    client = app.test_client()
    response = reset_by_api(client, api_headers(client, "central"), account_id, "temporary")
    assert response.status_code == 200
    assert signs_in(app, username, response.json["password"])
    assert ("password_reset_temporary", "central") in events_for(app, username)


@pytest.mark.parametrize(
    "resetter, target, status",
    [
        ("lao", ("school", OTHER_SCHOOL, ROLE_SCHOOL), 404),  # outside its subtree
        ("lao", ("lao", "3500101", ROLE_LAO), 409),  # its own level
        ("province", ("province", "50", ROLE_PROVINCE), 409),  # equal rank, same province
        ("province", ("lao", "other-province", ROLE_LAO), 404),  # another province's LAO
        ("school", ("school", LAO_SCHOOL, ROLE_SCHOOL), 403),  # a school's role may not reset
    ],
)
def test_a_reset_outside_the_subtree_or_of_equal_rank_is_refused_and_changes_nothing(app, resetter, target, status):
    level, code, role = target
    code = lao_outside_province_50(app) if code == "other-province" else code
    account_id, _username = new_account(app, level, code, role)
    before = state_of(app, account_id)
    client = app.test_client()
    headers = api_headers(client, resetter)
    for mode in ("code", "temporary"):
        response = reset_by_api(client, headers, account_id, mode)
        assert response.status_code == status, (mode, response.json)
        if status == 409:
            assert "ต่ำกว่า" in " ".join(response.json["message"])
    screen = login(app.test_client(), resetter)
    # Printing the account a new card is a reset too: its code lets the holder choose the password.
    for action in ("reset_with_code", "reset_with_temporary_password", "reissue_credentials"):
        response = screen.post("/users/action_post", data={"action": action, "rowid": [str(account_id)]})
        assert response.status_code in (302, 403, 404) and response.mimetype != "application/pdf", action
    assert state_of(app, account_id) == before


def test_nobody_resets_their_own_password_this_way(app):
    account_id, username = new_account(app, "lao", "3500101", ROLE_LAO)
    before = state_of(app, account_id)
    client = app.test_client()
    response = reset_by_api(client, api_headers(client, username, PASSWORD), account_id, "temporary")
    assert response.status_code == 409 and "ของตนเอง" in " ".join(response.json["message"])
    screen = login(app.test_client(), username)
    refused = screen.post("/users/action_post", data={"action": "reset_with_code", "rowid": [str(account_id)]},
                          follow_redirects=True)  # fmt: skip
    assert "ของตนเอง" in visible_text(refused.get_data(as_text=True))
    assert state_of(app, account_id) == before


def test_an_unknown_mode_is_bad_input_and_an_unknown_account_is_not_found(app):
    account_id, _username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    before = state_of(app, account_id)
    client = app.test_client()
    headers = api_headers(client, "lao")
    response = reset_by_api(client, headers, account_id, "email")
    assert response.status_code == 400 and "mode" in response.json["message"]
    assert reset_by_api(client, headers, 2**40, "code").status_code == 404  # beyond an integer column
    assert state_of(app, account_id) == before


def test_the_account_page_offers_both_resets(app):
    account_id, _username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    page = login(app.test_client(), "lao").get("/users/show/%d" % account_id).get_data(as_text=True)
    assert "reset_with_code" in page and "reset_with_temporary_password" in page
    with app.app_context():
        assert "ตั้งรหัสผ่านใหม่" in visible_text(page)


# -- by the person, with an emailed link ------------------------------------------------------------


def ask_for_link(app, identifier):
    response = app.test_client().post("/forgot/", data={"identifier": identifier})
    assert response.status_code == 200
    return visible_text(response.get_data(as_text=True))


def link_in(message, app):
    [link] = re.findall(r"https?://\S+/forgot/\S+", message.get_content())
    assert link.startswith(app.config["LEC_BASE_URL"])
    return link[len(app.config["LEC_BASE_URL"]) :]


def test_the_sign_in_page_links_to_forgot_password(app):
    page = app.test_client().get("/login/").get_data(as_text=True)
    assert 'href="/forgot/"' in page and "ลืมรหัสผ่าน" in visible_text(page)


def test_a_forgotten_password_is_reset_once_through_the_emailed_link(app, mailbox):
    _account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL, email="kru-%s@example.org" %
                                         uuid.uuid4().hex[:6])  # fmt: skip
    with app.app_context():
        address = db.session.scalar(select(LecUser.email).where(LecUser.username == username))
    answer = ask_for_link(app, address.upper())  # by email address, in any case
    [message] = mailbox.to(address)
    assert username in message.get_content()
    path = link_in(message, app)

    form = app.test_client().get(path)
    assert form.status_code == 200 and username in form.get_data(as_text=True)
    done = app.test_client().post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert signs_in(app, username, NEW_PASSWORD) and not signs_in(app, username, PASSWORD)

    again = app.test_client().post(path, data={"password": "Another-one-2569", "conf_password": "Another-one-2569"})
    assert again.status_code == 400 and "ใช้ไปแล้ว" in visible_text(again.get_data(as_text=True))
    assert signs_in(app, username, NEW_PASSWORD)
    assert ask_for_link(app, username) == answer  # by username: the same answer
    assert [action for action, _ in events_for(app, username) if action.startswith("password")] == [
        "password_reset_requested", "password_reset_completed", "password_reset_requested"]  # fmt: skip


def test_the_answer_is_the_same_whoever_asks_and_only_a_real_address_gets_mail(app, mailbox):
    _id, with_email = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    _id, card_only = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL, email="x-%s@lec.invalid" %
                                 uuid.uuid4().hex[:6])  # fmt: skip
    answers = {ask_for_link(app, name) for name in (with_email, card_only, "nobody-" + uuid.uuid4().hex)}
    app.config["MAIL_SERVER"] = ""
    try:
        answers.add(ask_for_link(app, with_email))  # the mail server is off
    finally:
        app.config["MAIL_SERVER"] = "127.0.0.1"
    assert len(answers) == 1 and "ลิงก์" in answers.pop()
    assert [message["To"] for message in mailbox.messages] == [with_email + "@lec.example"]
    assert [a for a, _ in events_for(app, card_only)] == []
    assert [a for a, _ in events_for(app, with_email)] == ["password_reset_requested"]


def test_an_expired_link_says_so_and_changes_nothing(app, mailbox, monkeypatch):
    account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    minutes = app.config["LEC_RESET_LINK_MINUTES"]
    monkeypatch.setattr(resets, "now", lambda: datetime.now() - timedelta(minutes=minutes + 1))
    ask_for_link(app, username)  # signed by the application's clock, minutes + 1 ago
    monkeypatch.undo()
    path = link_in(mailbox.messages[-1], app)
    before = state_of(app, account_id)
    for response in (app.test_client().get(path),
                     app.test_client().post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})):
        assert response.status_code == 400 and "หมดอายุ" in visible_text(response.get_data(as_text=True))
    assert state_of(app, account_id) == before


def test_a_tampered_link_is_refused_in_thai(app, mailbox):
    _account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    ask_for_link(app, username)
    path = link_in(mailbox.messages[-1], app)
    for bad in (path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"), "/forgot/not-a-token"):
        response = app.test_client().get(bad)
        assert response.status_code == 400 and "ใช้ไม่ได้" in visible_text(response.get_data(as_text=True))


def test_a_weak_or_mismatched_new_password_is_refused_and_the_link_still_works(app, mailbox):
    _account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    ask_for_link(app, username)
    path = link_in(mailbox.messages[-1], app)
    weak = app.test_client().post(path, data={"password": "short", "conf_password": "short"})
    assert weak.status_code == 400 and "อย่างน้อย 10 ตัวอักษร" in visible_text(weak.get_data(as_text=True))
    mismatch = app.test_client().post(path, data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert signs_in(app, username, PASSWORD)
    assert app.test_client().get(path).status_code == 200


def test_a_temporary_password_ends_with_a_reset_by_link(app, mailbox):
    account_id, username = new_account(app, "school", LAO_SCHOOL, ROLE_SCHOOL)
    client = app.test_client()
    assert reset_by_api(client, api_headers(client, "lao"), account_id, "temporary").status_code == 200
    ask_for_link(app, username)
    path = link_in(mailbox.messages[-1], app)
    chosen = {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    assert app.test_client().post(path, data=chosen).status_code == 302
    person = login(app.test_client(), username, NEW_PASSWORD)
    assert person.get("/studentview/list/").status_code == 200


def test_asking_for_links_is_rate_limited_like_the_sign_in(tmp_path):
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, AUTH_RATE_LIMIT="3 per minute")
        client = app.test_client()
        codes = [client.post("/forgot/", data={"identifier": "nobody"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and 429 in codes
        assert client.get("/forgot/").status_code == 200  # the form itself stays open
        close(app)


# -- in a real browser -----------------------------------------------------------------------------


def sign_in_page(page, username, password):
    """The sign-in form, with any password (browsing.log_in knows only the demo one)."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#loginbox input[type=submit]")
    expect(page.locator('a[href="/logout/"]')).to_be_attached()


def demo_password_back(app, username):
    with app.app_context():
        account = db.session.scalar(select(LecUser).where(LecUser.username == username))
        account.password = generate_password_hash(
            PASSWORD, method=app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
            salt_length=app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
        )  # fmt: skip
        account.must_change_password = False
        db.session.commit()


def test_in_the_browser_the_lao_gives_the_school_a_temporary_password_which_it_must_change_at_sign_in(
    browser, live_server
):
    """The LAO picks the school's account in the user list and gives it a temporary password, shown
    once; the school signs in with it, reaches only the change-password form, chooses its own and
    reaches its home. The demo `school` account gets the demo password back afterwards."""
    from browsing import SCHOOL_NAME, guide_shot, list_rows, open_context
    from playwright.sync_api import expect

    app = live_server.app
    lao = open_context(browser, live_server).new_page()
    school = open_context(browser, live_server).new_page()
    try:
        sign_in_page(lao, "lao", PASSWORD)
        lao.goto("/users/list/")
        row = list_rows(lao).filter(has=lao.locator("td", has_text=re.compile(r"^\s*school\s*$")))
        expect(row).to_have_count(1)
        row.locator("input[name=rowid]").check()
        lao.locator("button.dropdown-toggle", has_text="การดำเนินการ").click()
        lao.locator("a.reset_with_temporary_password_menu_item").click()
        lao.locator("#modal-confirm-ok").click()
        shown = lao.locator("#temporary-passwords tbody tr")
        expect(shown).to_have_count(1)
        expect(shown).to_contain_text(SCHOOL_NAME)
        temporary = shown.locator("code.temporary-password").inner_text().strip()
        assert temporary and temporary != PASSWORD
        guide_shot(lao, "reset-temporary")
        with app.app_context():
            assert db.session.scalar(select(LecUser.must_change_password).where(LecUser.username == "school"))

        sign_in_page(school, "school", temporary)
        expect(school).to_have_url(re.compile(r"/resetmypassword/form$"))
        expect(school.locator(".alert-warning").first).to_contain_text("รหัสผ่านชั่วคราว")
        school.goto("/studentview/list/")  # nothing else opens until it is changed
        expect(school).to_have_url(re.compile(r"/resetmypassword/form$"))
        school.fill("#password", NEW_PASSWORD)
        school.fill("#conf_password", NEW_PASSWORD)
        guide_shot(school, "reset-change")
        school.locator("form button[type=submit], form input[type=submit]").first.click()
        expect(school.get_by_text("เปลี่ยนรหัสผ่านเรียบร้อยแล้ว")).to_be_visible()
        school.goto("/studentview/list/")  # every screen opens again
        expect(school).to_have_url(re.compile(r"/studentview/list/$"))
        school.goto("/")
        expect(school.locator("#entry-notice")).to_be_visible()
        with app.app_context():
            account = db.session.scalar(select(LecUser).where(LecUser.username == "school"))
            assert account.must_change_password is False
            assert check_password_hash(account.password, NEW_PASSWORD)
    finally:
        lao.context.close()
        school.context.close()
        demo_password_back(app, "school")


def test_in_the_browser_the_sign_in_page_leads_to_the_forgot_password_form(browser, live_server):
    """The sign-in page's ลืมรหัสผ่าน? opens the form that asks for a username or an address."""
    from browsing import guide_shot, open_context
    from playwright.sync_api import expect

    page = open_context(browser, live_server).new_page()
    try:
        page.goto("/login/")
        page.locator("#forgot-password").click()
        expect(page).to_have_url(re.compile(r"/forgot/$"))
        expect(page.locator(".panel-title").first).to_have_text("ลืมรหัสผ่าน?")
        page.fill("#identifier", "school")
        guide_shot(page, "forgot-password")  # sending it is tested above, by the emailed link
    finally:
        page.context.close()
