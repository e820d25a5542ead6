"""The user guide (app/manual.py): one Thai guide per role and a short English one, served at /help,
reached from every screen's "วิธีใช้" link, printed as one PDF; its pictures are the screens as the
browser tests leave them."""

import ast
import hashlib
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browsing import ARTIFACTS, GUIDE_SHOTS_TAKEN, log_in, scroll_to_top
from PIL import Image
from playwright.sync_api import expect

from app import manual

from conftest import login, visible_text

ACCOUNTS = {"central": "central", "province": "province", "lao": "lao", "school": "school", "cdc": "school",
            "manager": "manager"}  # fmt: skip
TESTS = Path(__file__).parent
THAI = re.compile("[\u0e00-\u0e7f]")


def thai_guides():
    return [manual.guide(key, "th") for key in manual.GUIDES]


def pictures_in_guides():
    return {name for item in thai_guides() for name in item.images} | {
        name for key in manual.GUIDES for name in manual.guide(key, "en").images
    }


def written_out(argument):
    """The picture names in guide_shot's argument: "name", or {"key": "name", …}[key]."""
    if isinstance(argument, ast.Constant):
        return [argument.value]
    if isinstance(argument, ast.Subscript) and isinstance(argument.value, ast.Dict):
        return [value.value for value in argument.value.values if isinstance(value, ast.Constant)]
    return []


def pictures_the_tests_take():
    """Every name a test passes to guide_shot(page, "name"), by test file, read from the tests'
    source: written out at the call, so that a reader (and this check) sees which test takes which
    picture."""
    taken = {}
    for path in TESTS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "guide_shot":
                taken.setdefault(path.name, set()).update(name + ".png" for name in written_out(node.args[1]))
    return taken


def help_link_of(html):
    match = re.search(r'<a id="help-link"[^>]*href="([^"]+)"', html)
    assert match, "no วิธีใช้ link on the page"
    return match.group(1)


def section_ids(html):
    return re.findall(r'<h2 id="([^"]+)"', html)


@pytest.mark.parametrize("key", manual.GUIDES)
def test_each_guide_is_written_in_thai_and_in_short_english_with_the_same_sections(key):
    thai, english = manual.guide(key, "th"), manual.guide(key, "en")
    assert (thai.language, english.language) == ("th", "en"), "app/guide/en/%s.md is missing" % key
    assert THAI.search(thai.title) and not THAI.search(english.title)
    assert [sid for sid, _ in english.sections] == [sid for sid, _ in thai.sections]
    assert manual.problems(thai) == [] and manual.problems(english) == []
    assert len(thai.images) >= 3, "a walk through a role's year shows its screens"


@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_role_reads_its_own_guide_first_in_thai_with_every_picture_present(app, account):
    client = app.test_client()
    login(client, account)
    page = client.get("/help/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    own = manual.guide(ACCOUNTS[account], "th")
    assert 'data-guide="%s"' % own.key in html.split('id="guide"')[1][:200]
    listed = re.findall(r'class="list-group-item[^"]*" data-guide="(\w+)"', html)
    assert listed[0] == own.key and sorted(listed) == sorted(manual.GUIDES)
    assert section_ids(html) == [sid for sid, _ in own.sections]
    assert own.title in visible_text(html)
    pictures = re.findall(r'<img alt="([^"]*)" class="[^"]*" loading="lazy" src="images/([^"]+)"', html)
    assert [name for _alt, name in pictures] == list(own.images)
    for alt, name in pictures:
        assert THAI.search(alt), "picture %s has no Thai description" % name
        picture = client.get("/help/images/" + name)
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert picture.data == (manual.IMAGES / name).read_bytes()


def test_someone_not_signed_in_reads_the_schools_guide_and_may_open_every_other(client):
    page = client.get("/help/")
    assert page.status_code == 200 and 'data-guide="school"' in page.get_data(as_text=True)
    for key in manual.GUIDES:
        assert client.get("/help/%s" % key).status_code == 200
    assert client.get("/help/nobody").status_code == 404
    assert client.get("/help/images/..%2F..%2Fconfig.py").status_code == 404
    assert client.get("/help/images/not-taken.png").status_code == 404


def test_the_english_screens_show_the_short_english_guide(app):
    client = app.test_client()
    login(client, "school")
    client.get("/lang/en")
    html = client.get("/help/").get_data(as_text=True)
    assert 'lang="en" data-guide="school"' in html and manual.guide("school", "en").title in html
    assert "How to use" in html
    client.get("/lang/th")


def screens_of(app, client):
    """The URL of every screen in the signed-in user's menu, and the view behind it."""
    adapter = app.url_map.bind("localhost")
    menu = client.get("/").get_data(as_text=True)
    for href in sorted(set(re.findall(r'href="(/[^"#?]*)"', menu))):
        try:
            endpoint, _args = adapter.match(href)
        except Exception:  # a static file, /lang/..
            continue
        if endpoint.endswith(".logout"):
            continue
        view = endpoint.split(".")[0]
        if view in manual.SCREENS:
            yield href, view


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_screen_links_to_the_section_that_explains_it_in_the_readers_own_guide_where_it_has_one(
    app, account
):
    client = app.test_client()
    login(client, account)
    own = ACCOUNTS[account]
    screens = list(screens_of(app, client))
    assert len(screens) >= 8
    for href, view in screens:
        page = client.get(href, follow_redirects=True)
        assert page.status_code == 200, href
        link = urlsplit(help_link_of(page.get_data(as_text=True)))
        section = manual.SCREENS[view]
        key = link.path.rstrip("/").rsplit("/", 1)[1]
        assert link.fragment == section, "%s links to #%s, not #%s" % (href, link.fragment, section)
        if section in dict(manual.guide(own, "th").sections):
            assert key == own, "%s: the %s guide explains #%s, but the link goes to %s" % (href, own, section, key)
        target = client.get(link.path).get_data(as_text=True)
        assert section in section_ids(target), "%s → %s#%s: no such section" % (href, link.path, section)


def test_every_section_a_screen_links_to_is_explained_in_some_guide():
    explained = {sid for item in thai_guides() for sid, _ in item.sections}
    assert set(manual.SCREENS.values()) <= explained


def test_the_login_page_links_to_signing_in_in_the_schools_guide(client):
    link = help_link_of(client.get("/login/").get_data(as_text=True))
    assert link == "/help/school#activate"


def test_every_picture_in_the_guide_is_taken_by_a_browser_test_and_every_taken_picture_is_used():
    """The pictures are the screens as the browser tests (tests/browsing.py guide_shot) leave them:
    a guide may not show a picture that no test takes, and no stale picture stays in the folder."""
    used, taken = pictures_in_guides(), set().union(*pictures_the_tests_take().values())
    assert used - taken == set(), "pictures in the guide that no browser test takes"
    assert taken - used == set(), "pictures the browser tests take that no guide shows"
    on_disk = {path.name for path in manual.IMAGES.glob("*")}
    assert on_disk == used, "stale or missing files in app/guide/images/"
    for name in used:
        with Image.open(manual.IMAGES / name) as picture:
            assert picture.size == (1280, 900), name


def test_this_run_took_every_picture_the_guide_shows(request):
    """When this run included the browser tests, each picture in the guide was taken again by them,
    not left from an earlier run (browsing.py runs this test last)."""
    selected = {Path(str(item.fspath)).name for item in request.session.items}
    if not GUIDE_SHOTS_TAKEN or not set(pictures_the_tests_take()) <= selected:
        pytest.skip("not every browser test that takes the guide's pictures ran (not selected, or no Chromium)")
    assert {name + ".png" for name in GUIDE_SHOTS_TAKEN} >= pictures_in_guides()


def squeezed(text):
    """Text as pdftotext reads it back (in the order it was written, -raw): lines may break inside a
    phrase. No normalisation: sara am (ำ) must read back as itself, or a search finds nothing."""
    return re.sub(r"\s+", "", text)


def pixels(path):
    with Image.open(path) as picture:
        return hashlib.sha256(picture.convert("RGB").tobytes()).hexdigest()


def test_the_whole_guide_prints_as_one_pdf_with_a_thai_text_layer_and_every_picture(client, tmp_path):
    response = client.get("/help/guide.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = tmp_path / "guide.pdf"
    document.write_bytes(response.data)

    text = subprocess.run(["pdftotext", "-raw", str(document), "-"], capture_output=True, text=True, check=True)
    words = squeezed(text.stdout)
    for item in thai_guides():
        assert squeezed(item.title) in words, item.title
        for _sid, heading in item.sections:
            assert squeezed(heading) in words, heading
    assert "\ue000" not in text.stdout and "\ufffd" not in text.stdout  # tone marks read back as themselves
    assert "จำนวน" in text.stdout and "คู่มือสำหรับจังหวัด" in text.stdout and "\u0e4d" not in text.stdout

    fonts = subprocess.run(["pdffonts", str(document)], capture_output=True, text=True, check=True).stdout
    assert "Sarabun" in fonts
    subprocess.run(["pdfimages", "-png", str(document), str(tmp_path / "picture")], check=True)
    printed = {pixels(path) for path in tmp_path.glob("picture-*.png")}
    missing = [name for name in sorted(pictures_in_guides()) if pixels(manual.IMAGES / name) not in printed]
    assert missing == [], "pictures not in the PDF"


def test_the_help_link_of_a_screen_opens_its_section_in_a_new_tab_with_the_pictures_drawn(page):
    """In a real browser: the clerk on the learner list presses วิธีใช้; the guide opens beside the
    screen (a half-filled form stays), scrolled to the section on learners, its pictures loaded."""
    log_in(page, "school")
    page.goto("/studentview/list/")
    with page.context.expect_page() as opened:
        page.locator("#help-link").click()
    guide = opened.value  # a new tab opens at about:blank before it goes to the guide: wait for the guide
    expect(guide).to_have_url(re.compile(r"/help/school#learners$"))
    heading = guide.locator("#guide h2#learners")
    expect(heading).to_be_in_viewport()
    expect(heading).to_have_text(dict(manual.guide("school", "th").sections)["learners"])
    expect(guide.locator("#help-guides a.active")).to_contain_text(manual.guide("school", "th").title)
    pictures = guide.locator("#guide img")
    expect(pictures).to_have_count(len(manual.guide("school", "th").images))
    for index in range(pictures.count()):
        pictures.nth(index).scroll_into_view_if_needed()  # lazy pictures load once in view, not at once
        expect(pictures.nth(index)).to_have_js_property("naturalWidth", 1280)
    expect(page).to_have_url(re.compile(r"/studentview/list/$"))
    ARTIFACTS.mkdir(exist_ok=True)
    scroll_to_top(heading)
    guide.screenshot(path=str(ARTIFACTS / ("help-learners[%s].png" % page.context.backend)))
