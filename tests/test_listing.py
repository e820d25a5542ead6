"""The list widget (app/pages/listing.py): pages and page sizes that keep the search, column heads
that order the list, and only the buttons and actions the user may use."""

import json
import re
from html import unescape

from sqlalchemy import select

from app.extensions import db
from app.models import School, Student

from conftest import SCHOOL_OF, visible_text

LIST = "/studentview/list/"


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def shown_ids(html):
    return [int(pk) for pk in re.findall(r'/studentview/show/(\d+)"', html)]


def link(html, pattern):
    """The first link on the page whose address matches ``pattern``, as the browser would follow it."""
    return unescape(re.search(r'href="(%s)"' % pattern, html).group(1))


def own_learners(app, **conditions):
    with app.app_context():
        query = select(Student).join(School).where(School.code == SCHOOL_OF["school"], Student.status == "active")
        return db.session.scalars(query.filter_by(**conditions).order_by(Student.id)).all()


def test_the_next_page_keeps_the_page_size_and_the_search_and_marks_where_the_reader_is(app, as_user):
    clerk = as_user("school")
    learners = own_learners(app, class_level="p1")
    assert len(learners) > 4, "the demo school has pupils enough in P.1 for two pages of two"
    first = page_of(clerk, LIST + "?_flt_0_class_level=p1&psize_StudentView=2")
    assert re.search(r'<li class="active"><a href="#">1</a></li>', first)
    second = page_of(clerk, link(first, r"[^\"]*page_StudentView=1[^\"]*"))
    assert re.search(r'<li class="active"><a href="#">2</a></li>', second)
    assert shown_ids(first) + shown_ids(second) == [learner.id for learner in learners[:4]]


def test_a_column_head_orders_the_list_by_it_and_then_the_other_way(app, as_user):
    clerk = as_user("school")
    names = sorted(learner.first_name for learner in own_learners(app))
    listing = page_of(clerk, LIST + "?psize_StudentView=100")
    ascending = page_of(clerk, link(listing, r"[^\"]*_oc_StudentView=first_name[^\"]*"))
    assert 'fa-chevron-up pull-right' in ascending
    shown = re.findall(r'<td class="lec-cell-first_name">([^<]*)</td>', ascending)
    assert [unescape(name) for name in shown] == names
    descending = page_of(clerk, link(ascending, r"[^\"]*_od_StudentView=desc[^\"]*"))
    shown = re.findall(r'<td class="lec-cell-first_name">([^<]*)</td>', descending)
    assert [unescape(name) for name in shown] == names[::-1]


def test_only_a_user_who_may_add_and_run_the_actions_is_offered_them(as_user):
    clerk, manager = page_of(as_user("school"), LIST), page_of(as_user("manager"), LIST)
    assert 'href="/studentview/add"' in clerk and 'class="remove_learners_menu_item"' in clerk
    assert 'name="rowid"' in clerk and 'id="action_form"' in clerk
    assert 'href="/studentview/add"' not in manager and "remove_learners" not in manager
    assert 'name="rowid"' not in manager and "/studentview/edit/" not in manager
    assert "/studentview/show/" in manager  # reading is what the manager may do


def test_a_search_that_finds_nothing_says_so_in_thai(as_user):
    page = page_of(as_user("school"), LIST + "?_flt_0_first_name=ฮฮฮฮไม่มีชื่อนี้")
    assert "ไม่พบข้อมูล" in visible_text(page) and "table-bordered" not in page


def test_a_school_filter_finds_that_school_s_learners_and_a_wrong_or_unknown_school_finds_none(app, as_user):
    central = as_user("central")
    own = [learner.id for learner in own_learners(app)]
    page = page_of(central, LIST + "?_flt_0_school=%d&psize_StudentView=100" % own_learners(app)[0].school_id)
    assert shown_ids(page) == own
    for wrong in ("abc", "99999999", "99999999999999999999999"):
        assert "ไม่พบข้อมูล" in visible_text(page_of(central, LIST + "?_flt_0_school=" + wrong)), wrong


def test_each_row_s_buttons_name_that_row_and_no_other(as_user):
    """The buttons are drawn once for the page with a mark for the row's key: every row's Show,
    Edit and Delete (its element id and its confirm call) lead to that row."""
    page = page_of(as_user("central"), "/schoolview/list/?psize_SchoolView=100")
    rows = re.findall(r'name="rowid" value="(\d+)"(.*?)</tr>', page, re.S)
    assert len(rows) > 2
    for pk, row in rows:
        paths = set(re.findall(r"/schoolview/(?:show|edit|delete)/(\d+)", row))
        assert paths == {pk}, row
        assert 'id="btn-delete-/schoolview/delete/%s"' % pk in row
        assert "execute_single_delete('/schoolview/delete/%s'," % pk in row
        assert 'href="/schoolview/show/%s"' % pk in row and 'href="/schoolview/edit/%s' % pk in row


def search_form(html):
    """What the page's search script gives FAB's AdminFilters: labels, inputs, filter names, and the
    filters active on this page."""
    text, found = html[html.index("new AdminFilters(") :], []
    at = text.index("{")
    for _ in range(4):
        value, end = json.JSONDecoder().raw_decode(text, at)
        found.append(value)
        at = end + len(re.match(r"\s*,\s*", text[end:]).group(0)) if len(found) < 4 else end
    return found


def test_the_search_form_drawn_once_shows_each_page_s_own_filters_and_chosen_school(app, as_user):
    central = as_user("central")
    with app.app_context():
        school = db.session.scalars(select(School).where(School.code == SCHOOL_OF["school"])).one()
    chosen, typed = search_form(page_of(central, LIST + "?_flt_0_school=%d" % school.id)), None
    for url in (LIST + "?_flt_0_first_name=ส", LIST):
        labels, inputs, names, active = search_form(page_of(central, url))
        assert labels == chosen[0] and names == chosen[2]  # the same form, kept
        typed = inputs["school"]
        assert active == ([["first_name", names["first_name"][0], ["ส"]]] if "first_name" in url else [])
        assert "<option" not in typed and 'data-url="/studentview/choices/school"' in typed
    assert chosen[3] == [["school", names["school"][0], [str(school.id)]]]
    assert '<option value="%d">%s</option>' % (school.id, school.name_th) in chosen[1]["school"]
    assert {name: field for name, field in chosen[1].items() if name != "school"} == {
        name: field for name, field in inputs.items() if name != "school"
    }
