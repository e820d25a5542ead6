"""The learner list's search in a real browser (tests/test_browser.py's live server and Chromium):
a school is found by typing part of its name, since the page no longer carries every school."""

import re

from playwright.sync_api import expect
from test_browser import SCHOOL_NAME, browser, list_rows, live_server, log_in, page  # noqa: F401 — fixtures

TYPED = "#filter_form select.lec-typed-choices + .select2-container"


def test_a_central_officer_filters_the_learners_by_a_school_found_by_typing_part_of_its_name(page):  # noqa: F811
    log_in(page, "central")
    page.goto("/studentview/list/")
    page.locator("a.accordion-toggle", has_text="ค้นหา").click()
    page.locator("#filter_form button.dropdown-toggle", has_text="เพิ่มตัวกรอง").click()
    page.locator('#filter_form a.filter[name="school"]').click()
    page.locator(TYPED + " .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("โรงเรียนเทศบาลวัด")
    choices = page.locator(".select2-container--open .select2-results__option")
    expect(choices).to_have_text([SCHOOL_NAME])
    choices.first.click()
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(re.compile(r"_flt_0_school=\d+"))
    expect(list_rows(page).first).to_contain_text(SCHOOL_NAME)
    assert all(SCHOOL_NAME in row for row in list_rows(page).all_inner_texts())
    expect(page.locator(TYPED + " .select2-selection__rendered")).to_contain_text(SCHOOL_NAME)
