"""The charts, declared as data: a title, a kind, an axis label and the query behind each one.

Every number is counted by the database (GROUP BY) within the user's scope (app/scope.py); removed
learners leave every count but the removals'. The same ``Numbers`` fill the chart and the table
under it. The chart is drawn in the browser by Plotly's JavaScript, which the plotly package
brings from PyPI and the app serves itself (app/assets.py): nothing is loaded from the internet."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from . import choices
from .choices import ACTIVE, REMOVED
from .extensions import db
from .levels import CENTRAL, LAO, PROVINCE
from .models import Confirmation, Lao, Province, School, Student, Transition
from .scope import readable
from .thai import format_be_date

FONT = "Sarabun, Tahoma, sans-serif"  # served by the app (app/assets.py, lec.css)


@dataclass(frozen=True)
class Mark:
    """A line across the chart: a date on the time axis (a deadline) or a value (a total)."""

    axis: str  # "x" or "y"
    value: object
    label: str


@dataclass(frozen=True)
class Numbers:
    """What a chart shows: the table's headings and rows (a label, then one value per column);
    the first ``drawn`` value columns are drawn, the others (a total) only listed."""

    head: list
    rows: list
    drawn: int = 1
    x: list | None = None  # ISO dates, when the labels are the days of a time axis
    marks: list = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    name: str
    title: object
    kind: str  # "bar" (stacked when it draws several columns), "hbar" or "line"
    numbers: Callable  # (node, academic year) -> Numbers
    value_label: object


def _current_learners(year, node, status=ACTIVE):
    return (Student.academic_year_id == year.id, Student.status == status, readable(Student, node))


def learners_by_level(node, year):
    """Active learners of the scope per class level, by sex, in the order of the levels."""
    counted = db.session.execute(
        select(
            Student.class_level,
            func.count(case((Student.sex == "M", Student.id))),
            func.count(case((Student.sex == "F", Student.id))),
            func.count(Student.id),
        )
        .where(*_current_learners(year, node))
        .group_by(Student.class_level)
    ).all()
    order = {code: n for n, code in enumerate(choices.codes(choices.CLASS_LEVELS))}
    label = choices.label_of(choices.CLASS_LEVELS)
    rows = [[str(label(level)), *counts] for level, *counts in sorted(counted, key=lambda row: order[row[0]])]
    return Numbers([_("Class level"), _("Male"), _("Female"), _("Total")], rows, drawn=2)


# Which parts of its scope a node's learners are counted by: a province's LAOs, an LAO's schools.
AREA = {CENTRAL: (Province, _l("Province")), PROVINCE: (Lao, _l("Local administrative organisation")),
        LAO: (School, _l("School or centre"))}  # fmt: skip


def learners_by_area(node, year):
    """Active learners per province (central), per LAO (a province), per school (an LAO, a school),
    each part of the scope listed even with no learner."""
    model, heading = AREA.get(node.level, (School, _l("School or centre")))
    query = select(model.name_th, func.count(Student.id)).select_from(model)
    if model is Province:
        query = query.outerjoin(Lao, Lao.province_id == Province.id)
    if model in (Province, Lao):
        query = query.outerjoin(School, School.lao_id == Lao.id)
    query = query.outerjoin(
        Student, and_(Student.school_id == School.id, Student.academic_year_id == year.id, Student.status == ACTIVE)
    )
    rows = db.session.execute(
        query.where(readable(model, node)).group_by(model.id, model.code, model.name_th).order_by(model.code)
    ).all()
    return Numbers([str(heading), _("Number of learners")], [[name, count] for name, count in rows])


STEPS = ("confirm", "take_back", "return")  # the transitions that confirm a school or re-open it


def confirmation_progress(node, year, today=None):
    """Per day from the opening of entry to today: how many schools of the scope stood confirmed
    at the end of the day, against the number of schools and the school deadline. The database
    takes each school's state at the end of each day it moved (its last step that day), compares
    it with the day it last moved before, and nets the changes per day."""
    today = today or date.today()
    schools = select(School.id).where(readable(School, node))
    total = db.session.scalar(select(func.count()).select_from(schools.subquery()))
    day = func.date(Transition.occurred_on)
    steps = (
        select(
            Transition.confirmation_id.label("school"),
            day.label("day"),
            case((Transition.to_state == "confirmed", 1), else_=0).label("confirmed"),
            func.row_number()
            .over(
                partition_by=(Transition.confirmation_id, day),
                order_by=(Transition.occurred_on.desc(), Transition.id.desc()),
            )
            .label("latest"),
        )
        .join(Confirmation, Transition.confirmation_id == Confirmation.id)
        .where(
            Confirmation.academic_year_id == year.id,
            Confirmation.school_id.in_(schools),
            Transition.action.in_(STEPS),
        )
        .subquery()
    )
    before = func.lag(steps.c.confirmed, 1, 0).over(partition_by=steps.c.school, order_by=steps.c.day)
    changes = select(steps.c.day, (steps.c.confirmed - before).label("change")).where(steps.c.latest == 1).subquery()
    net = db.session.execute(select(changes.c.day, func.sum(changes.c.change)).group_by(changes.c.day)).all()
    change = {}
    for when, delta in net:
        when = max(date.fromisoformat(str(when)[:10]), year.entry_opens)
        change[when] = change.get(when, 0) + int(delta)
    rows, x, confirmed, current = [], [], 0, year.entry_opens
    while current <= max(today, year.entry_opens):
        confirmed += change.get(current, 0)
        rows.append([format_be_date(current), confirmed, total])
        x.append(current.isoformat())
        current += timedelta(days=1)
    marks = [
        Mark(
            "x",
            year.school_deadline.isoformat(),
            "%s %s" % (_("School deadline"), format_be_date(year.school_deadline)),
        ),
        Mark("y", total, "%s %d" % (_("Schools in total"), total)),
    ]
    return Numbers([_("Date"), _("Schools confirmed"), _("Schools in total")], rows, drawn=1, x=x, marks=marks)


def removals_by_reason(node, year):
    """Learners of the scope taken out of the count this year, per reason (every reason listed)."""
    counted = dict(
        db.session.execute(
            select(Student.removal_reason, func.count(Student.id))
            .where(*_current_learners(year, node, status=REMOVED))
            .group_by(Student.removal_reason)
        ).all()
    )
    return Numbers(
        [_("Reason for removal"), _("Number of learners")],
        [[str(label), counted.get(code, 0)] for code, label in choices.REMOVAL_REASONS],
    )


CHARTS = [
    Chart("levels", _l("Learners by class level and sex"), "bar", learners_by_level, _l("Number of learners")),
    Chart("areas", _l("Learners by area"), "bar", learners_by_area, _l("Number of learners")),
    Chart(
        "progress",
        _l("Confirmation progress against the school deadline"),
        "line",
        confirmation_progress,
        _l("Schools confirmed"),
    ),  # fmt: skip
    Chart("removals", _l("Removed learners by reason"), "hbar", removals_by_reason, _l("Number of learners")),
]
CHART = {chart.name: chart for chart in CHARTS}


def figure(chart, numbers):
    """The Plotly figure (data and layout, as JSON for Plotly.newPlot) of a chart's numbers."""
    labels = numbers.x or [row[0] for row in numbers.rows]
    traces = []
    for column in range(1, numbers.drawn + 1):
        values = [row[column] for row in numbers.rows]
        trace = {"name": numbers.head[column]}
        if chart.kind == "hbar":
            trace.update(type="bar", orientation="h", x=values, y=labels, hovertemplate="%{y}: %{x:,}<extra></extra>")
        elif chart.kind == "line":  # the hover shows the day's Buddhist-era date, as the table does
            days = [row[0] for row in numbers.rows]
            trace.update(type="scatter", mode="lines+markers", x=labels, y=values, customdata=days,
                         hovertemplate="%{customdata}: %{y:,}<extra></extra>")  # fmt: skip
        else:
            trace.update(type="bar", x=labels, y=values, hovertemplate="%{x}: %{y:,}<extra>%{fullData.name}</extra>")
        traces.append(trace)
    highest = max([1] + [row[c] for row in numbers.rows for c in range(1, numbers.drawn + 1)])
    value_axis = {"title": {"text": str(chart.value_label)}, "rangemode": "tozero", "separatethousands": True,
                  "automargin": True, **({"dtick": 1} if highest < 10 else {})}  # fmt: skip
    label_axis = {"title": {"text": numbers.head[0], "standoff": 12}, "automargin": True}
    layout = {
        "font": {"family": FONT, "size": 14},
        "margin": {"t": 40, "r": 20},
        "barmode": "stack",
        "showlegend": numbers.drawn > 1,
        "legend": {"orientation": "h", "y": 1.12},
        "xaxis": label_axis,
        "yaxis": value_axis,
        "shapes": [],
        "annotations": [],
    }
    if chart.kind == "hbar":
        layout.update(xaxis=value_axis, yaxis={**label_axis, "autorange": "reversed"})
    if numbers.x:
        first = date.fromisoformat(numbers.x[0])
        last = max(
            date.fromisoformat(day) for day in [numbers.x[-1]] + [m.value for m in numbers.marks if m.axis == "x"]
        )
        layout["xaxis"].update(type="date", range=[first.isoformat(), last.isoformat()], **_be_ticks(first, last))
    for mark in numbers.marks:
        _draw_mark(layout, mark)
        if mark.axis == "y":
            layout["yaxis"]["range"] = [0, max(highest, mark.value) * 1.15]
    return {"data": traces, "layout": layout}


def _be_ticks(first, last):
    """Buddhist-era dates on the time axis: at most eight ticks from the first day to the last."""
    days = (last - first).days
    every = max(1, -(-days // 7))
    ticks = [first + timedelta(days=n) for n in range(0, days + 1, every)]
    return {"tickvals": [day.isoformat() for day in ticks], "ticktext": [format_be_date(day) for day in ticks]}


def _draw_mark(layout, mark):
    line = {"color": "#c9302c" if mark.axis == "x" else "#777", "dash": "dash", "width": 2}
    if mark.axis == "x":
        shape = {"type": "line", "xref": "x", "yref": "paper", "x0": mark.value, "x1": mark.value, "y0": 0, "y1": 1}
        note = {"x": mark.value, "xref": "x", "yref": "paper", "y": 1, "yanchor": "bottom", "xanchor": "right"}
    else:
        shape = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": mark.value, "y1": mark.value}
        note = {"y": mark.value, "yref": "y", "xref": "paper", "x": 0, "xanchor": "left", "yanchor": "bottom"}
    layout["shapes"].append({**shape, "line": line})
    layout["annotations"].append({**note, "text": mark.label, "showarrow": False, "font": {"color": line["color"]}})
