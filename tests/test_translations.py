"""Thai first, completely (app/translations/): every string LEC, Flask-AppBuilder, WTForms and
Flask-WTF show has a Thai translation, and no reachable page shows an English UI string."""

import glob
import io
import os
import re

import flask_appbuilder
import pytest
import wtforms
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import SCHOOL_OF, learner_of, visible_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THAI = os.path.join(ROOT, "app", "translations", "th", "LC_MESSAGES", "messages.po")
FAB_CATALOGS = glob.glob(
    os.path.join(os.path.dirname(flask_appbuilder.__file__), "translations", "*", "LC_MESSAGES", "messages.po")
)
WTFORMS_POT = os.path.join(os.path.dirname(wtforms.__file__), "locale", "wtforms.pot")


def msgid(message):
    return message.id if isinstance(message.id, str) else message.id[0]


def read_catalog(path):
    with open(path, "rb") as source:  # some of FAB's date headers do not parse: drop them
        text = re.sub(rb'"(POT-Creation|PO-Revision)-Date: [^"]*"', b'""', source.read())
    return {msgid(m): m for m in read_po(io.BytesIO(text)) if m.id}


def app_msgids():
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    return {
        text if isinstance(text, str) else text[0]
        for _file, _line, text, _comments, _context in extract_from_dir(ROOT, method_map, keywords=keywords)
    }


THAI_CATALOG = read_catalog(THAI)
FAB_MSGIDS = set().union(*(read_catalog(path) for path in FAB_CATALOGS))
WTFORMS_MSGIDS = set(read_catalog(WTFORMS_POT))


def untranslated(msgids):
    missing = []
    for text in msgids:
        entry = THAI_CATALOG.get(text)
        translation = entry and (entry.string if isinstance(entry.string, str) else entry.string[0])
        if not translation or entry.fuzzy:
            missing.append(text)
    return sorted(missing)


def test_every_lec_string_has_a_thai_translation():
    assert untranslated(app_msgids()) == []


def test_every_flask_appbuilder_string_has_a_thai_translation():
    assert len(FAB_MSGIDS) > 150
    assert untranslated(FAB_MSGIDS) == []


def test_every_wtforms_message_has_a_thai_translation():
    assert untranslated(WTFORMS_MSGIDS) == []


def kept_as_is(text):
    """Names such as OpenID read the same in Thai."""
    entry = THAI_CATALOG.get(text)
    return entry is not None and entry.string == text


ENGLISH_UI = sorted(
    {
        text
        for text in FAB_MSGIDS | WTFORMS_MSGIDS | app_msgids()
        if len(text) > 3 and "%" not in text and not kept_as_is(text)
    },
    key=len,
    reverse=True,
)
PAGES = {
    "central": [
        "/", "/studentview/list/", "/studentview/add", "/studentview/show/1", "/studentview/edit/1",
        "/schoolview/list/", "/schoolview/add", "/schoolview/show/1", "/laoview/list/", "/laoview/show/1",
        "/provinceview/list/", "/provinceview/show/1", "/academicyearview/list/", "/academicyearview/add",
        "/users/list/", "/users/add", "/users/show/1", "/roles/list/", "/roles/show/2", "/users/userinfo/",
        "/resetmypassword/form", "/userinfoeditview/form", "/auditeventview/list/", "/historyview/list/",
        "/workflow/board", "/credentialview/list/", "/quality/country/0", "/spotcheckview/list/",
        "/removedstudentview/list/", "/charts/", "/charts/levels", "/charts/areas", "/charts/progress",
        "/charts/removals",
    ],
    "province": [
        "/users/list/", "/users/add", "/users/show/{province_account}", "/quality/", "/spotcheck/new",
        "/otherschoolview/list/", "/schoolprofileview/list/",
    ],
    "lao": [
        "/quality/", "/spotcheckitemview/list/", "/learners/rollover", "/charts/areas", "/charts/removals",
        "/otherschoolview/list/", "/otherschoolview/add", "/otherschoolview/show/1", "/nootherschoolsview/list/",
        "/nootherschoolsview/add",
    ],
    "school": [
        "/", "/studentview/list/", "/studentview/add", "/studentview/show/{own}", "/users/userinfo/", "/quality/",
        "/import/", "/learners/rollover", "/learners/remove?ids={own}", "/removedstudentview/list/",
        "/charts/levels", "/charts/progress", "/schoolprofileview/list/", "/schoolbuildingview/list/",
        "/schoolbuildingview/add", "/schoolprofileview/add",
    ],
    "manager": ["/", "/studentview/list/", "/schoolview/list/", "/provinceview/list/", "/otherschoolview/list/"],
}


PYTHON_VALUES = ["True", "False", "None"]  # what a template shows when nothing formats a value


def english_on(html):
    text = visible_text(html)
    return [
        phrase
        for phrase in ENGLISH_UI + PYTHON_VALUES
        if re.search(r"(?<![A-Za-z_])%s(?![A-Za-z])" % re.escape(phrase), text)
    ]


@pytest.mark.parametrize("username", sorted(PAGES))
def test_no_reachable_page_shows_english_in_thai_mode(app, as_user, username):
    client = as_user(username)
    with app.app_context():
        own = learner_of(SCHOOL_OF["school"])
        province_account = app.appbuilder.sm.find_user(username="province").id
    found = {}
    for url in PAGES[username]:
        response = client.get(url.format(own=own, province_account=province_account), follow_redirects=True)
        assert response.status_code == 200, url
        english = english_on(response.get_data(as_text=True))
        if english:
            found[url] = english
    assert found == {}


def test_login_page_has_no_english(client):
    assert english_on(client.get("/login/").get_data(as_text=True)) == []


def test_switching_to_english_shows_english_and_back_to_thai(as_user):
    client = as_user("school")
    client.get("/lang/en")
    english = visible_text(client.get("/studentview/list/").get_data(as_text=True))
    assert "Learners" in english and "First name" in english
    client.get("/lang/th")
    assert "นักเรียน / เด็กเล็ก" in visible_text(client.get("/studentview/list/").get_data(as_text=True))


def test_in_english_the_product_roles_provinces_and_times_read_english_and_thai_stays_the_default(as_user):
    client = as_user("central")
    urls = ("/", "/users/list/", "/auditeventview/list/")
    thai = {url: visible_text(client.get(url).get_data(as_text=True)) for url in urls}
    assert "ระบบสารสนเทศทางการศึกษาท้องถิ่น (LEC)" in thai["/"]
    assert "เชียงใหม่" in thai["/users/list/"]
    assert "ผู้บริหาร" in visible_text(client.get("/roles/list/").get_data(as_text=True))
    assert re.search(r"\d\d/\d\d/25\d\d \d\d:\d\d น\.", thai["/auditeventview/list/"])

    client.get("/lang/en")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r"<title>[^<]*Local Education Center information system \(LEC\)", home)
    assert "ระบบสารสนเทศ" not in visible_text(home)
    accounts = visible_text(client.get("/users/list/").get_data(as_text=True))
    assert "province Province Chiang Mai Province Yes" in accounts  # username, level, organisation, role
    assert "Local administrative organisation เทศบาลนครเชียงใหม่ LAO Yes" in accounts
    roles = visible_text(client.get("/roles/list/").get_data(as_text=True))
    for role in ("Central", "Province", "LAO", "School or centre", "Executive"):
        assert role in roles
    assert not re.search("[\u0e00-\u0e7f]", roles.split("Record Count")[-1])
    assert "Role Central" in visible_text(client.get("/users/userinfo/").get_data(as_text=True))
    account_form = client.get("/users/add").get_data(as_text=True)
    assert re.search(r"<option[^>]*>\s*Executive\s*</option>", account_form)
    assert re.search(r"<option[^>]*>\s*Chiang Mai\s*</option>", account_form)
    events = visible_text(client.get("/auditeventview/list/").get_data(as_text=True))
    assert re.search(r"\d\d/\d\d/25\d\d \d\d:\d\d", events) and "น." not in events

    client.get("/lang/th")
    assert "ระบบสารสนเทศทางการศึกษาท้องถิ่น (LEC)" in visible_text(client.get("/").get_data(as_text=True))
