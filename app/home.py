"""The home page's "งานของฉัน" (issue 17, point 1): what the signed-in user's own node has to do
this year, gathered from the rules that decide it, never restated.

``my_work`` returns one small block per question the page answers: the node's own state and entry
window (``workflow.board``'s own row, the same facts the status API gives), the step that returned
it, its learners by class level and sex, the data-quality findings that block a school's
confirmation, whether its own confirmation may be given now (``workflow.next_steps``, which runs
the real step's own checks) and the organisations one level down (``workflow.board``'s rows, late
ones first). Each block is read in a fixed number of queries, whatever the size of the subtree. It writes
nothing (each step is tried as a trial that stops before it locks or writes) and answers no HTTP."""

from dataclasses import dataclass

from sqlalchemy import func, select

from . import choices, quality, workflow
from . import permissions as P
from .extensions import db
from .levels import CENTRAL, LAO, ORGANISATIONS, PROVINCE, SCHOOL, key_of, level_of
from .models import Confirmation, LecUser, Student, Transition
from .scope import current_node, own_organisation, readable

# The list action that confirms a node of each level, and the one that returns one (the permission
# FAB checks is the action's name on the organisation list's view: app/roles.py grants them).
CONFIRM = {SCHOOL: (P.SCHOOL_VIEW, "confirm_school"), LAO: (P.LAO_VIEW, "confirm_lao"),
           PROVINCE: (P.PROVINCE_VIEW, "confirm_province")}  # fmt: skip
RETURN = {SCHOOL: (P.SCHOOL_VIEW, "return_school"), LAO: (P.LAO_VIEW, "return_lao"),
          PROVINCE: (P.PROVINCE_VIEW, "return_province")}  # fmt: skip
GIVE_REASON = (P.WORKFLOW_VIEW, "can_give_reason")
REMIND = (P.NOTIFICATION_VIEW, "can_remind")


@dataclass(frozen=True)
class Returned:
    """The step that last returned the node, when that is its last step: why, by whom, when."""

    reason: str
    by: str | None
    on: object


@dataclass(frozen=True)
class LevelCount:
    """Active learners of one class level: boys, girls, all."""

    level: str
    label: str
    male: int
    female: int

    @property
    def total(self):
        return self.male + self.female


@dataclass(frozen=True)
class Blocker:
    """One data-quality check that holds the school's confirmation: an error (to correct) or a
    warning without an explanation, and how many learners (or the school itself) it finds."""

    code: str
    message: str
    severity: str
    count: int


@dataclass(frozen=True)
class Step:
    """The node's own confirmation: ``view`` and ``action`` name the organisation list's action
    that takes it (the page posts there, so FAB's permission check and workflow.py decide, as on the
    list); ``reasons`` are what stands in the way, empty when it may be taken now."""

    view: str
    action: str
    reasons: list

    @property
    def allowed(self):
        return not self.reasons


@dataclass(frozen=True)
class Below:
    """The organisations one level down (workflow.board's rows, late first), which of them the
    user may return with a reason from here, and which remind to confirm."""

    level: str
    rows: list
    returnable: frozenset
    remindable: frozenset

    @property
    def acts(self):
        return bool(self.returnable or self.remindable)

    @property
    def confirmed(self):
        return sum(row.state == workflow.CONFIRMED for row in self.rows)

    @property
    def late(self):
        return sum(row.late for row in self.rows)


@dataclass(frozen=True)
class MyWork:
    year: object
    level: str  # the user's node: central, province, lao or school
    organisation: object  # None for the whole country
    own: object  # workflow.BoardRow of the node; None for the whole country
    returned: Returned | None
    learners: list  # LevelCount per class level that has learners
    blockers: list  # Blocker, for a school
    step: Step | None  # None when the user takes no confirmation step (central, a manager)
    below: Below | None

    @property
    def learner_total(self):
        return sum(row.total for row in self.learners)


def my_work(holds):
    """The signed-in user's home blocks for the current year, or None when no year is current or
    the user belongs to no node. ``holds(permission, view)`` answers whether the user's role holds
    a permission (the page passes FAB's ``has_access``): the workflow decides by the user's level,
    the role by what the account may do at all, and a button shows only when both allow it, so a
    manager sitting at an LAO sees no confirm or return button where the LAO's own officer would."""
    year = workflow.current_year()
    node = current_node()
    if year is None or node.level not in (CENTRAL, *ORGANISATIONS):
        return None
    organisation = own_organisation()
    board = workflow.board(year, organisation)
    step = _own_step(organisation, year, board.own, holds) if organisation is not None else None
    below = None
    if board.part_level:
        below = Below(board.part_level, board.rows, _returnable(board, holds), _remindable(board, holds))
    return MyWork(
        year, node.level, organisation, board.own,
        _returned(organisation, year) if organisation is not None else None,
        learners_by_level(year),
        blockers(organisation, year) if node.level == SCHOOL else [],
        step, below,
    )  # fmt: skip


def _own_step(organisation, year, own, holds):
    """The node's confirmation, tried for real by ``workflow.next_steps``; None when the user's
    role does not confirm, or when the node has confirmed already (the state says so)."""
    view, action = CONFIRM[level_of(organisation)]
    if not holds(action, view) or own.state == workflow.CONFIRMED:
        return None
    return Step(view, action, workflow.next_steps(organisation, year)["confirm"])


def _returnable(board, holds):
    """The rows below that the user may return with a reason. Trying ``workflow.next_steps`` on
    every row would run each step once per row (a query storm on a province's hundreds of LAOs),
    so this reads what the return step checks from what is already here: the row has confirmed,
    the user's own node has not (a province cannot return an LAO once it has confirmed itself;
    the whole country has no confirmation of its own), and the user's role holds the return action
    and its reason form. The user's node is the rows' parent, the level the step asks for, and
    the rows are in its subtree. The step itself decides again when the form is sent."""
    view, action = RETURN[board.part_level]
    if not (holds(action, view) and holds(GIVE_REASON[1], GIVE_REASON[0])):
        return frozenset()
    if board.own is not None and board.own.state == workflow.CONFIRMED:
        return frozenset()
    return frozenset(row.id for row in board.rows if row.state == workflow.CONFIRMED)


def _remindable(board, holds):
    """The rows below the user may remind to confirm (notifications.remind decides again when the
    button is pressed, including once a day): those not confirmed yet, when the role reminds."""
    if not holds(REMIND[1], REMIND[0]):
        return frozenset()
    return frozenset(row.id for row in board.rows if row.state != workflow.CONFIRMED)


def _returned(organisation, year):
    """The node's last step when it was a return: one query."""
    by = LecUser
    row = db.session.execute(
        select(Transition.action, Transition.reason, Transition.occurred_on, by.first_name, by.last_name)
        .join(Confirmation, Confirmation.id == Transition.confirmation_id)
        .outerjoin(by, by.id == Transition.actor_id)
        .where(Confirmation.academic_year_id == year.id, Confirmation.org_key == key_of(organisation))
        .order_by(Transition.id.desc())
        .limit(1)
    ).first()
    if row is None or row.action != "return":
        return None
    return Returned(row.reason, " ".join(filter(None, (row.first_name, row.last_name))) or None, row.occurred_on)


def learners_by_level(year):
    """Active learners of the year in the user's own subtree (the whole country for central) by
    class level and sex, in the order of the class levels: one query."""
    query = (
        select(Student.class_level, Student.sex, func.count(Student.id))
        .where(Student.academic_year_id == year.id, Student.status == choices.ACTIVE, readable(Student))
        .group_by(Student.class_level, Student.sex)
    )
    counts = {}
    for level, sex, count in db.session.execute(query):
        counts.setdefault(level, {})[sex] = count
    labels = dict(choices.CLASS_LEVELS)
    order = [code for code, _label in choices.CLASS_LEVELS] + sorted(set(counts) - set(labels), key=str)
    return [
        LevelCount(level, str(labels.get(level, level or "")), counts[level].get("M", 0), counts[level].get("F", 0))
        for level in order if level in counts
    ]  # fmt: skip


def blockers(school, year):
    """The checks that stop the school confirming, as ``quality.school_problems`` judges them
    (errors, then warnings with no explanation), with their counts."""
    errors, unexplained = quality.blocking_findings(school, year)
    return [
        Blocker(rule, str(quality.CHECK[rule].message), quality.CHECK[rule].severity, len(subjects))
        for kind in (errors, unexplained)
        for rule, subjects in kind.items()
    ]
