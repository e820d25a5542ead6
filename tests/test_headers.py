"""Security headers (app/headers.py): the Content-Security-Policy, no framing, nosniff and the
referrer policy on every answer; Secure cookies and HSTS with LEC_HTTPS=1, and the plain-HTTP demo
unchanged without it. In Chromium, every menu page of every demo account works under the policy:
no script, style or image is refused, and nothing is loaded from anywhere but the app."""

import re

import pytest
from browsing import ACCOUNTS, log_in, menu_links
from playwright.sync_api import expect

from app import create_app

from conftest import api_headers, close, login

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";")]
    return {words[0]: words[1:] for words in directives if words}


def assert_secured(response):
    for header, value in SECURITY_HEADERS.items():
        assert response.headers.get(header) == value, header
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    script = csp["script-src"]
    assert script[0] == "'self'" and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert all(source == "'self'" or source.startswith("'nonce-") for source in script), script
    for directive, sources in csp.items():  # the app's own origin only: no host, no scheme but data:
        assert all(s.startswith("'") or s == "data:" for s in sources), (directive, sources)
    return csp


def app_on(app, **config):
    """A second app on the test database, with other settings."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
        "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret-key-of-at-least-32-bytes", **config,
    })  # fmt: skip


def test_the_sign_in_page_carries_the_security_headers_and_its_scripts_the_nonce(client):
    response = client.get("/login/")
    assert response.status_code == 200
    csp = assert_secured(response)
    nonce = next(source for source in csp["script-src"] if source.startswith("'nonce-"))[len("'nonce-") : -1]
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts and all('nonce="%s"' % nonce in tag for tag in scripts), scripts
    assert client.get("/login/").headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]


def test_signed_in_pages_the_api_and_static_files_carry_the_security_headers(app, as_user):
    page = as_user("school").get("/studentview/list/")
    assert page.status_code == 200
    assert_secured(page)
    client = app.test_client()
    api = client.get("/api/v1/student/", headers=api_headers(client, "school"))
    assert api.status_code == 200 and api.is_json
    assert_secured(api)
    for static in ["/static/appbuilder/js/ab.js", "/lec-static/lec.js", "/lec-static/lec.css"]:
        response = client.get(static)
        assert response.status_code == 200, static
        assert_secured(response)
        response.close()


def test_without_lec_https_the_demo_works_over_plain_http_with_no_hsts(client):
    response = client.get("/login/")
    assert response.status_code == 200  # no redirect to https
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]


def test_with_lec_https_cookies_are_secure_and_https_answers_carry_hsts(app):
    secure = app_on(app, LEC_HTTPS=True, LEC_PROXY_COUNT=1)
    try:
        client = secure.test_client()
        behind_the_balancer = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        response = client.get("/login/", headers=behind_the_balancer)
        assert response.status_code == 200
        assert_secured(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31556926")
        cookie = response.headers["Set-Cookie"]
        assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        signed_in = login(client, "school").get("/studentview/list/", headers=behind_the_balancer)
        assert signed_in.status_code == 200 and "Strict-Transport-Security" in signed_in.headers
        health = client.get("/health")  # the load balancer's check, over plain HTTP: no redirect
        assert health.status_code == 200
    finally:
        close(secure)


# ---------------------------------------------------------------------------------- in Chromium

WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.lecViolation([event.violatedDirective, event.blockedURI, event.sourceFile + ":" + event.lineNumber].join(" "));
});
"""  # fmt: skip
DRAWN = 20_000  # ms: Plotly's 4 MB parsed and the font loaded, on a busy machine


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_menu_page_of_every_account_works_under_the_content_security_policy(page, account):
    violations = []
    page.context.expose_function("lecViolation", lambda text: violations.append(text))
    page.context.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))

    log_in(page, account)
    page.evaluate("""() => new Promise(resolve => {
        document.addEventListener("securitypolicyviolation", () => resolve(), {once: true});
        const script = document.createElement("script");
        script.textContent = "window.lecInjected = true";  // inline, no nonce: must be refused
        document.body.appendChild(script);
    })""")  # fmt: skip
    assert page.evaluate("window.lecInjected") is None
    assert any("script-src" in v for v in violations), "the policy is not enforced, or violations are not seen"
    violations.clear()

    links = menu_links(page)
    assert len(links) >= 3, links
    visited, charts = [], []
    for href in links:
        response = page.goto(href)
        assert response.status == 200, (account, href, response.status)
        page.wait_for_load_state("load")
        expect(page.locator(".navbar")).to_be_visible()
        for chart in page.locator(".lec-chart").all():  # Plotly draws under the policy, from the app's copy
            expect(chart.locator("svg.main-svg").first).to_be_attached(timeout=DRAWN)
            charts.append(href)
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
        visited.append(href)
        assert not violations, (account, href, violations)
    assert "/login/" not in page.url and visited == links
    if "/charts/" in links:  # the charts page lists the charts: draw one
        page.goto("/charts/")
        page.goto(page.locator("#chart-list a").first.get_attribute("href"))
        expect(page.locator("#chart svg.main-svg").first).to_be_attached(timeout=DRAWN)
        page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
        charts.append(page.url)
    assert charts and not violations, (charts, violations)
