"""Row scoping: which organisations a user may read and which they may write.

One definition for every entry point. A user belongs to one node of the tree
(central → province → LAO → school/centre). They may read their own subtree and the ancestors of
their node (so the names of their LAO and province show), and write only inside their subtree.
Conditions are SQL expressions over subqueries: nothing is loaded into Python to decide scope.

- reads: ``readable`` is applied by ``app.pages.base.LecInterface`` to every query Flask-AppBuilder
  builds (lists, counts, search, show/edit/delete/actions by id, master-detail, dropdowns, REST
  ``_info``), so out-of-scope rows simply do not exist for the user (404)
- adds and edits from any entry point (screens, API, importer, CLI): ``refuse_out_of_scope_writes``
  checks, at flush time, that each row (before and after the change) lies in the writable subtree.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import false, inspect, literal, or_, select, true
from sqlalchemy.sql.elements import True_

from .context import current_user_id
from .errors import OutOfScope
from .extensions import db
from .levels import CENTRAL, LAO, ORGANISATIONS, PROVINCE, SCHOOL
from .models import (
    BudgetRate,
    Credential,
    ImportUpload,
    Lao,
    LecUser,
    NoOtherSchools,
    OtherSchool,
    Province,
    QualityExplanation,
    School,
    SchoolBuilding,
    SchoolProfile,
    SpotCheck,
    SpotCheckItem,
    Student,
    TransferRequest,
)


@dataclass(frozen=True)
class Node:
    level: str
    id: int | None = None


SYSTEM = Node(CENTRAL)  # command-line work with no user named: the operator's own machine
NOBODY = Node("none")


def node_of(user):
    """The organisation node a user belongs to, or None when the account has none."""
    level = getattr(user, "org_level", None)
    if level == CENTRAL:
        return Node(CENTRAL)
    org_id = {PROVINCE: user.province_id, LAO: user.lao_id, SCHOOL: user.school_id}.get(level)
    return Node(level, org_id) if org_id else None


def current_node():
    """The node of whoever is acting, computed once per request (and again if the user changes,
    as when an API token is verified after the request started)."""
    if has_request_context():
        user = getattr(g, "user", None)
        if hasattr(user, "_get_current_object"):  # FAB stores flask_login's proxy in g.user
            user = user._get_current_object()
        cached = g.get("lec_node")
        if cached is None or cached[0] is not user:
            authenticated = user is not None and getattr(user, "is_authenticated", False)
            g.lec_node = (user, (node_of(user) if authenticated else None) or NOBODY)
        if g.lec_node[1] is NOBODY and current_user_id() is not None:
            return _node_of_account(current_user_id())  # acting_as inside a request: activation
        return g.lec_node[1]
    user_id = current_user_id()
    return SYSTEM if user_id is None else _node_of_account(user_id)


def _node_of_account(user_id):
    from flask import current_app

    return node_of(current_app.appbuilder.sm.get_user_by_id(user_id)) or NOBODY


def province_ids(node):
    if node.level == PROVINCE:
        return select(literal(node.id))
    if node.level == LAO:
        return select(Lao.province_id).where(Lao.id == node.id)
    return select(Lao.province_id).join(School, School.lao_id == Lao.id).where(School.id == node.id)


def lao_ids(node):
    if node.level == PROVINCE:
        return select(Lao.id).where(Lao.province_id == node.id)
    if node.level == LAO:
        return select(literal(node.id))
    return select(School.lao_id).where(School.id == node.id)


def school_ids(node):
    if node.level == PROVINCE:
        return select(School.id).join(Lao, School.lao_id == Lao.id).where(Lao.province_id == node.id)
    if node.level == LAO:
        return select(School.id).where(School.lao_id == node.id)
    return select(literal(node.id))


def profile_ids(node):
    return select(SchoolProfile.id).where(SchoolProfile.school_id.in_(school_ids(node)))


# Where each scoped model sits in the tree: the column that places a row, and the ids it may take.
PLACEMENT = {
    Province: (Province.id, province_ids),
    Lao: (Lao.id, lao_ids),
    School: (School.id, school_ids),
    Student: (Student.school_id, school_ids),
    QualityExplanation: (QualityExplanation.school_id, school_ids),
    ImportUpload: (ImportUpload.school_id, school_ids),
    SpotCheckItem: (SpotCheckItem.school_id, school_ids),
    OtherSchool: (OtherSchool.lao_id, lao_ids),
    NoOtherSchools: (NoOtherSchools.lao_id, lao_ids),
    SchoolProfile: (SchoolProfile.school_id, school_ids),
    SchoolBuilding: (SchoolBuilding.profile_id, profile_ids),
}


@dataclass(frozen=True)
class WriteRule:
    own: object  # ids the row itself must be among to be changed (None: judged by its parent)
    parent: str | None  # the relationship that places a new row under its parent
    parent_ids: object
    edit: frozenset  # levels that may change such rows inside their subtree
    create: frozenset  # levels that may create them (and move them to another parent)


WRITE_RULES = {
    Province: WriteRule(province_ids, None, None, frozenset({PROVINCE}), frozenset()),
    Lao: WriteRule(lao_ids, "province", province_ids, frozenset({PROVINCE, LAO}), frozenset({PROVINCE})),
    School: WriteRule(school_ids, "lao", lao_ids, frozenset({PROVINCE, LAO, SCHOOL}), frozenset({PROVINCE, LAO})),
    # Learner rows are written by whoever imports, enters or restores them in their subtree (a province
    # imports too); who may remove, restore or roll over is the role table's (app/learners.py).
    Student: WriteRule(
        None, "school", school_ids, frozenset({PROVINCE, LAO, SCHOOL}), frozenset({PROVINCE, LAO, SCHOOL})
    ),
    QualityExplanation: WriteRule(None, "school", school_ids, frozenset({SCHOOL}), frozenset({SCHOOL})),
    ImportUpload: WriteRule(
        None, "school", school_ids, frozenset({PROVINCE, LAO, SCHOOL}), frozenset({PROVINCE, LAO, SCHOOL})
    ),
    # Spot checks are the province's own work (app/spotcheck.py): LAOs and schools only read them.
    SpotCheck: WriteRule(None, "province", province_ids, frozenset({PROVINCE}), frozenset({PROVINCE})),
    SpotCheckItem: WriteRule(None, "school", school_ids, frozenset({PROVINCE}), frozenset({PROVINCE})),
    # Budget rates are central's alone (app/reports.py): no other level writes one.
    BudgetRate: WriteRule(None, None, None, frozenset(), frozenset()),
    # Other-affiliation counts are the LAO's own record; a school's profile is the school's.
    OtherSchool: WriteRule(None, "lao", lao_ids, frozenset({LAO}), frozenset({LAO})),
    NoOtherSchools: WriteRule(None, "lao", lao_ids, frozenset({LAO}), frozenset({LAO})),
    SchoolProfile: WriteRule(None, "school", school_ids, frozenset({SCHOOL}), frozenset({SCHOOL})),
    SchoolBuilding: WriteRule(None, "profile", profile_ids, frozenset({SCHOOL}), frozenset({SCHOOL})),
}


# A user account sits at its own node: which column holds it, the ids it may take, and the
# levels that may manage accounts there (an LAO officer manages its own LAO's and schools' accounts).
USER_PLACEMENT = {
    PROVINCE: ("province_id", province_ids, frozenset({PROVINCE})),
    LAO: ("lao_id", lao_ids, frozenset({PROVINCE, LAO})),
    SCHOOL: ("school_id", school_ids, frozenset({PROVINCE, LAO})),
}
PLACEMENT_FIELDS = {"org_level", "province_id", "lao_id", "school_id", "province", "lao", "school", "roles"}
ACCOUNT_FIELDS = PLACEMENT_FIELDS | {"active"}


def accounts_in_subtree(node):
    """SQL condition: the user accounts whose node lies in this node's subtree (the node itself
    included), never those of its ancestors."""
    conditions = [
        getattr(LecUser, column).in_(ids(node))
        for column, ids, managers in USER_PLACEMENT.values()
        if node.level in managers or node.level == column[:-3]
    ]
    return or_(*conditions) if conditions else false()


def accounts_of(node):
    return select(LecUser.id).where(accounts_in_subtree(node))


def spot_checks_of(node):
    """SQL condition: the spot checks a node may read. A province those it drew; an LAO those of
    itself and of its schools; a school those aimed at it or that sampled any of its learners."""
    if node.level == PROVINCE:
        return SpotCheck.province_id == node.id
    if node.level == LAO:
        return or_(SpotCheck.lao_id == node.id, SpotCheck.school_id.in_(school_ids(node)))
    sampled = select(SpotCheckItem.spot_check_id).where(SpotCheckItem.school_id == node.id)
    return or_(SpotCheck.school_id == node.id, SpotCheck.id.in_(sampled))


def transfers_of(node):
    """SQL condition: the transfer requests a node may read: those of the schools in its subtree,
    as the old school or as the new one (app/transfers.py)."""
    ids = school_ids(node)
    return or_(TransferRequest.from_school_id.in_(ids), TransferRequest.to_school_id.in_(ids))


# Rows a domain step writes outside the acting user's subtree because the rules say so: the one
# case is a transfer's new row at the receiving school, written when the old school accepts.
_admitted = ContextVar("lec_admitted_rows", default=())


@contextmanager
def admitting(*rows):
    """Let these rows, and only these, be written outside the acting user's subtree inside the
    block; every other guard (validation, lock, history) still judges them."""
    token = _admitted.set(tuple(_admitted.get()) + rows)
    try:
        yield
    finally:
        _admitted.reset(token)


RANK = {CENTRAL: 0, PROVINCE: 1, LAO: 2, SCHOOL: 3}
LARGEST_ID = 2**31 - 1  # an integer column's range on every backend


def organisation_in_subtree(level, org_id, node=None):
    """The organisation a page names (``level`` and id), when it is the reader's own node or lies
    below it; anything else is OutOfScope, ancestors and siblings included. The one rule for every
    page that takes an organisation: a user reads the names of the organisations above it in
    lists, but a page of its LAO or province would count (and name) other schools' learners."""
    node = node or current_node()
    model = ORGANISATIONS.get(level)
    if model is None or not 0 < org_id <= LARGEST_ID or RANK[level] < RANK.get(node.level, len(RANK)):
        raise _out_of_scope()
    organisation = db.session.scalar(select(model).where(model.id == org_id, readable(model, node)))
    if organisation is None:
        raise _out_of_scope()
    return organisation


def placed_in_subtree(model, node=None):
    """SQL condition: the rows of a model placed as a Confirmation is (one of province_id, lao_id,
    school_id set) whose organisation is the node or lies below it; never an ancestor's."""
    node = node or current_node()
    if node.level == CENTRAL:
        return true()
    if node.level not in ORGANISATIONS:
        return false()
    ids = {PROVINCE: province_ids, LAO: lao_ids, SCHOOL: school_ids}
    below = [level for level in ids if RANK[level] >= RANK[node.level]]
    return or_(*(getattr(model, level + "_id").in_(ids[level](node)) for level in below))


def own_organisation():
    """The reader's own organisation row; None for central and managers, who read the whole country."""
    node = current_node()
    return organisation_in_subtree(node.level, node.id) if node.level in ORGANISATIONS else None


def readable(model, node=None):
    """SQL condition: the rows of ``model`` this node may read (true() when unrestricted)."""
    node = node or current_node()
    special = (LecUser, Credential, SpotCheck, TransferRequest)
    if node.level == CENTRAL or (model not in PLACEMENT and model not in special):
        return true()
    if node is NOBODY:
        return false()
    if model is SpotCheck:
        return spot_checks_of(node)
    if model is TransferRequest:
        return transfers_of(node)
    if model is LecUser:
        return accounts_in_subtree(node)
    if model is Credential:
        return Credential.user_id.in_(accounts_of(node))
    column, ids = PLACEMENT[model]
    return column.in_(ids(node))


def readable_row(model, key):
    """The row of ``model`` with this key among those the acting user may read, or None. For a user
    who reads every row it is the session's own, with no query when the session holds it."""
    rows = readable(model)
    if isinstance(rows, True_):
        return db.session.get(model, key)
    return db.session.scalar(select(model).where(inspect(model).primary_key[0] == key, rows))


def find_organisation(code):
    """The province, LAO or school with this code that the acting user may read."""
    for model in (Province, Lao, School):
        found = db.session.scalar(select(model).where(model.code == code, readable(model)))
        if found is not None:
            return found
    return None


def _parent_column(model, relation):
    return inspect(model).relationships[relation].local_remote_pairs[0][0].key


def parents_in_change(obj, relation):
    """Every parent id the row has had in this change: stored, assigned by id or by object."""
    state = inspect(obj)
    ids = set(state.attrs[_parent_column(type(obj), relation)].history.sum())
    for parent in state.attrs[relation].history.sum():
        if parent is not None:
            ids.add(inspect(parent).identity[0] if inspect(parent).identity else None)
    if len(ids) > 1:
        ids.discard(None)  # a new row given its parent as an object has no id value yet
    return ids or {None}


def _account_placements(user, node):
    """Managing an account (creating it, moving it, changing its roles, disabling it) needs the
    account's node, before and after, inside the manager's subtree. Signing in, changing one's own
    password or name changes none of these and is not checked here."""
    state = inspect(user)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    if not (state.transient or state.pending or state.deleted) and not changed & ACCOUNT_FIELDS:
        return []
    if state.identity and state.identity[0] == current_user_id() and not changed & PLACEMENT_FIELDS:
        return []  # an account activating itself with its own code
    levels = set(state.attrs["org_level"].history.sum()) or {None}
    needed = []
    for level in levels:
        if level not in USER_PLACEMENT or node.level not in USER_PLACEMENT[level][2]:
            raise _out_of_scope()
        column, ids, _managers = USER_PLACEMENT[level]
        needed.append((ids, parents_in_change(user, column[:-3])))
    return needed


def _out_of_scope():
    return OutOfScope(_("You may only record data of your own organisation."))


def refuse_out_of_scope_writes(session, flush_context, instances):
    """A row may be written only inside the user's subtree: where it was and where it goes, so an
    edit cannot move a learner into, or out of, someone else's school."""
    node = current_node()
    if node.level == CENTRAL:
        return
    needed = []  # (ids function, ids that must be within it)
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    admitted = {id(row) for row in _admitted.get()}
    for obj in list(session.new) + changed + list(session.deleted):
        if id(obj) in admitted:
            continue
        if isinstance(obj, LecUser):
            needed.extend(_account_placements(obj, node))
            continue
        if isinstance(obj, Credential):
            if obj.user is not None and inspect(obj.user).persistent:
                needed.append((accounts_of, {obj.user.id}))
            continue
        rule = WRITE_RULES.get(type(obj))
        if rule is None:
            continue
        state = inspect(obj)
        if node is NOBODY or node.level not in (rule.create if state.transient or state.pending else rule.edit):
            raise _out_of_scope()
        if rule.own is not None and state.identity:
            needed.append((rule.own, {state.identity[0]}))
        if rule.parent is None:
            continue
        column = _parent_column(type(obj), rule.parent)
        moved = state.transient or state.pending or rule.own is None
        moved = moved or state.attrs[rule.parent].history.has_changes() or state.attrs[column].history.has_changes()
        if moved:
            if rule.own is not None and node.level not in rule.create:
                raise _out_of_scope()
            needed.append((rule.parent_ids, parents_in_change(obj, rule.parent)))
    wanted = {}  # one query per kind of id, however many rows the flush holds
    for ids_of, ids in needed:
        wanted.setdefault(ids_of, set()).update(ids)
    for ids_of, ids in wanted.items():
        if None in ids:
            raise _out_of_scope()
        allowed = ids_of(node).subquery()
        column = allowed.c[0]
        if len(set(session.scalars(select(column).where(column.in_(ids))))) != len(ids):
            raise _out_of_scope()
