"""Lists at national size (app/pages/base.py, issue #8): a fixed, small number of SQL statements
per page whatever its size (no query per row, no permission queries, no unbounded count), a stable
order, "about N" beyond the count cap, and search fields that do not carry 20,000 schools."""

import re
from collections import Counter
from datetime import date

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AcademicYear, School, Student
from app.notifications import UNREAD
from app.pages.base import SEARCH_FORMS
from app.workflow import SHOWN_YEAR

from conftest import SCHOOL_OF, sql_run_on

# A list page's statements: the page's rows with the count (one statement); a school also reads its confirmation
# with its transitions (the banner); a scoped user's school filter checks that school is in scope
# (its search field: central's shows the school the page's rows brought along, and the filter itself
# compares keys, app/pages/base.py RelationEqual); one query reads the confirmations that lock the
# page's rows and the user's own organisation. The user with its roles, the search form's academic
# years, the banner's current year and the bell's count are kept between requests (app/security.py,
# app/pages/base.py, app/workflow.py, app/notifications.py).
PAGE_BUDGET = 4
LIST = "/studentview/list/"


def executed(app, client, url):
    """The SQL statements one request executes, and the page."""
    with app.app_context():
        engine = db.engine
    with sql_run_on(engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements, response.get_data(as_text=True)


def on_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def shown_ids(html):
    return [int(pk) for pk in re.findall(r"/studentview/show/(\d+)", html)]


def learner_counts(statements):
    return [s for s in statements if "count(" in s.lower() and "FROM student" in s]


def unbounded_counts(statements):
    return [s for s in learner_counts(statements) if "LIMIT" not in s]


def in_scope(app, username, *conditions):
    """The active learners a demo account's list holds under these conditions, by id."""
    with app.app_context():
        query = select(Student.id).where(Student.status == "active", *conditions).order_by(Student.id)
        if username == "school":
            query = query.join(School).where(School.code == SCHOOL_OF["school"])
        return db.session.scalars(query).all()


def searches(app, username):
    """(name, query string, conditions) of the searches issue #8 measures, on the demo data."""
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
        learner = db.session.get(Student, in_scope(app, username)[0])
        names = db.session.scalars(select(Student.first_name).where(Student.id.in_(in_scope(app, "school"))))
        prefix = Counter(name[:2] for name in names).most_common(1)[0][0]
        return [
            ("page 1", "", []),
            ("one school", "_flt_0_school=%d" % school.id, [Student.school_id == school.id]),
            ("exact ID", "_flt_3_id_number=" + learner.id_number, [Student.id_number == learner.id_number]),
            ("ID starts with", "_flt_0_id_number=" + learner.id_number, [Student.id_number == learner.id_number]),
            ("first name starts with", "_flt_0_first_name=" + prefix, [Student.first_name.startswith(prefix)]),
        ]


@pytest.mark.parametrize("username", ["central", "school"])
def test_a_list_page_runs_the_same_few_statements_for_5_or_25_rows(app, as_user, username, monkeypatch):
    for setting in ("LEC_USER_CACHE_SECONDS", "LEC_PERMISSION_CACHE_SECONDS"):  # kept however slowly it runs
        monkeypatch.setitem(app.config, setting, 3600)
    for kept in (app.appbuilder.sm.held_by_roles, app.appbuilder.sm.users, SEARCH_FORMS, UNREAD, SHOWN_YEAR):
        kept.clear()  # read again by the first page below, to be kept for that hour
    client = as_user(username)
    client.get(LIST)  # the role set's permissions are read once per process, not per page
    for name, query, conditions in searches(app, username):
        rows = len(in_scope(app, username, *conditions))
        small, large = min(5, rows), min(25, rows)  # full pages both: each counts, or neither
        url = "%s?%s&psize_StudentView=%%d" % (LIST, query)
        few, few_page = executed(app, client, url % small)
        many, many_page = executed(app, client, url % large)
        assert len(few) == len(many) <= PAGE_BUDGET, (name, few, many)
        assert shown_ids(many_page) == in_scope(app, username, *conditions)[:large], name
        assert unbounded_counts(many) == [], name
        assert not [s for s in many if "ab_permission" in s], name


@pytest.mark.parametrize("username", ["central", "school"])
def test_the_second_page_is_the_next_rows_in_a_stable_order(app, as_user, username):
    client = as_user(username)
    first = shown_ids(executed(app, client, LIST + "?psize_StudentView=5")[1])
    again = shown_ids(executed(app, client, LIST + "?psize_StudentView=5")[1])
    statements, page = executed(app, client, LIST + "?psize_StudentView=5&page_StudentView=1")
    assert first == again == in_scope(app, username)[:5]
    assert shown_ids(page) == in_scope(app, username)[5:10]
    assert len(statements) <= PAGE_BUDGET and unbounded_counts(statements) == []


def test_the_page_reads_its_keys_first_in_order_then_only_those_rows(app, as_user):
    statements, _page = executed(app, as_user("central"), LIST + "?page_StudentView=2")
    page_query = next(" ".join(s.split()) for s in statements if "JOIN school" in s)
    keys = re.search(r"JOIN \((SELECT .*?)\) AS", page_query).group(1)
    assert re.match(r"SELECT student\.id\b[^,]* FROM student WHERE", keys)
    assert "ORDER BY student.id ASC" in keys and "LIMIT" in keys and "OFFSET" in keys
    assert page_query.rstrip().endswith("ORDER BY student.id ASC")


def test_a_thai_or_digit_prefix_is_searched_with_like_and_a_latin_one_still_ignores_case(app, as_user):
    client = as_user("central")
    thai, _page = executed(app, client, LIST + "?_flt_0_first_name=ณั")
    latin, _page = executed(app, client, LIST + "?_flt_0_last_name=Ab")
    searched = [s for s in thai if "first_name LIKE" in s]
    assert searched and not [s for s in thai if "lower(" in s.lower() or "ILIKE" in s]
    assert [s for s in latin if "lower(student.last_name) LIKE lower(" in s or "student.last_name ILIKE" in s]


def test_beyond_the_count_cap_the_list_says_about_how_many(app, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "LEC_LIST_COUNT_CAP", 10)
    client = as_user("central")
    statements, page = executed(app, client, LIST + "?psize_StudentView=5")
    assert learner_counts(statements) and unbounded_counts(statements) == []
    with app.test_request_context(), force_locale("th"):
        if on_postgresql(app):  # the planner's estimate
            wording = re.escape(gettext("about %(count)s", count="N")).replace("N", r"[\d,]+")
        else:
            wording = re.escape(gettext("more than %(count)s", count="10"))
    assert re.search(r"</strong>\s*%s\s*</div>" % wording, page), page
    deep, page = executed(app, client, LIST + "?psize_StudentView=5&page_StudentView=3")
    assert unbounded_counts(deep) == []
    if on_postgresql(app):  # past the cap, no counting at all
        assert learner_counts(deep) == [] and [s for s in deep if s.startswith("EXPLAIN")]


def test_under_the_cap_the_count_is_exact(app, as_user):
    statements, page = executed(app, as_user("school"), LIST)
    assert re.search(r"</strong>\s*%d\s*</div>" % len(in_scope(app, "school")), page)


def test_the_prefix_and_order_indexes_serve_their_queries_on_postgresql(app):
    if not on_postgresql(app):
        pytest.skip("pattern operator classes are PostgreSQL's; SQLite keeps plain indexes")
    with app.app_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        for column, value in [("first_name", "ณั"), ("last_name", "ใจ"), ("id_number", "11037")]:
            plan = db.session.execute(text("EXPLAIN SELECT id FROM student WHERE %s LIKE '%s%%'" % (column, value)))
            assert "ix_student_%s_prefix" % column in " ".join(row[0] for row in plan), column
        db.session.rollback()


def test_the_search_form_carries_no_schools_and_offers_them_as_the_user_types(app, as_user):
    central = as_user("central")
    _statements, page = executed(app, central, LIST)
    assert "lec-typed-choices" in page and "\\u003coption" not in page.split("lec-typed-choices")[1][:200]
    found = central.get("/studentview/choices/school?q=โรงเรียนเทศบาลวัด").json["results"]
    assert [school["text"] for school in found] == ["โรงเรียนเทศบาลวัดเกตการาม"]
    with app.app_context():
        schools = db.session.scalar(select(func.count(School.id)))
    assert len(central.get("/studentview/choices/school?q=").json["results"]) == min(schools, 20)
    own = as_user("school").get("/studentview/choices/school?q=").json["results"]
    assert [school["text"] for school in own] == ["โรงเรียนเทศบาลวัดเกตการาม"]
    assert central.get("/studentview/choices/status").status_code == 404


def test_a_school_filter_shows_the_schools_name_in_its_field(app, as_user):
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
    _statements, page = executed(app, as_user("central"), LIST + "?_flt_0_school=%d" % school.id)
    field = page.split("lec-typed-choices")[1][:400]
    assert '\\u003coption value=\\"%d\\"\\u003e' % school.id in field


def test_a_role_change_is_seen_at_once_although_permissions_are_kept(app, as_user):
    manager = as_user("manager")
    assert manager.get(LIST).status_code == 200
    sm = app.appbuilder.sm
    with app.app_context():
        role = sm.find_role("ผู้บริหาร")
        held = sm.find_permission_view_menu("can_list", "StudentView")
        sm.del_permission_role(role, held)
    try:
        assert manager.get(LIST).status_code != 200
    finally:
        with app.app_context():
            sm.add_permission_role(sm.find_role("ผู้บริหาร"), sm.find_permission_view_menu("can_list", "StudentView"))
    assert manager.get(LIST).status_code == 200


def test_the_menu_is_drawn_once_per_role_set_and_follows_a_role_change(app, as_user):
    manager = as_user("manager")
    entry = 'tabindex="-1" href="/studentview/list/"'
    assert entry in manager.get("/").get_data(as_text=True)
    sm = app.appbuilder.sm
    with app.app_context():
        sm.del_permission_role(sm.find_role("ผู้บริหาร"), sm.find_permission_view_menu("menu_access", "Learners"))
    try:
        assert entry not in manager.get("/").get_data(as_text=True)
        assert entry in as_user("central").get("/").get_data(as_text=True)
    finally:
        with app.app_context():
            sm.add_permission_role(sm.find_role("ผู้บริหาร"), sm.find_permission_view_menu("menu_access", "Learners"))
    assert entry in manager.get("/").get_data(as_text=True)


def test_the_search_form_is_drawn_once_and_follows_a_change_to_what_it_offers(app, as_user):
    clerk = as_user("school")
    offered = re.compile(r"option[^>]*>\s*2501\b")
    assert not offered.search(clerk.get(LIST).get_data(as_text=True))
    with app.app_context():
        year = AcademicYear(year=2501, entry_opens=date(1958, 5, 16), school_deadline=date(1958, 7, 15),
                            lao_deadline=date(1958, 7, 20), province_deadline=date(1958, 7, 25), is_current=False)
        db.session.add(year)
        db.session.commit()
        year_id = year.id
    try:
        assert offered.search(clerk.get(LIST).get_data(as_text=True).replace("\\u003e", ">"))
    finally:
        with app.app_context():
            db.session.delete(db.session.get(AcademicYear, year_id))
            db.session.commit()
    assert not offered.search(clerk.get(LIST).get_data(as_text=True).replace("\\u003e", ">"))


def test_a_list_page_seen_again_sends_no_new_session_cookie_and_back_still_returns_to_it(app, as_user):
    """FAB writes its Back history into the session on every list page, so each answer carried a
    newly signed cookie; now only a page that changes the history does."""
    clerk = as_user("school")
    assert clerk.get(LIST).headers.getlist("Set-Cookie")  # the history gains the list
    assert not clerk.get(LIST).headers.getlist("Set-Cookie")  # the same page again: nothing to write
    assert clerk.get(LIST + "?page_StudentView=1").headers.getlist("Set-Cookie")
    with clerk.session_transaction() as session:
        here = "http://localhost" + LIST
        assert session["page_history"][-2:] == [here, here + "?page_StudentView=1"]
