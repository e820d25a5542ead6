"""What every page draws the same (app/pages/chrome.py): drawn once, yet each page carries its own
CSP nonce, and the menu bar follows what it shows of the reader at once."""

import re

from app.extensions import db


def nonces(response):
    header = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    in_page = set(re.findall(r'<script[^>]*nonce="([^"]*)"', response.get_data(as_text=True)))
    return header, in_page


def test_every_script_of_a_page_carries_that_page_s_own_nonce(as_user):
    clerk = as_user("school")
    first, second = clerk.get("/studentview/list/"), clerk.get("/studentview/list/")
    (header_1, in_page_1), (header_2, in_page_2) = nonces(first), nonces(second)
    assert in_page_1 == {header_1} and in_page_2 == {header_2} and header_1 != header_2


def test_the_menu_bar_shows_a_new_name_on_the_next_page(app, as_user):
    clerk = as_user("school")
    assert "ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม" in clerk.get("/").get_data(as_text=True)
    sm = app.appbuilder.sm
    with app.app_context():
        user = sm.find_user(username="school")
        kept, user.first_name = user.first_name, "ครูทดสอบ"
        db.session.commit()
    try:
        assert "ครูทดสอบ โรงเรียนเทศบาลวัดเกตการาม" in clerk.get("/").get_data(as_text=True)
    finally:
        with app.app_context():
            sm.find_user(username="school").first_name = kept
            db.session.commit()
    assert "ครูธุรการ โรงเรียนเทศบาลวัดเกตการาม" in clerk.get("/").get_data(as_text=True)
