"""The charts (app/charts.py): each one's numbers are the database's own counts over the user's
scope, removed learners counted only among the removals, the confirmation progress follows the
confirmations day by day, and each page's table shows the chart's numbers."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from app.charts import (
    CHARTS,
    confirmation_progress,
    figure,
    learners_by_area,
    learners_by_level,
    removals_by_reason,
)
from app.choices import CLASS_LEVELS, REMOVAL_REASONS, codes, label_of
from app.context import acting_as
from app.extensions import db
from app.models import AcademicYear, School, Student
from app.scope import node_of
from app.thai import format_be_date
from app.workflow import confirm_school, confirmation_of, take_back_school

from conftest import SCHOOL_OF, append_only_lifted, visible_text

SCOPES = ["central", "province", "lao", "school"]
KHON_KAEN_SCHOOL = "1040130001"


def node(app, username):
    return node_of(app.appbuilder.sm.find_user(username=username))


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def school(code):
    return db.session.scalar(select(School).where(School.code == code))


def schools_sql(scope):
    """The ids of the scope's schools, written out in SQL for each level."""
    return {
        "central": "SELECT id FROM school",
        "province": "SELECT s.id FROM school s JOIN lao l ON s.lao_id = l.id WHERE l.province_id = :org",
        "lao": "SELECT id FROM school WHERE lao_id = :org",
        "school": "SELECT id FROM school WHERE id = :org",
    }[scope.level]


def count_sql(sql, scope, **params):
    return db.session.execute(text(sql), {"org": scope.id, "year": year().id, **params}).all()


@pytest.fixture
def removed(app, ctx):
    """Four learners taken out of the count inside the test's transaction (rolled back after):
    two of the school's own and one of the centre's (LAO เทศบาลนครเชียงใหม่), one in ขอนแก่น."""
    picks = []
    for code, reasons in [(SCHOOL_OF["school"], ["moved", "died"]), (SCHOOL_OF["cdc"], ["moved"]),
                          (KHON_KAEN_SCHOOL, ["dropped_out"])]:  # fmt: skip
        ids = db.session.scalars(
            select(Student.id)
            .where(Student.school_id == school(code).id, Student.status == "active")
            .order_by(Student.id)
            .limit(len(reasons))
        ).all()
        picks += list(zip(ids, reasons, strict=True))
    for learner_id, reason in picks:
        db.session.execute(
            text("UPDATE student SET status = 'removed', removal_reason = :reason, removed_on = :on WHERE id = :id"),
            {"reason": reason, "on": date.today(), "id": learner_id},
        )
    return picks


@pytest.mark.parametrize("username", SCOPES)
def test_learners_by_level_and_sex_are_the_active_learners_of_the_scope(app, removed, username):
    scope = node(app, username)
    counted = count_sql(
        "SELECT class_level, sex, count(*) FROM student WHERE academic_year_id = :year AND status = 'active'"
        " AND school_id IN (%s) GROUP BY class_level, sex" % schools_sql(scope),
        scope,
    )
    by_level = {}
    for level, sex, count in counted:
        by_level.setdefault(level, {"M": 0, "F": 0})[sex] = count
    label = label_of(CLASS_LEVELS)
    expected = [
        [str(label(level)), by_level[level]["M"], by_level[level]["F"], sum(by_level[level].values())]
        for level in codes(CLASS_LEVELS)
        if level in by_level
    ]
    numbers = learners_by_level(scope, year())
    assert numbers.rows == expected and expected
    everyone = count_sql(
        "SELECT count(*) FROM student WHERE academic_year_id = :year AND school_id IN (%s)" % schools_sql(scope),
        scope,
    )[0][0]
    gone = count_sql(
        "SELECT count(*) FROM student WHERE status = 'removed' AND school_id IN (%s)" % schools_sql(scope), scope
    )[0][0]
    assert gone > 0
    assert sum(row[3] for row in numbers.rows) == everyone - gone


AREAS_SQL = {
    "central": "SELECT p.name_th, (SELECT count(*) FROM student st JOIN school s ON st.school_id = s.id"
    " JOIN lao l ON s.lao_id = l.id WHERE l.province_id = p.id AND st.academic_year_id = :year"
    " AND st.status = 'active') FROM province p ORDER BY p.code",
    "province": "SELECT l.name_th, (SELECT count(*) FROM student st JOIN school s ON st.school_id = s.id"
    " WHERE s.lao_id = l.id AND st.academic_year_id = :year AND st.status = 'active')"
    " FROM lao l WHERE l.province_id = :org ORDER BY l.code",
    "lao": "SELECT s.name_th, (SELECT count(*) FROM student st WHERE st.school_id = s.id"
    " AND st.academic_year_id = :year AND st.status = 'active') FROM school s WHERE s.lao_id = :org ORDER BY s.code",
    "school": "SELECT s.name_th, (SELECT count(*) FROM student st WHERE st.school_id = s.id"
    " AND st.academic_year_id = :year AND st.status = 'active') FROM school s WHERE s.id = :org",
}


@pytest.mark.parametrize("username", SCOPES)
def test_learners_per_province_lao_or_school_are_the_active_learners_of_each_part_of_the_scope(app, removed, username):
    scope = node(app, username)
    expected = [list(row) for row in count_sql(AREAS_SQL[username], scope)]
    numbers = learners_by_area(scope, year())
    assert numbers.rows == expected
    assert expected and sum(count for _name, count in expected) > 0


@pytest.mark.parametrize("username", SCOPES)
def test_removals_by_reason_count_the_removed_learners_of_the_scope_for_every_reason(app, removed, username):
    scope = node(app, username)
    counted = dict(
        count_sql(
            "SELECT removal_reason, count(*) FROM student WHERE academic_year_id = :year AND status = 'removed'"
            " AND school_id IN (%s) GROUP BY removal_reason" % schools_sql(scope),
            scope,
        )
    )
    numbers = removals_by_reason(scope, year())
    assert numbers.rows == [[str(label), counted.get(code, 0)] for code, label in REMOVAL_REASONS]
    expected_total = {"central": 4, "province": 3, "lao": 3, "school": 2}[username]
    assert sum(row[1] for row in numbers.rows) == expected_total


def replay(scope, on):
    """Schools of the scope confirmed at the end of the day ``on``, from every step in order: a
    second reading of the transitions, school by school, to check the database's daily netting."""
    steps = count_sql(
        "SELECT c.school_id, t.occurred_on, t.to_state FROM transition t JOIN confirmation c"
        " ON t.confirmation_id = c.id WHERE c.academic_year_id = :year AND c.school_id IN (%s)"
        " AND t.action IN ('confirm', 'take_back', 'return') ORDER BY t.occurred_on, t.id" % schools_sql(scope),
        scope,
    )
    state = {}
    for school_id, occurred_on, to_state in steps:
        if date.fromisoformat(str(occurred_on)[:10]) <= on:
            state[school_id] = to_state
    return sum(1 for value in state.values() if value == "confirmed")


def add_step(organisation, day, hour, action, from_state, to_state):
    db.session.execute(
        text(
            "INSERT INTO transition (confirmation_id, action, from_state, to_state, occurred_on)"
            " VALUES (:confirmation, :action, :from_state, :to_state, :occurred_on)"
        ),
        {"confirmation": confirmation_of(organisation, year()).id, "action": action, "from_state": from_state,
         "to_state": to_state, "occurred_on": datetime.combine(year().entry_opens + timedelta(days=day), time(hour))},
    )  # fmt: skip


def test_the_progress_counts_each_day_the_schools_that_stood_confirmed_at_its_end(app, ctx):
    """Dated steps written in the test's transaction (rolled back after): the school confirms on day
    2, takes it back and confirms again on day 5 (still confirmed that evening), takes it back on day
    7 and confirms on day 8; the centre confirms on day 3 and is returned by its LAO on day 10; a
    school of ขอนแก่น confirms on day 4. An exception is no confirmation."""
    with append_only_lifted(db.session.connection(), "transition"):
        db.session.execute(text("DELETE FROM transition"))
    own, centre, khon_kaen = school(SCHOOL_OF["school"]), school(SCHOOL_OF["cdc"]), school(KHON_KAEN_SCHOOL)
    add_step(own, 2, 9, "confirm", "open", "confirmed")
    add_step(own, 5, 9, "take_back", "confirmed", "open")
    add_step(own, 5, 15, "confirm", "open", "confirmed")
    add_step(own, 6, 9, "exception", "confirmed", "confirmed")
    add_step(own, 7, 9, "take_back", "confirmed", "open")
    add_step(own, 8, 9, "confirm", "open", "confirmed")
    add_step(centre, 3, 10, "confirm", "open", "confirmed")
    add_step(centre, 10, 11, "return", "confirmed", "open")
    add_step(khon_kaen, 4, 8, "confirm", "open", "confirmed")
    opens, today = year().entry_opens, year().entry_opens + timedelta(days=12)
    lao_series = [0, 0, 1, 2, 2, 2, 2, 1, 2, 2, 1, 1, 1]
    expected = {
        "lao": lao_series,
        "province": lao_series,
        "school": [0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1],
        "central": [n + (day >= 4) for day, n in enumerate(lao_series)],
    }
    for username in SCOPES:
        scope = node(app, username)
        numbers = confirmation_progress(scope, year(), today=today)
        assert [row[1] for row in numbers.rows] == expected[username], username
        assert [row[1] for row in numbers.rows] == [replay(scope, opens + timedelta(days=n)) for n in range(13)]
        assert [row[0] for row in numbers.rows] == [format_be_date(opens + timedelta(days=n)) for n in range(13)]
        total = count_sql("SELECT count(*) FROM (%s) AS scope" % schools_sql(scope), scope)[0][0]
        assert {row[2] for row in numbers.rows} == {total}
        assert [mark.value for mark in numbers.marks] == [year().school_deadline.isoformat(), total]


def test_a_school_that_confirms_today_counts_as_confirmed_today_in_every_scope_above_it(app, fresh, ctx):
    own = school(SCHOOL_OF["school"])
    before = {username: confirmation_progress(node(app, username), year()).rows[-1][1] for username in SCOPES}
    with acting_as(app.appbuilder.sm.find_user(username="school").id):
        confirm_school(own, year())
        db.session.commit()
    try:
        for username in SCOPES:
            scope = node(app, username)
            today = confirmation_progress(scope, year()).rows[-1]
            assert today[0] == format_be_date(date.today())
            assert today[1] == replay(scope, date.today())
            assert today[1] >= before[username]
        assert confirmation_progress(node(app, "school"), year()).rows[-1][1] == 1
    finally:
        with acting_as(app.appbuilder.sm.find_user(username="school").id):
            take_back_school(own, year())
            db.session.commit()


def table_of(html):
    table = re.search(r'<table[^>]*id="chart-numbers".*?</table>', html, re.S).group(0)
    head = [visible_text(cell) for cell in re.findall(r"<th>(.*?)</th>", table, re.S)]
    rows = [
        [visible_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]
    return head, rows


@pytest.mark.parametrize("username", SCOPES + ["manager"])
def test_each_chart_page_shows_a_table_with_the_charts_numbers_in_thai(app, as_user, username):
    client = as_user(username)
    index = client.get("/charts/").get_data(as_text=True)
    assert "แผนภูมิ" in index
    for chart in CHARTS:
        response = client.get("/charts/%s" % chart.name)
        assert response.status_code == 200, chart.name
        html = response.get_data(as_text=True)
        assert 'href="/charts/%s"' % chart.name in index
        with app.app_context():
            user = app.appbuilder.sm.find_user(username=username)
            numbers = chart.numbers(node_of(user), year())
            drawn = figure(chart, numbers)
        head, rows = table_of(html)
        assert head == [str(heading) for heading in numbers.head]
        assert rows == [[str(row[0])] + ["{:,}".format(value) for value in row[1:]] for row in numbers.rows]
        assert len(drawn["data"]) == numbers.drawn
        assert re.search(r"[\u0e00-\u0e7f]", " ".join(head)), head
        assert '<script src="/js/plotly.min.js?v=' in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_plotly_is_served_by_the_app_itself(client):
    response = client.get("/js/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"plotly.js" in response.data[:2000]


def test_an_unknown_chart_is_not_found(as_user):
    assert as_user("lao").get("/charts/nothing").status_code == 404


def test_the_progress_chart_draws_buddhist_era_dates_and_the_school_deadline(app, ctx):
    numbers = confirmation_progress(node(app, "lao"), year())
    layout = figure(next(chart for chart in CHARTS if chart.name == "progress"), numbers)["layout"]
    assert layout["xaxis"]["type"] == "date"
    assert all(re.fullmatch(r"\d\d/\d\d/25\d\d", tick) for tick in layout["xaxis"]["ticktext"])
    assert layout["xaxis"]["range"][1] >= year().school_deadline.isoformat()
    assert layout["shapes"][0]["x0"] == year().school_deadline.isoformat()
    assert layout["font"]["family"].startswith("Sarabun")
