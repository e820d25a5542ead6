"""LEC works with no internet: every script, style, font and image comes from the app itself."""

import re

import pytest
from browsing import assert_offline, log_in, menu_links
from playwright.sync_api import expect

PAGES = ["/login/", "/", "/studentview/list/", "/studentview/add", "/provinceview/list/", "/swagger/v1"]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost)""", re.I)
# FAB's security menu as central sees it: accounts, roles, groups, the permission screens, the logs
SECURITY_PAGES = [
    "/users/list/", "/roles/list/", "/groups/list/", "/permissions/list/", "/viewmenus/list/",
    "/permissionviews/list/", "/credentialview/list/", "/auditeventview/list/", "/historyview/list/",
]  # fmt: skip
ERROR_PAGES = "#not-found, #forbidden, #fault"  # app/pages/errors.py's and app/faults.py's panels


@pytest.mark.parametrize("url", PAGES)
def test_pages_load_nothing_from_outside(as_user, url):
    html = as_user("central").get(url).get_data(as_text=True)
    assert EXTERNAL.findall(html) == []


def test_static_assets_referenced_by_the_layout_are_served(as_user):
    client = as_user("central")
    html = client.get("/studentview/list/").get_data(as_text=True)
    assets = set(re.findall(r"""(?:src|href)=["'](/static/[^"'?]+)""", html))
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_every_menu_page_of_central_opens_with_no_request_leaving_the_server(page, live_server):
    """In Chromium, signed in as central: every entry of every drop-down of the navbar, FAB's
    security screens included, answers a page of its own, and no request goes anywhere but
    127.0.0.1 (no CDN, no Google Charts)."""
    log_in(page, "central")
    links = menu_links(page)
    assert set(SECURITY_PAGES) <= set(links), sorted(set(SECURITY_PAGES) - set(links))
    assert not [href for href in links if "userstatschart" in href]
    for href in links:
        response = page.goto(href)
        assert response.status == 200, (href, response.status)
        page.wait_for_load_state("load")
        expect(page.locator(".navbar")).to_be_visible()
        expect(page.locator(ERROR_PAGES)).to_have_count(0)
        assert "/login/" not in page.url, href
    assert_offline(page.context, live_server)
