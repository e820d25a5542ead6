"""The browser tests' shared parts (a pytest plugin, see conftest.py): a live server per backend,
Chromium driven by Playwright, what a user does (log in, choose, save), and the guide's screenshots.

Every page records the requests it makes and fails if any left the live server (the app must work
offline: no CDN); a full-page screenshot of the last screen of every test goes to tests/artifacts/.
The user guide's pictures (app/guide/images/) are taken here too, by `guide_shot`, so running the
suite redraws every one of them from the screens as they are."""

import os
import random
import re
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import delete, func, select, update
from stdnum.th import pin
from werkzeug.serving import WSGIRequestHandler, make_server

from app.demo import current_academic_year_be
from app.extensions import db
from app.manual import IMAGES as GUIDE_IMAGES
from app.models import Confirmation, Transition

from conftest import BACKENDS, PASSWORD, append_only_lifted, close, database_url, make_app, wipe_snapshots

CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
ACCOUNTS = ["central", "province", "lao", "school", "cdc", "manager"]
THAI = re.compile("[\u0e00-\u0e7f]")

SCHOOL_NAME = "โรงเรียนเทศบาลวัดเกตการาม"
FIRST_NAME = "ปิ่นมณี"  # sara i + mai ek stacked on one consonant
LAST_NAME = "ชื่นชม"


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per static file; errors are still logged."""

    def log_request(self, *args, **kwargs):
        pass


# ---------------------------------------------------------------------------------------------
# Fixtures: one live server per backend, one browser per session, one fresh context per test.


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request, tmp_path_factory):
    """The app on 127.0.0.1:<free port>, real CSRF, demo data; named so as not to clash with `app`."""
    backend = request.param
    with database_url(backend, tmp_path_factory.mktemp("browser-db")) as url:
        flask_app = make_app(url, WTF_CSRF_ENABLED=True)
        server = make_server("127.0.0.1", 0, flask_app, threaded=True, request_handler=QuietRequestHandler)
        thread = threading.Thread(target=server.serve_forever, name="live-server-" + backend, daemon=True)
        thread.start()
        try:
            yield SimpleNamespace(backend=backend, url="http://127.0.0.1:%d" % server.server_port, app=flask_app)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            close(flask_app)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium not found at %s: CI must run the browser tests, not skip them; .ci/run installs it"
                        % CHROMIUM, pytrace=False)  # fmt: skip
        pytest.skip("Chromium not found at %s: browser tests skipped; .ci/run installs it" % CHROMIUM)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


def open_context(browser, live_server):
    """A fresh Thai-locale context that records the URL of every request it makes."""
    context = browser.new_context(locale="th-TH", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.backend = live_server.backend
    context.requested = []
    context.on("request", lambda req: context.requested.append(req.url))
    return context


def assert_offline(context, live_server):
    server = urlsplit(live_server.url).netloc
    elsewhere = [
        url for url in context.requested
        if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != server
    ]  # fmt: skip
    assert not elsewhere, "requests left the live server (the app must work offline): %s" % elsewhere


@pytest.fixture
def page(browser, live_server, request):
    """A page in a fresh context. Afterwards: a full-page screenshot, and no request may have gone
    anywhere but the live server."""
    context = open_context(browser, live_server)
    tab = context.new_page()
    yield tab
    try:
        callspec = getattr(request.node, "callspec", None)
        params = [str(v) for k, v in (callspec.params.items() if callspec else ()) if k != "live_server"]
        name = "-".join([request.node.originalname] + params) + "[%s]" % live_server.backend
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / (name + ".png")), full_page=True)
    finally:
        context.close()
    assert_offline(context, live_server)


@pytest.fixture(scope="session")
def school_cookies(browser, live_server):
    """The session cookie of the `school` account, logged in once through the login form; tests
    about the learner form start from it instead of logging in again."""
    context = open_context(browser, live_server)
    try:
        log_in(context.new_page(), "school")
        cookies = context.cookies()
    finally:
        context.close()
    assert_offline(context, live_server)
    return cookies


@pytest.fixture
def school_page(page, school_cookies):
    page.context.add_cookies(school_cookies)
    return page


# ---------------------------------------------------------------------------------------------
# Helpers: what a user does.


def log_in(page, username):
    page.goto("/login/")
    expect(page.locator("#loginbox .panel-title")).to_have_text("เข้าสู่ระบบ")
    expect(page.locator("#loginbox input[type=submit]")).to_have_value("เข้าสู่ระบบ")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#loginbox input[type=submit]")
    expect(page.locator('a[href="/logout/"]')).to_be_attached()


LEAVES = {"/logout/"}


def menu_links(page):
    """Every page the navbar leads to (its drop-down entries too), except signing out and languages."""
    hrefs = page.locator(".navbar a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return sorted({
        href for href in hrefs
        if href.startswith("/") and href not in LEAVES and not href.startswith("/lang/")
    })  # fmt: skip


def choose(page, field, label, code):
    """Pick `label` in the select2 widget of `field`, then check the hidden <select> holds `code`."""
    page.locator("select#%s + .select2-container .select2-selection" % field).click()
    options = page.locator(".select2-container--open .select2-results__option")
    options.filter(has_text=re.compile("^%s$" % re.escape(label))).click()
    expect(page.locator("select#%s" % field)).to_have_value(code)


def option_value(page, field, label):
    """The value (a primary key) behind an option's label."""
    options = page.locator("select#%s option" % field)
    return options.filter(has_text=re.compile("^%s$" % re.escape(label))).get_attribute("value")


def new_national_id():
    body = "1" + "".join(random.SystemRandom().choice("0123456789") for _ in range(11))
    return body + pin.calc_check_digit(body)


def fill_learner(page, national_id, birth_date):
    page.goto("/studentview/add")
    expect(page.locator("#model_form")).to_be_visible()
    year = str(current_academic_year_be(date.today()))
    choose(page, "academic_year", year, option_value(page, "academic_year", year))
    choose(page, "school", SCHOOL_NAME, option_value(page, "school", SCHOOL_NAME))
    choose(page, "id_kind", "เลขประจำตัวประชาชน (13 หลัก)", "national_id")
    page.fill("#id_number", national_id)
    choose(page, "prefix", "เด็กหญิง", "เด็กหญิง")
    page.fill("#first_name", FIRST_NAME)
    page.fill("#last_name", LAST_NAME)
    choose(page, "sex", "หญิง", "F")
    page.fill("#birth_date", birth_date)
    choose(page, "class_level", "ป.1", "p1")


def save(page):
    with page.expect_navigation():
        page.locator("#model_form button[type=submit]").click()


def field_error(page, field):
    return page.locator("#model_form tr", has=page.locator("#" + field)).locator(".alert-danger")


def search_by_id(page, national_id):
    """Filter the learner list the way a user does: ค้นหา → เพิ่มตัวกรอง → the identifier column."""
    page.goto("/studentview/list/")
    page.locator("a.accordion-toggle", has_text="ค้นหา").click()
    page.locator("#filter_form button.dropdown-toggle", has_text="เพิ่มตัวกรอง").click()
    page.locator('#filter_form a.filter[name="id_number"]').click()
    page.fill('#filter_form input[name="_flt_0_id_number"]', national_id)
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(re.compile(r"_flt_0_id_number=%s" % national_id))
    expect(page.locator(".panel-heading .panel-title").first).to_have_text("นักเรียน / เด็กเล็ก")


def shown_value(page, label):
    """The value beside `label` on a show page."""
    th = page.locator("th").filter(has_text=re.compile(r"^\s*%s\s*$" % re.escape(label)))
    return page.locator(".table-responsive table tr", has=th).locator("td")


def list_rows(page):
    return page.locator(".table-responsive > table.table-bordered > tbody > tr")


def assert_nothing_saved(page, national_id):
    """The same filter as search_by_id, by its URL, in a second tab: the first keeps showing the
    refused form (and is what the screenshot shows)."""
    tab = page.context.new_page()
    try:
        tab.goto("/studentview/list/?_flt_0_id_number=" + national_id)
        expect(tab.locator(".panel-heading .panel-title").first).to_have_text("นักเรียน / เด็กเล็ก")
        expect(tab.get_by_text("ไม่พบข้อมูล")).to_be_visible()
        expect(list_rows(tab)).to_have_count(0)
        expect(tab.locator("body")).not_to_contain_text(national_id)
    finally:
        tab.close()


@contextmanager
def confirmations_kept(app):
    """Every confirmation of the live server as it was before, afterwards: its state, who confirmed
    it and when, its exception; the steps taken meanwhile are deleted, so that no notice tells of
    them. Tests that confirm or return share the server with tests that expect open data."""
    columns = ["id", "state", "confirmed_on", "confirmed_by_id", "exception_until", "exception_reason"]
    with app.app_context():
        kept = [row._asdict() for row in db.session.execute(select(*(getattr(Confirmation, c) for c in columns)))]
        last_step = db.session.scalar(select(func.max(Transition.id))) or 0
    try:
        yield
    finally:
        with app.app_context():
            wipe_snapshots(after_step=last_step)
            with append_only_lifted(db.session.connection(), "transition"):
                db.session.execute(delete(Transition).where(Transition.id > last_step))
            db.session.execute(update(Confirmation), kept)
            db.session.commit()


def scroll_to_top(locator):
    """The part of the page a guide picture is about at the top of the window (the picture is the window)."""
    locator.evaluate("node => node.scrollIntoView({block: 'start'})")


GUIDE_SHOTS_TAKEN = set()  # the guide's pictures taken in this run (tests/test_manual.py reads it)


def guide_shot(page, name):
    """The screen as the guide shows it: the viewport (1280 × 900, Thai locale, demo data) saved as
    app/guide/images/NAME.png. Taken on the first backend only, so that one run draws each picture
    once; on the others it goes to tests/artifacts/ like any other screenshot."""
    page.evaluate("document.fonts.ready")
    if page.context.backend == BACKENDS[0]:
        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(GUIDE_IMAGES / (name + ".png")), animations="disabled")
        GUIDE_SHOTS_TAKEN.add(name)
    else:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / ("%s[%s].png" % (name, page.context.backend))), animations="disabled")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """test_manual.py's check that this run took every picture of the guide goes last, after every
    browser test whatever order the backends put them in."""
    last = [item for item in items if item.name == "test_this_run_took_every_picture_the_guide_shows"]
    items[:] = [item for item in items if item not in last] + last
