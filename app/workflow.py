"""Confirmation up the hierarchy, entry windows, and the lock that confirmed data carries.

DESIGN.md §4 is the state machine: each school, LAO and province has, per academic year, one
Confirmation that is ``open`` or ``confirmed``. The functions here are the only way to move it;
screens, the REST API and the command line call them. ``refuse_locked_writes`` enforces the lock
where rows are flushed, so no entry point can write a confirmed school's learners, and it takes a
shared lock on the confirmation row that ``confirm_school`` takes exclusively: an edit and a
confirmation committing at the same moment cannot pass each other."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, false, func, inspect, literal, null, or_, select, true, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, joinedload

from . import choices, quality
from .caches import kept_for
from .context import change_reason, current_user_id, now
from .errors import Locked, OutOfScope, Refused
from .extensions import db
from .levels import CENTRAL, LAO, LEVEL_OF, ORGANISATIONS, PROVINCE, SCHOOL, key_of, level_of, org_key
from .models import (
    AcademicYear,
    Confirmation,
    Lao,
    LecUser,
    NoOtherSchools,
    OtherSchool,
    Province,
    School,
    SchoolBuilding,
    SchoolProfile,
    Student,
    Transition,
)
from .quality import school_problems
from .scope import current_node, parents_in_change, readable, readable_row
from .snapshots import freeze_province
from .thai import format_be_date

OPEN, CONFIRMED = "open", "confirmed"
DEADLINE = {SCHOOL: "school_deadline", LAO: "lao_deadline", PROVINCE: "province_deadline"}


def current_year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


@dataclass(frozen=True)
class ShownYear:
    """The current year's dates as the banner on every screen shows them (shown_year)."""

    id: int
    year: int
    entry_opens: date
    school_deadline: date
    lao_deadline: date
    province_deadline: date


SHOWN_YEAR = {}  # "current" → (expires, ShownYear or None)


def shown_year():
    """The current year for what every page shows (the banner), kept for ``LEC_USER_CACHE_SECONDS``
    instead of read on every page: a year changed in this process is read again at once, one changed
    by another process within that time. What a step decides reads ``current_year()``."""

    def read():
        columns = [getattr(AcademicYear, field) for field in ShownYear.__dataclass_fields__]
        row = db.session.execute(select(*columns).where(AcademicYear.is_current)).first()
        return ShownYear(*row) if row else None

    return kept_for(SHOWN_YEAR, "current", current_app.config["LEC_USER_CACHE_SECONDS"], read)


def note_year_changes(session, flush_context):
    """A flush that writes an academic year marks the session for its commit (forget_shown_year)."""
    if any(isinstance(obj, AcademicYear) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["lec_year_changed"] = True


def forget_shown_year(session):
    if session.info.pop("lec_year_changed", False):
        SHOWN_YEAR.clear()


def confirmation_of(organisation, year, lock=False, share=False):
    """The organisation's confirmation for the year, created open on first use; ``lock`` takes
    the row exclusively until the transaction ends (PostgreSQL), ``share`` in shared mode: a step
    that depends on the level above staying open holds it so (a take-back, a return), and that
    level's confirmation, which takes it exclusively, waits for the step or the step for it.
    The year's opening made every organisation's row: it is read first, and made only when missing."""
    query = select(Confirmation).where(
        Confirmation.academic_year_id == year.id, Confirmation.org_key == key_of(organisation)
    )
    if lock or share:
        query = query.with_for_update(read=not lock)
    query = query.execution_options(populate_existing=True)
    found = db.session.scalars(query).one_or_none()
    if found is None:
        _ensure_rows([(year.id, organisation)])
        found = db.session.scalars(query).one()
    return found


def _ensure_rows(pairs):
    _insert_missing(db.session, [(year_id, level_of(org), org.id) for year_id, org in pairs])


def _insert_missing(session, placements):
    """Create the open confirmation of each (year id, level, organisation id) that has none yet, in
    one statement however many (an LAO's confirmation checks all its schools' rows); concurrent
    callers may race to create the same row, so a conflict is ignored."""
    if not placements:
        return
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    rows = []
    for year_id, level, org_id in placements:
        row = {"province_id": None, "lao_id": None, "school_id": None, level + "_id": org_id}
        row.update(academic_year_id=year_id, org_key=org_key(level, org_id), org_level=level, state=OPEN)
        rows.append(row)
    session.execute(insert(Confirmation).values(rows).on_conflict_do_nothing())  # one statement for them all


def open_confirmations(year_id, connection=None):
    """Every school, LAO and province gets its open confirmation for the year at once, as the year
    opens; returns how many the year has. Created on first use instead, two transactions creating
    rows in opposite orders (a school its own then its LAO's, the LAO its own then its schools')
    deadlock on PostgreSQL."""
    run = (connection or db.session).execute
    dialect = (connection or db.session.get_bind()).dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    columns = ["academic_year_id", "org_key", "org_level", "province_id", "lao_id", "school_id", "state"]
    for level in (SCHOOL, LAO, PROVINCE):
        model = ORGANISATIONS[level]
        ids = {name: (model.id if name == level + "_id" else null()) for name in columns[3:6]}
        rows = select(
            literal(year_id), org_key(level, model.id), literal(level),
            ids["province_id"], ids["lao_id"], ids["school_id"], literal(OPEN),
        ).where(true())  # fmt: skip  # without a WHERE, SQLite reads "FROM t ON CONFLICT" as a join
        run(insert(Confirmation).from_select(columns, rows).on_conflict_do_nothing())
    return run(select(func.count()).where(Confirmation.academic_year_id == year_id)).scalar()


def open_the_current_year(session, flush_context):
    """A year made current, on any screen, the API or the command line, opens every
    organisation's confirmation at once (see open_confirmations)."""
    for year in [*session.new, *session.dirty]:
        if isinstance(year, AcademicYear) and year.is_current and inspect(year).attrs.is_current.history.added:
            open_confirmations(year.id, session.connection())


# -- entry window ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    open: bool
    opens: date
    deadline: date
    days_left: int
    exception_until: date | None


def window_for(confirmation, today=None):
    """Whether entry is open for this organisation today: from the year's opening to its level's
    deadline, or until a granted exception ends."""
    today = today or date.today()
    year = confirmation.academic_year
    deadline = getattr(year, DEADLINE[confirmation.org_level])
    until = confirmation.exception_until
    last = max(deadline, until) if until else deadline
    return Window(year.entry_opens <= today <= last, year.entry_opens, last, (last - today).days, until)


# -- transitions ----------------------------------------------------------------------------------


def _transition(confirmation, action, to_state, reason=None):
    record = Transition(
        confirmation=confirmation,
        action=action,
        from_state=confirmation.state,
        to_state=to_state,
        reason=reason,
        actor_id=current_user_id(),
        occurred_on=now(),
    )
    db.session.add(record)
    if to_state == CONFIRMED and action == "confirm":
        confirmation.confirmed_on, confirmation.confirmed_by_id = record.occurred_on, record.actor_id
    confirmation.state = to_state
    return record


# Who takes each step, by the level the acting user stands at: the one statement of it. ``_require``
# refuses everyone else, and the organisation lists offer a step's action (named as the step) only
# to these levels (app/pages/base.py, ScopedActions): central holds every permission, as FAB's
# admin role, yet confirms, takes back and returns nothing below the province. Exceptions are
# central's unless the setting gives the LAOs' and schools' to their province (exception_granter).
TAKEN_BY = {
    "confirm_school": frozenset({SCHOOL}),
    "take_back_school": frozenset({SCHOOL}),
    "return_school": frozenset({LAO}),
    "confirm_lao": frozenset({LAO}),
    "return_lao": frozenset({PROVINCE}),
    "confirm_province": frozenset({PROVINCE}),
    "return_province": frozenset({CENTRAL}),
    "grant_exception": frozenset({CENTRAL}),
}


def takers(step, org_level):
    """The levels that take ``step`` on an organisation of ``org_level`` (TAKEN_BY, and the setting
    for exceptions)."""
    if step == "grant_exception":
        return frozenset({exception_granter(org_level)})
    return TAKEN_BY[step]


def takes_step(name, level, org_level):
    """Whether a user at ``level`` may ever take the step ``name`` on an organisation of
    ``org_level``; a name that is no workflow step (another list action) is not the workflow's to
    refuse."""
    return name not in TAKEN_BY or level in takers(name, org_level)


def _require(organisation, step):
    """The acting user must stand at a level that takes ``step`` (takers) and reach the organisation."""
    node = current_node()
    if node.level not in takers(step, level_of(organisation)):
        raise Refused([_("Your role does not take this step.")])
    if readable_row(type(organisation), organisation.id) is None:
        raise OutOfScope(_("You may only record data of your own organisation."))


def _require_open_window(confirmation, reasons):
    window = window_for(confirmation)
    if not window.open:
        reasons.append(
            _("Entry is closed for this organisation (deadline %(date)s).", date=format_be_date(window.deadline))
            if date.today() > window.deadline
            else _("Entry opens on %(date)s.", date=format_be_date(window.opens))
        )


# Checks that block a school's confirmation: each returns a list of Thai messages.
BLOCKING_CHECKS = [school_problems]


def blocking_errors(school, year):
    return [message for check in BLOCKING_CHECKS for message in check(school, year)]


def confirm_school(school, year, trial=False):
    """Lock the school's data for the year. Refused when already confirmed, outside the window or
    with blocking data errors. Every step takes ``trial``: run its checks, refuse as it would,
    and stop before it locks or writes anything (next_steps)."""
    _require(school, "confirm_school")
    confirmation = confirmation_of(school, year, lock=not trial)
    reasons = []
    if confirmation.state == CONFIRMED:
        reasons.append(_("Already confirmed."))
    _require_open_window(confirmation, reasons)
    reasons.extend(blocking_errors(school, year))
    if reasons:
        raise Refused(reasons)
    return None if trial else _transition(confirmation, "confirm", CONFIRMED)


def take_back_school(school, year, trial=False):
    """The school re-opens its own confirmation, until its LAO has confirmed and while its entry
    window is open: after the deadline a re-opened school could neither correct nor confirm again,
    and its LAO could not confirm either."""
    _require(school, "take_back_school")
    confirmation = confirmation_of(school, year, lock=not trial)
    reasons = []
    if confirmation.state != CONFIRMED:
        reasons.append(_("The school has not confirmed."))
    _require_open_window(confirmation, reasons)
    if confirmation_of(school.lao, year, share=not trial).state == CONFIRMED:
        reasons.append(_("The LAO has already confirmed; ask it to return the school."))
    if reasons:
        raise Refused(reasons)
    return None if trial else _transition(confirmation, "take_back", OPEN)


def _confirm_above(organisation, year, children, step, checks=(), trial=False):
    _require(organisation, step)
    confirmation = confirmation_of(organisation, year, lock=not trial)
    reasons = []
    if confirmation.state == CONFIRMED:
        reasons.append(_("Already confirmed."))
    _require_open_window(confirmation, reasons)
    if not trial:  # a trial reads a missing row as what it would be made: open
        _ensure_rows([(year.id, child) for child in children])
    states = dict(
        db.session.execute(
            select(Confirmation.org_key, Confirmation.state).where(
                Confirmation.academic_year_id == year.id, Confirmation.org_key.in_([key_of(c) for c in children])
            )
        ).all()
    )
    waiting = [child.name_th for child in children if states.get(key_of(child)) != CONFIRMED]
    if waiting:
        reasons.append(_("Not yet confirmed: %(names)s.", names=", ".join(waiting)))
    for check in checks:
        reasons.extend(check(organisation, year))
    if reasons:
        raise Refused(reasons)
    return None if trial else _transition(confirmation, "confirm", CONFIRMED)


def other_affiliation_problems(lao, year):
    """Why the LAO's other-affiliation data for the year does not count as entered: it has
    recorded no school of another affiliation and not stated that there is none, or it has done
    both."""
    schools = db.session.scalar(
        select(func.count(OtherSchool.id)).where(OtherSchool.lao_id == lao.id, OtherSchool.academic_year_id == year.id)
    )
    declared = db.session.scalar(
        select(NoOtherSchools.id).where(NoOtherSchools.lao_id == lao.id, NoOtherSchools.academic_year_id == year.id)
    )
    if not schools and declared is None:
        return [_("Enter the schools of other affiliations in your area and their learners, "
                  "or record that there are none.")]  # fmt: skip
    if schools and declared is not None:
        return [_("You recorded that there is no school of another affiliation in your area, yet "
                  "%(count)d are entered: remove one or the other.", count=schools)]  # fmt: skip
    return []


def confirm_lao(lao, year, trial=False):
    """Refused until every school of the LAO has confirmed (the refusal names those that have
    not) and its other-affiliation counts are entered."""
    schools = db.session.scalars(select(School).where(School.lao_id == lao.id).order_by(School.code)).all()
    return _confirm_above(lao, year, schools, "confirm_lao", [other_affiliation_problems], trial)


def confirm_province(province, year, trial=False):
    """Refused until every LAO of the province has confirmed. Freezes the province's figures as its
    next snapshot version (app/snapshots.py), which the budget reads."""
    laos = db.session.scalars(select(Lao).where(Lao.province_id == province.id).order_by(Lao.code)).all()
    record = _confirm_above(province, year, laos, "confirm_province", trial=trial)
    if not trial:
        freeze_province(province, year, record)
    return record


def _return(organisation, above, year, reason, step, trial):
    """``above``: the relation to the organisation whose confirmation must still be open (None
    for a province), read only once the user may take the step."""
    _require(organisation, step)
    parent = getattr(organisation, above) if above else None
    if not (reason or "").strip():
        raise Refused([_("Write the reason for returning it.")])
    confirmation = confirmation_of(organisation, year, lock=not trial)
    reasons = []
    if confirmation.state != CONFIRMED:
        reasons.append(_("It has not confirmed; there is nothing to return."))
    if parent is not None and confirmation_of(parent, year, share=not trial).state == CONFIRMED:
        reasons.append(_("Your own confirmation is already given; it must be returned to you first."))
    if reasons:
        raise Refused(reasons)
    if trial:
        return None
    with change_reason(reason.strip()):
        record = _transition(confirmation, "return", OPEN, reason.strip())
        db.session.flush()
    return record


def return_school(school, year, reason, trial=False):
    """The LAO re-opens one of its schools, with a written reason, while the LAO is still open."""
    return _return(school, "lao", year, reason, "return_school", trial)


def return_lao(lao, year, reason, trial=False):
    """The province re-opens one of its LAOs while the province is still open."""
    return _return(lao, "province", year, reason, "return_lao", trial)


def return_province(province, year, reason, trial=False):
    """Central re-opens a province."""
    return _return(province, None, year, reason, "return_province", trial)


EXCEPTION_GRANTERS = ("central", "province")  # the values of the setting LEC_EXCEPTION_GRANTED_BY


def exception_granter(level):
    """The level that grants exceptions to the organisations of a level (and answers their
    requests, app/exceptions.py): central, or with the setting LEC_EXCEPTION_GRANTED_BY =
    "province" the province for its LAOs and schools (central still for the provinces). The one
    statement of it."""
    setting = current_app.config.get("LEC_EXCEPTION_GRANTED_BY", CENTRAL)
    if setting not in EXCEPTION_GRANTERS:
        raise ValueError("LEC_EXCEPTION_GRANTED_BY must be one of %s, not %r" % (EXCEPTION_GRANTERS, setting))
    return PROVINCE if setting == PROVINCE and level in (LAO, SCHOOL) else CENTRAL


def require_granter(organisation):
    """The acting user must stand at the level that grants this organisation's exceptions, and
    reach the organisation: refused otherwise, OutOfScope outside its area."""
    _require(organisation, "grant_exception")


def grant_exception(organisation, year, until, reason, trial=False):
    """The granting level (exception_granter) re-opens entry for one organisation after its
    deadline, until a date."""
    require_granter(organisation)
    reasons = []
    if not (reason or "").strip():
        reasons.append(_("Write the reason for the exception."))
    if until is None or until < date.today():
        reasons.append(_("The exception must end today or later."))
    if reasons:
        raise Refused(reasons)
    if trial:
        return None
    confirmation = confirmation_of(organisation, year, lock=True)
    with change_reason(reason.strip()):
        confirmation.exception_until, confirmation.exception_reason = until, reason.strip()
        note = "%s (%s)" % (reason.strip(), format_be_date(until))
        record = _transition(confirmation, "exception", confirmation.state, note)
        db.session.flush()
    return record


# -- what a user is told on every screen ---------------------------------------------------------


# What the banner on every screen says the organisation's data is in (entry_notice's "status"),
# strongest first where two hold at once: confirmed (the data is done and locked, whether or not
# entry has closed since), returned for correction (the organisation has work to do; after the
# deadline the banner still says entry is closed, so it knows it needs an exception), closed (the
# deadline has passed and nothing was confirmed), open.
CONFIRMED_STATUS, RETURNED, CLOSED, OPEN_STATUS = "confirmed", "returned", "closed", "open"


def notice_status(state, window_open, returned):
    """The banner's status (see above) of a confirmation ``state`` (None for central, which
    confirms nothing of its own), its entry window and whether it was last returned."""
    if state == CONFIRMED:
        return CONFIRMED_STATUS
    if returned:
        return RETURNED
    return OPEN_STATUS if window_open else CLOSED


def entry_notice():
    """For the signed-in user's own organisation this year: whether entry is open and for how many
    more days, the confirmation state, who confirmed and when, and why, by whom and when it was last
    returned; ``status`` is what the banner shows first (notice_status).
    Templates call it while they render, so it writes nothing: an organisation whose confirmation
    is not made yet (added after the year opened) is told what that row will say, open."""
    node = current_node()
    year = shown_year()
    if year is None or node.level not in ORGANISATIONS and node.level != CENTRAL:
        return None
    if node.level == CENTRAL:
        window = window_for(_Standing(year, SCHOOL, None))
        return {"window": window, "state": None, "year": year.year, "status": notice_status(None, window.open, None)}
    key = org_key(node.level, node.id)
    confirmation = db.session.scalars(  # with what the notice shows: one query on every page
        select(Confirmation)
        .where(Confirmation.academic_year_id == year.id, Confirmation.org_key == key)
        .options(
            joinedload(Confirmation.transitions).joinedload(Transition.actor),
            joinedload(Confirmation.confirmed_by),
        )
    ).unique().first()
    if confirmation is None:
        confirmation = Confirmation(org_level=node.level, state=OPEN, exception_until=None)
    # An exception granted after a return leaves the data returned: the last step that moved it counts.
    moves = [t for t in confirmation.transitions if t.action != "exception"]
    last = max(moves, key=lambda t: t.id, default=None)
    returned = last if last is not None and last.action == "return" and confirmation.state == OPEN else None
    window = window_for(_Standing(year, node.level, confirmation.exception_until))
    return {
        "level": node.level,
        "org_id": node.id,
        "year": year.year,
        "window": window,
        "state": confirmation.state,
        "status": notice_status(confirmation.state, window.open, returned),
        "confirmed_by": confirmation.confirmed_by,
        "confirmed_on": confirmation.confirmed_on,
        "returned": returned,
    }


# -- what can happen next -------------------------------------------------------------------------

STEPS = {
    School: {"confirm": confirm_school, "take_back": take_back_school, "return": return_school},
    Lao: {"confirm": confirm_lao, "return": return_lao},
    Province: {"confirm": confirm_province, "return": return_province},
}


def next_steps(organisation, year):
    """For each step on this organisation: may the acting user take it now, and if not, why.
    Each step is run as a trial (its own checks, stopping before it locks or writes), so the
    answer uses the very rules the step applies."""
    answers = {}
    for name, step in {**STEPS[type(organisation)], "exception": grant_exception}.items():
        try:
            if name == "exception":
                step(organisation, year, date.today(), "?", trial=True)
            elif name == "return":
                step(organisation, year, "?", trial=True)
            else:
                step(organisation, year, trial=True)
            answers[name] = []
        except (Refused, OutOfScope) as refusal:
            answers[name] = getattr(refusal, "reasons", [str(refusal)])
    return answers


def status(organisation, year):
    """The organisation's confirmation in the year, its steps so far and the steps open to the
    acting user now (the status API)."""
    confirmation = confirmation_of(organisation, year)
    steps = db.session.scalars(
        select(Transition).where(Transition.confirmation_id == confirmation.id)
        .options(joinedload(Transition.actor)).order_by(Transition.id)
    ).all()  # fmt: skip
    window = window_for(confirmation)
    return {
        "org": organisation.code,
        "name": organisation.name_th,
        "year": year.year,
        "state": confirmation.state,
        "confirmed_on": confirmation.confirmed_on.isoformat() if confirmation.state == CONFIRMED else None,
        "confirmed_by": confirmation.confirmed_by.username if confirmation.state == CONFIRMED else None,
        "entry_open": window.open,
        "deadline": window.deadline.isoformat(),
        "days_left": window.days_left,
        "history": [
            {"action": t.action, "from": t.from_state, "to": t.to_state, "reason": t.reason,
             "by": t.actor.username if t.actor else None, "on": t.occurred_on.isoformat()}
            for t in steps
        ],  # fmt: skip
        "next": {name: {"allowed": not why, "reasons": why} for name, why in next_steps(organisation, year).items()},
    }


# -- the status board -----------------------------------------------------------------------------

BELOW = {None: Province, Province: Lao, Lao: School}  # the rows of the board of each kind of node
PARENT = {Lao: Lao.province_id, School: School.lao_id}


@dataclass(frozen=True)
class _Standing:
    """What ``window_for`` reads of a confirmation, for a row read as plain columns."""

    academic_year: AcademicYear | ShownYear
    org_level: str
    exception_until: date | None


@dataclass(frozen=True)
class BoardRow:
    """One organisation on the status board: its own confirmation, its parts confirmed out of all
    (LAOs of a province, schools of an LAO; None for a school), a school's learners and data
    errors, and its entry window; late when its deadline (or granted exception) has passed and it
    has not confirmed."""

    level: str
    id: int
    code: str
    name: str
    state: str
    confirmed_on: object
    confirmed_by: str | None
    parts: int | None
    parts_confirmed: int | None
    learners: int | None
    errors: int | None
    window: Window
    late: bool


@dataclass(frozen=True)
class Board:
    """The board of one node: its own row (None for the whole country), one row per part one level
    down, late rows first, the way back up to the reader's own node as (level, organisation)
    ((None, None): the whole country), and the rows of the levels above the reader's node, whose
    confirmations the levels below are shown (DESIGN.md §4.7)."""

    year: AcademicYear
    organisation: object
    own: BoardRow | None
    rows: list
    path: list
    above: list

    @property
    def level(self):
        return level_of(self.organisation) if self.organisation is not None else None

    @property
    def part_level(self):
        model = BELOW.get(type(self.organisation) if self.organisation is not None else None)
        return LEVEL_OF[model] if model else None

    @property
    def confirmed(self):
        return sum(row.state == CONFIRMED for row in self.rows)

    @property
    def late(self):
        return sum(row.late for row in self.rows)


def board(year, organisation=None):
    """The status board of a province, LAO or school at or below the reader's own node, or of the
    whole country (``None``, central only); anything else is OutOfScope. None when no academic year
    is current. Counted in SQL, in a fixed number of queries whatever the size of the subtree: the
    national board reads 7,850 LAOs and 20,000 schools in one pass, with no query per row."""
    chain, node = _chain(organisation), current_node()
    if node.level == CENTRAL:
        ancestors, path = [], [(None, None), *chain]
    else:
        mine = next((i for i, (level, org) in enumerate(chain) if (level, org.id) == (node.level, node.id)), None)
        if mine is None:
            raise OutOfScope(_("You may only record data of your own organisation."))
        ancestors, path = chain[:mine], chain[mine:]
    if year is None:
        return None
    model = type(organisation) if organisation is not None else None
    own = _board_rows(year, model, model.id == organisation.id)[0] if model else None
    below = BELOW.get(model)
    rows = _board_rows(year, below, PARENT[below] == organisation.id if model else true()) if below else []
    rows.sort(key=lambda row: (not row.late, row.parts == 0, row.code))
    above = [_board_rows(year, type(org), type(org).id == org.id)[0] for _level, org in ancestors]
    return Board(year, organisation, own, rows, path, above)


def _board_rows(year, model, condition):
    level = LEVEL_OF[model]
    today = date.today()
    by = aliased(LecUser)
    query = (
        select(
            model.id, model.code, model.name_th, Confirmation.state, Confirmation.confirmed_on,
            Confirmation.exception_until, by.first_name, by.last_name,
        )
        .select_from(model)
        .outerjoin(Confirmation, and_(
            Confirmation.academic_year_id == year.id, getattr(Confirmation, level + "_id") == model.id
        ))
        .outerjoin(by, by.id == Confirmation.confirmed_by_id)
        .where(condition, readable(model))
    )  # fmt: skip
    part = BELOW.get(model)
    if part is not None:
        done = aliased(Confirmation)
        tally = (
            select(PARENT[part].label("parent_id"), func.count(part.id).label("all"), func.count(done.id).label("done"))
            .select_from(part)
            .outerjoin(done, and_(
                done.academic_year_id == year.id, getattr(done, LEVEL_OF[part] + "_id") == part.id,
                done.state == CONFIRMED,
            ))
            .where(PARENT[part].in_(select(model.id).where(condition)))
            .group_by(PARENT[part])
            .subquery()
        )  # fmt: skip
        query = query.add_columns(func.coalesce(tally.c["all"], 0), func.coalesce(tally.c.done, 0))
        query = query.outerjoin(tally, tally.c.parent_id == model.id)
    rows = db.session.execute(query).all()
    learners, errors = _school_figures(year, select(model.id).where(condition)) if model is School else ({}, {})
    board_rows = []
    for org_id, code, name, state, confirmed_on, until, first_name, last_name, *parts in rows:
        state = state or OPEN
        window = window_for(_Standing(year, level, until), today)
        confirmed = state == CONFIRMED
        board_rows.append(BoardRow(
            level, org_id, code, name, state, confirmed_on if confirmed else None,
            " ".join(filter(None, (first_name, last_name))) or None if confirmed else None,
            parts[0] if parts else None, parts[1] if parts else None,
            learners.get(org_id, 0) if model is School else None, errors.get(org_id, 0) if model is School else None,
            window, not confirmed and today > window.deadline,
        ))  # fmt: skip
    return board_rows


def _school_figures(year, schools):
    """{school id: learners in the count} and {school id: data errors found} for the schools (a
    SELECT of ids): two queries however many schools."""
    learners = dict(
        db.session.execute(
            select(Student.school_id, func.count(Student.id))
            .where(Student.academic_year_id == year.id, Student.status == choices.ACTIVE)
            .where(Student.school_id.in_(schools))
            .group_by(Student.school_id)
        ).all()
    )
    errors = {}
    for (rule, school_id), count in quality.findings_per_school(year, schools).items():
        if quality.CHECK[rule].severity == quality.ERROR:
            errors[school_id] = errors.get(school_id, 0) + count
    return learners, errors


def _chain(organisation):
    """(level, organisation) from the province down to this one."""
    chain = []
    while organisation is not None:
        chain.insert(0, (level_of(organisation), organisation))
        organisation = organisation.lao if isinstance(organisation, School) else getattr(organisation, "province", None)
    return chain


# -- the lock -------------------------------------------------------------------------------------


# The data a confirmation locks: each model, and the level of the organisation its rows belong to
# (a building belongs to the school of its profile).
LOCKED = {Student: "school", SchoolProfile: "school", OtherSchool: "lao", NoOtherSchools: "lao"}


def _placements(session, obj):
    """(academic year id, level, organisation id) of each confirmation a locked row had or gets in
    this change."""
    state = inspect(obj)
    if isinstance(obj, SchoolBuilding):
        profiles = {session.get(SchoolProfile, pid) for pid in state.attrs.profile_id.history.sum() if pid}
        return set().union(*(_placements(session, p) for p in profiles | {obj.profile} if p is not None))
    level = LOCKED[type(obj)]
    if state.persistent and not state.modified:  # a row as stored (a list page's): its own keys place it
        year_id, org_id = obj.academic_year_id, getattr(obj, level + "_id")
        return {(year_id, level, org_id)} if year_id is not None and org_id is not None else set()
    years = set(state.attrs.academic_year_id.history.sum()) | {_held_id(state, "academic_year")}
    orgs = set(state.attrs[level + "_id"].history.sum()) | {_held_id(state, level)}
    return {(y, level, o) for y in years - {None} for o in orgs - {None}}


def _held_id(state, relation):
    """The id of the row a relation of the object holds, as assigned (perhaps not flushed yet);
    None when it was never loaded, where the key column is what counts."""
    return None if relation in state.unloaded else getattr(getattr(state.obj(), relation), "id", None)


# The tree a confirmation counts: for a school and an LAO, the relation that places it and the
# columns that decide what it is counted as (a school's kind and levels choose its budget groups).
COUNTED = {School: ("lao", {"lao", "lao_id", "kind", "levels"}), Lao: ("province", {"province", "province_id"})}


def _tree_placements(session, obj, year_id):
    """(year id, level, organisation id) of each confirmation that counts this school, LAO or
    province as it is or was in this change: its own when it moves, is re-kinded or removed, its
    parent's (before and after) when it is added, moved or removed. Contact details change none."""
    state, deleted = inspect(obj), obj in session.deleted
    if isinstance(obj, Province):
        return {(year_id, "province", state.identity[0])} if deleted else set()
    relation, decisive = COUNTED[type(obj)]
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    added = state.transient or state.pending
    if not (added or deleted or changed & decisive):
        return set()
    own = set() if added else {(year_id, level_of(obj), state.identity[0])}
    if not (added or deleted or changed & {relation, relation + "_id"}):
        return own
    parents = parents_in_change(obj, relation) - {None}
    return own | {(year_id, relation, parent) for parent in parents}


def _confirmations(session, placements, share=True):
    """The confirmations of these placements, read FOR SHARE when ``share``: a concurrent
    confirmation (FOR UPDATE) waits for this transaction, or this one for it. An organisation with
    no confirmation row yet has not confirmed."""
    keys = {(year_id, org_key(level, org_id)) for year_id, level, org_id in placements}
    query = select(Confirmation).where(tuple_(Confirmation.academic_year_id, Confirmation.org_key).in_(list(keys)))
    query = query.with_for_update(read=True) if share else query.options(joinedload(Confirmation.academic_year))
    return session.scalars(query.execution_options(populate_existing=True)).all()


@dataclass(frozen=True)
class _Unmade:
    """What ``why_locked`` reads of a confirmation not made yet (an organisation added after its
    year opened): open, with its level's window."""

    academic_year: AcademicYear
    org_level: str
    organisation: object
    state: str = OPEN
    exception_until: date | None = None


def why_locked(confirmation):
    """Why the rows a confirmation covers may not be changed now: it is confirmed, or its entry
    window is closed. None when they may be."""
    name = confirmation.organisation.name_th
    if confirmation.state == CONFIRMED:
        return _("%(name)s has confirmed its data; it is locked.", name=name)
    window = window_for(confirmation)
    if not window.open:
        return _("Entry is closed for %(name)s (deadline %(date)s).", name=name, date=format_be_date(window.deadline))
    return None


def _reasons(session, placements, share=False, rows=None):
    """{placement: why its rows may not be changed now} for the placements that are locked, judged
    from their confirmations (read here unless given as ``rows``)."""
    if rows is None:
        rows = _confirmations(session, placements, share) if placements else []
    found = {(row.academic_year_id, row.org_key): row for row in rows}
    reasons = {}
    for year_id, level, org_id in placements:
        confirmation = found.get((year_id, org_key(level, org_id)))
        if confirmation is None:
            organisation = session.get(ORGANISATIONS[level], org_id)
            confirmation = _Unmade(session.get(AcademicYear, year_id), level, organisation)
        reason = why_locked(confirmation)
        if reason:
            reasons[(year_id, level, org_id)] = reason
    return reasons


def _lockable(obj):
    return type(obj) in LOCKED or isinstance(obj, SchoolBuilding)


def lock_reasons(items, session=None, share=False):
    """For each row, why the acting user may not change it now, or None when they may: a row of
    data a confirmation locks (learners, profiles, buildings, other-affiliation rows) whose
    organisation has confirmed, or whose entry window is closed. The flush guard
    (``refuse_locked_writes``) asks this very question of every row it writes, so a screen that
    offers or withholds a change cannot disagree with it. Reads in a fixed number of queries;
    ``share`` (the flush guard) holds the confirmations read FOR SHARE, made first where missing."""
    return _judge(items, session or db.session, share)[0]


def lock_reason(item):
    """Why the acting user may not change this row now; None when they may (see lock_reasons)."""
    return lock_reasons([item])[0]


def _owner_level(model):
    return "school" if model is SchoolBuilding else LOCKED.get(model)


def adding_refused(model):
    """Why the acting user may not add a row of this model to their own organisation now: their
    own school (or LAO) has confirmed, or its entry window is closed. None for a model no
    confirmation locks, and for a user above the level that owns its rows (central adds learners
    to any open school)."""
    return _judge([], db.session, False, model)[1]


def page_locks(items, model):
    """``lock_reasons(items)`` and ``adding_refused(model)`` at once, in one query: what a list
    page shows of the lock."""
    return _judge(items, db.session, False, model)


def _judge(items, session, share, model=None):
    level, node = _owner_level(model), current_node() if model is not None else None
    own = org_key(level, node.id) if level and node.level == level else None
    with session.no_autoflush:
        placements = [_placements(session, item) if _lockable(item) else set() for item in items]
        touched = set().union(*placements)
        rows = []
        if touched or own:
            keys = {(year_id, org_key(lvl, org_id)) for year_id, lvl, org_id in touched}
            current = select(AcademicYear.id).where(AcademicYear.is_current).scalar_subquery()
            query = select(Confirmation).where(or_(
                tuple_(Confirmation.academic_year_id, Confirmation.org_key).in_(list(keys)) if keys else false(),
                and_(Confirmation.org_key == own, Confirmation.academic_year_id == current) if own else false(),
            ))  # fmt: skip
            query = query.with_for_update(read=True) if share else query.options(joinedload(Confirmation.academic_year))
            query = query.execution_options(populate_existing=True)
            rows = session.scalars(query).all()
            found = {(row.academic_year_id, row.org_key) for row in rows}
            missing = sorted(p for p in touched if (p[0], org_key(p[1], p[2])) not in found)
            if share and missing:  # a confirmation not made yet (added after the year opened): make it, to hold it
                _insert_missing(session, missing)
                rows = session.scalars(query).all()
        reasons = _reasons(session, touched, rows=rows)
    adding = None
    if own:
        mine = next((row for row in rows if row.org_key == own and row.academic_year.is_current), None)
        year = mine.academic_year if mine else current_year()
        placement = (year.id, level, node.id) if year is not None else None
        adding = _reasons(session, {placement}, rows=[mine] if mine else []).get(placement) if placement else None
    return [next((reasons[p] for p in sorted(its) if p in reasons), None) for its in placements], adding


def refuse_locked_writes(session, flush_context, instances):
    """No learner or profile of a confirmed school, and no other-affiliation row of a confirmed LAO,
    nor of one whose entry window is closed, is added, changed or removed, whatever the entry
    point (each row as ``lock_reasons`` judges it). Nor is the tree those confirmations count: no
    confirmed school is moved, removed, re-kinded or given other levels, and nothing is added to,
    moved into or out of, or removed from a confirmed LAO or province (this year's: earlier years
    are held by their snapshots)."""
    changed = list(session.new) + [o for o in session.dirty if session.is_modified(o)] + list(session.deleted)
    locked = [obj for obj in changed if _lockable(obj)]
    tree = [obj for obj in changed if type(obj) in COUNTED or isinstance(obj, Province)]
    if not (locked or tree):
        return
    with session.no_autoflush:
        year_id = session.scalar(select(AcademicYear.id).where(AcademicYear.is_current)) if tree else None
        counted = set().union(*(_tree_placements(session, obj, year_id) for obj in tree)) if year_id else set()
        rows = _confirmations(session, counted) if counted else []
    for confirmation in rows:
        if confirmation.state == CONFIRMED:
            raise Locked(_("%(name)s has confirmed its data: the schools and LAOs it counts cannot be added, moved, "
                           "removed or change kind or levels until it is returned.",
                           name=confirmation.organisation.name_th))  # fmt: skip
    reason = next(filter(None, lock_reasons(locked, session, share=True)), None)
    if reason:
        raise Locked(reason)
