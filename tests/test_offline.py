"""LEC works with no internet: every script, style, font and image comes from the app itself."""

import re

import pytest

PAGES = ["/login/", "/", "/studentview/list/", "/studentview/add", "/provinceview/list/", "/swagger/v1"]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost)""", re.I)


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
