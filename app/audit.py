"""Who created and who last changed each row, stamped where rows are flushed; the append-only
change history of learners and organisation data; audit events (sign-ins, accounts).

Stamping and history in session events (not in views) means every entry point — screens, REST
API, importer, command line — is covered without remembering to do it."""

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    insert,
    inspect,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import aliased, joinedload, relationship

from . import choices, labels, models
from .context import current_address, current_reason, current_user_id, now
from .errors import AppendOnly, HistoryIsAppendOnly
from .extensions import db
from .models import CODED_COLUMNS, AuditEvent, AuditMixin, Lao, LecUser, School, SchoolProfile
from .scope import readable
from .thai import format_be_date, format_be_datetime


def stamp_authors(session, flush_context, instances):
    user_id = current_user_id()
    for obj in session.new:
        if isinstance(obj, AuditMixin):
            obj.created_by_id = obj.changed_by_id = user_id
    for obj in session.dirty:
        if isinstance(obj, AuditMixin) and session.is_modified(obj, include_collections=False):
            obj.changed_by_id = user_id


def record_event(action, target="", detail="", actor_id=None):
    """Write an AuditEvent in the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            occurred_on=now(),
            actor_id=actor_id if actor_id is not None else current_user_id(),
            action=action,
            target=str(target)[:200],
            detail=str(detail)[:1000],
            ip=current_address(),
        )
    )


# -- the change history -----------------------------------------------------------------------------
#
# Every insert, update and delete of a tracked model becomes one ``HistoryEntry`` holding only the
# fields that changed, {field: [old, new]} (no entry when nothing really changed):
#
# - before_flush: refuse any change to the history itself and the other APPEND_ONLY tables; read the
#   stored values of rows about to be deleted, and the old values of fields that were set without
#   being loaded first, while the database still holds them
# - after_flush: the attribute history is still there, inserted rows have their ids, and every
#   before_flush listener (normalising, stamping, workflow) has run, so the values are those stored.
#   All entries of one flush go to the database in one executemany INSERT.
#
# What a flush carries from one event to the other lives in ``session.info`` (one session per
# request or thread), never in module globals; the reason is the context's (app/context.py).

BOOKKEEPING = frozenset({"created_on", "created_by_id", "changed_on", "changed_by_id"})
SECRETS = {"credential": frozenset({"code_hash"})}  # never written to the history, not even hashed
MASK = "***"
_PENDING = "lec_history_pending"


# The tables whose rows are only ever added: the change history, and the figures a province
# confirmed (app/snapshots.py). The ORM refuses to change or delete their rows, one by one or in bulk.
APPEND_ONLY = {
    "history": (HistoryIsAppendOnly, _l("The change history cannot be changed or deleted.")),
    **{
        table: (AppendOnly, _l("Figures a province has confirmed cannot be changed or deleted."))
        for table in ("snapshot", "snapshot_count", "snapshot_other_count")
    },
}


def _refuse_change(table):
    refusal, message = APPEND_ONLY[table]
    return refusal(str(message))


def _append_only(obj):
    return getattr(obj, "__tablename__", None) in APPEND_ONLY


class HistoryEntry(Model):
    """The append-only change history: one row per insert, update or delete of tracked data,
    holding only the fields that changed (old and new). Written at flush time (below);
    no screen or API may change or delete it."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_record", "table_name", "row_id"),)
    id = Column(Integer, primary_key=True)
    occurred_on = Column(DateTime, nullable=False, index=True)
    actor_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    actor = relationship(User, foreign_keys=[actor_id])
    table_name = Column(String(40), nullable=False)
    row_id = Column(Integer, nullable=False)
    action = Column(String(10), nullable=False)  # insert, update, delete
    changes = Column(Text, nullable=False)  # JSON: {field: [old, new]}
    reason = Column(String(1000))
    province_id = Column(Integer, index=True)  # where the row sat, for searching by organisation
    lao_id = Column(Integer, index=True)
    school_id = Column(Integer, index=True)

    def record(self):
        """Which record the entry is about, named for a reader."""
        return history_record(self)

    def summary(self):
        return history_summary(self)


@dataclass(frozen=True, eq=False)
class Tracked:
    model: type
    table: str
    columns: dict  # attribute key → Column, in table order: what is recorded (no id, no bookkeeping)
    secrets: frozenset
    parents: dict  # many-to-one relationship key → the keys of its foreign-key columns


@functools.cache
def _registry():
    """(HistoryEntry, {model: Tracked}), once the mappers are configured."""
    tracked = {}
    for model in (
        models.Province, models.Lao, models.School, models.AcademicYear, models.Student,
        models.Confirmation, models.Credential, models.QualityExplanation, models.SpotCheck, models.SpotCheckItem,
        models.OtherSchool, models.NoOtherSchools, models.SchoolProfile, models.SchoolBuilding,
        models.TransferRequest,
        models.ExceptionRequest,
    ):  # fmt: skip
        columns = {
            prop.key: prop.columns[0]
            for prop in inspect(model).column_attrs
            if prop.key not in BOOKKEEPING and not prop.columns[0].primary_key
        }
        mapper = inspect(model)
        parents = {
            relation.key: tuple(mapper.get_property_by_column(column).key for column in relation.local_columns)
            for relation in mapper.relationships
            if relation.direction.name == "MANYTOONE"
        }
        secrets = SECRETS.get(model.__tablename__, frozenset())
        tracked[model] = Tracked(model, model.__tablename__, columns, secrets, parents)
    return HistoryEntry, tracked


def tracked_models():
    return tuple(_registry()[1])


def _row_id(state):
    """The row's id; an inserted row has it in its attributes before it gets its identity key."""
    if state.key is not None:
        return state.key[1][0]
    mapper = state.mapper
    return state.dict.get(mapper.get_property_by_column(mapper.primary_key[0]).key)


def _same(old, new):
    """Equal values; an empty text and no value are the same to a reader (forms send "")."""
    return old == new or (old in (None, "") and new in (None, ""))


def _set_unloaded(history):
    """A value was set without its old one being loaded first."""
    return bool(history.added) and not history.deleted


def prepare_history(session, flush_context, instances):
    """Refuse changes to the append-only tables; read what only the database still knows before it
    changes."""
    tracked = _registry()[1]
    pending = {"deleted": [], "unloaded": {}}
    session.info[_PENDING] = pending  # replaces whatever a failed flush left behind
    for obj in session.deleted:
        if _append_only(obj):
            raise _refuse_change(obj.__tablename__)
        spec = tracked.get(type(obj))
        if spec is not None:
            state = inspect(obj)
            if any(key in state.unloaded for key in spec.columns):
                getattr(obj, next(key for key in spec.columns if key in state.unloaded))  # loads the expired
            pending["deleted"].append((obj, spec, {key: state.dict.get(key) for key in spec.columns}))
    unloaded = {}  # model → {row id: keys set without their old value loaded}
    for obj in session.dirty:
        if _append_only(obj):
            if session.is_modified(obj):
                raise _refuse_change(obj.__tablename__)
            continue
        spec = tracked.get(type(obj))
        state = inspect(obj)
        if spec is None or state.key is None:
            continue
        keys = {key for key in spec.columns if _set_unloaded(state.attrs[key].history)}
        for relation, columns in spec.parents.items():  # the flush will set these from the parent
            if state.attrs[relation].history.has_changes():
                keys.update(key for key in columns if key in state.unloaded)
        if keys:
            unloaded.setdefault(spec, {})[_row_id(state)] = keys
    for spec, rows in unloaded.items():
        keys = sorted(set().union(*rows.values()))
        pk = inspect(spec.model).primary_key[0]
        query = select(pk, *(spec.columns[key] for key in keys))
        for chunk in _chunks(list(rows)):
            for row in session.connection().execute(query.where(pk.in_(chunk))):
                pending["unloaded"][(spec.model, row[0])] = dict(zip(keys, row[1:], strict=True))


def refuse_bulk_append_only_changes(orm_execute_state):
    """``session.execute(update(HistoryEntry) ...)`` and bulk deletes skip the flush: refuse them too."""
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        table = getattr(getattr(orm_execute_state.statement, "table", None), "name", None)
        if table in APPEND_ONLY:
            raise _refuse_change(table)


def write_history(session, flush_context):
    pending = session.info.pop(_PENDING, None) or {"deleted": [], "unloaded": {}}
    history_entry, tracked = _registry()
    found = []  # (spec, row id, values after the change, action, {field: [old, new]})
    for obj in session.new:
        spec = tracked.get(type(obj))
        if spec is not None:
            state = inspect(obj)
            values = state.dict
            changes = {key: [None, values[key]] for key in spec.columns if values.get(key) is not None}
            found.append((spec, _row_id(state), values, "insert", changes))
    for obj in session.dirty:
        spec = tracked.get(type(obj))
        state = inspect(obj)
        if spec is None or state.key is None or state.deleted:
            continue
        unloaded = pending["unloaded"].get((spec.model, _row_id(state)), {})
        changes = {}
        for key in spec.columns:
            history = state.attrs[key].history
            if history.added or history.deleted:
                old = history.deleted[0] if history.deleted else unloaded.get(key)
                new = state.dict.get(key)
                if not _same(old, new):
                    changes[key] = [old, new]
        if changes:
            found.append((spec, _row_id(state), state.dict, "update", changes))
    for obj, spec, values in pending["deleted"]:
        changes = {key: [value, None] for key, value in values.items() if value is not None}
        found.append((spec, _row_id(inspect(obj)), values, "delete", changes))
    if not found:
        return
    connection = session.connection()
    places = _Places(connection, found, pending["deleted"])
    actor_id, occurred_on, reason = current_user_id(), now(), current_reason()
    reason = (reason.strip()[:1000] or None) if reason else None
    rows = []
    for spec, row_id, values, action, changes in found:
        province_id, lao_id, school_id = places.of(spec, row_id, values)
        for key in spec.secrets.intersection(changes):
            changes[key] = [None if value is None else MASK for value in changes[key]]
        rows.append(
            {
                "occurred_on": occurred_on,
                "actor_id": actor_id,
                "table_name": spec.table,
                "row_id": row_id,
                "action": action,
                "changes": json.dumps(changes, ensure_ascii=False, default=_plain),
                "reason": reason,
                "province_id": province_id,
                "lao_id": lao_id,
                "school_id": school_id,
            }
        )
    connection.execute(insert(history_entry.__table__), rows)


def _plain(value):
    """What JSON cannot hold as it is: dates and times as ISO strings, anything else as text."""
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return str(value)


def _chunks(items, size=5000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Places:
    """Where rows sit in the organisation tree, looked up with one query per kind of parent (account,
    school, LAO) for the whole flush. Parents deleted in the same flush are placed by the values
    remembered before it."""

    def __init__(self, connection, found, deleted):
        user_ids, school_ids, lao_ids, profile_ids = set(), set(), set(), set()
        for spec, _row, values, _action, _changes in found:
            if spec.table == "credential":
                user_ids.add(values.get("user_id"))
            elif spec.table == "school_building":
                profile_ids.add(values.get("profile_id"))
            elif spec.table in ("student", "confirmation", "school_profile", "exception_request"):
                school_ids.add(values.get("school_id"))
            elif spec.table == "transfer_request":
                school_ids.add(values.get("from_school_id"))
            lao_ids.add(values.get("lao_id"))
        self.profiles = {
            profile_id: school_id
            for profile_id, (school_id,) in self._rows(connection, SchoolProfile.id, (SchoolProfile.school_id,),
                                                       profile_ids)
        }  # fmt: skip
        school_ids |= set(self.profiles.values())
        self.accounts = dict(
            self._rows(connection, LecUser.id, (LecUser.province_id, LecUser.lao_id, LecUser.school_id), user_ids)
        )
        for _province_id, lao_id, school_id in self.accounts.values():
            school_ids.add(school_id)
            lao_ids.add(lao_id)
        self.schools = {
            school_id: lao_id
            for school_id, (lao_id,) in self._rows(connection, School.id, (School.lao_id,), school_ids)
        }
        for obj, spec, values in deleted:
            if spec.table == "school":
                self.schools.setdefault(_row_id(inspect(obj)), values["lao_id"])
        lao_ids |= set(self.schools.values())
        self.laos = {
            lao_id: province_id
            for lao_id, (province_id,) in self._rows(connection, Lao.id, (Lao.province_id,), lao_ids)
        }
        for obj, spec, values in deleted:
            if spec.table == "lao":
                self.laos.setdefault(_row_id(inspect(obj)), values["province_id"])

    @staticmethod
    def _rows(connection, key, columns, ids):
        ids = sorted(ids - {None})
        for chunk in _chunks(ids):
            for row in connection.execute(select(key, *columns).where(key.in_(chunk))):
                yield row[0], tuple(row[1:])

    def of(self, spec, row_id, values):
        """(province id, LAO id, school id) of one row: itself and the nodes above it."""
        table = spec.table
        if table == "academic_year":
            return None, None, None
        if table == "province":
            return row_id, None, None
        if table == "credential":
            province_id, lao_id, school_id = self.accounts.get(values.get("user_id"), (None, None, None))
        elif table == "school":
            province_id, lao_id, school_id = None, values.get("lao_id"), row_id
        elif table == "lao":
            province_id, lao_id, school_id = values.get("province_id"), row_id, None
        elif table == "school_building":
            province_id, lao_id, school_id = None, None, self.profiles.get(values.get("profile_id"))
        elif table == "transfer_request":  # searched under the old school; both schools' rows name it
            province_id, lao_id, school_id = None, None, values.get("from_school_id")
        else:  # student, confirmation, exception requests, other-affiliation rows, school profiles
            province_id, lao_id, school_id = values.get("province_id"), values.get("lao_id"), values.get("school_id")
        if school_id and not lao_id:
            lao_id = self.schools.get(school_id)
        if lao_id and not province_id:
            province_id = self.laos.get(lao_id)
        return province_id, lao_id, school_id


# -- reading the history ----------------------------------------------------------------------------


def _entries(*conditions, limit=None):
    history_entry = _registry()[0]
    query = (
        select(history_entry)
        .where(*conditions)
        .options(joinedload(history_entry.actor))
        .order_by(history_entry.occurred_on.desc(), history_entry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def history_of(model, row_id):
    """The history of one row, newest first."""
    history_entry = _registry()[0]
    return _entries(history_entry.table_name == model.__tablename__, history_entry.row_id == row_id)


class HistoryPage(list):
    """Some of a row's history, newest first; ``earlier`` is the id to pass as ``before`` for the
    entries that follow (None when there are none)."""

    earlier = None


def history_page(model, row_id, limit, before=None):
    """At most ``limit`` entries of one row's history, newest first, in one query (the record index
    narrows it to the row): the latest ones, or those that come after the entry ``before`` in that
    order (an id not in the row's history gives none)."""
    history_entry = _registry()[0]
    conditions = [history_entry.table_name == model.__tablename__, history_entry.row_id == row_id]
    if before is not None:
        marker = aliased(history_entry)
        since = (
            select(marker.occurred_on)
            .where(marker.id == before, marker.table_name == model.__tablename__, marker.row_id == row_id)
            .scalar_subquery()
        )
        conditions.append(
            or_(
                history_entry.occurred_on < since,
                and_(history_entry.occurred_on == since, history_entry.id < before),
            )
        )
    page = HistoryPage(_entries(*conditions, limit=limit + 1))
    if len(page) > limit:
        del page[limit:]
        page.earlier = page[-1].id
    return page


def changes_since(confirmation):
    """What changed in the organisation's subtree since it last confirmed (a returned organisation),
    newest first; nothing when it has never confirmed. The confirmation's own state changes are
    left out: its transitions tell them."""
    history_entry = _registry()[0]
    confirms = [t for t in confirmation.transitions if t.action == "confirm"]
    if not confirms:
        return []
    since = max(confirms, key=lambda t: (t.occurred_on, t.id or 0)).occurred_on
    level = confirmation.org_level
    return _entries(
        getattr(history_entry, level + "_id") == getattr(confirmation, level + "_id"),
        history_entry.occurred_on >= since,
        not_(and_(history_entry.table_name == "confirmation", history_entry.row_id == confirmation.id)),
    )


def _spec_of(table):
    return next((spec for spec in _registry()[1].values() if spec.table == table), None)


RECORD_KINDS = {
    "student": _l("Learner"),
    "school": _l("School or centre"),
    "lao": _l("Local administrative organisation"),
    "province": _l("Province"),
    "academic_year": _l("Academic year"),
    "confirmation": _l("Confirmation status"),
    "exception_request": _l("Exception request"),
    "credential": _l("Account"),
    "quality_explanation": _l("Explanation of a warning"),
    "spot_check": _l("Spot check"),
    "spot_check_item": _l("Spot-check result"),
    "other_school": _l("School of another affiliation"),
    "no_other_schools": _l("No school of another affiliation"),
    "school_profile": _l("School profile"),
    "school_building": _l("Building"),
    "transfer_request": _l("Transfer request"),
}


def history_record(entry):
    """Which record an entry is about, for lists that mix records (what changed since a
    confirmation): its kind and name, e.g. "นักเรียน / เด็กเล็ก: ปิ่นมณี ชื่นชม". A removed row is
    named from its last values."""
    spec = _spec_of(entry.table_name)
    if spec is None:
        return ""
    row = db.session.get(spec.model, entry.row_id)
    if row is None:
        old = {key: values[0] for key, values in json.loads(entry.changes).items()}
        parts = [old.get("first_name"), old.get("last_name")] if "first_name" in old else [old.get("name_th")]
        parts.append(old.get("name"))
        name = " ".join(str(part) for part in parts if part) or "#%d" % entry.row_id
    elif spec.table in ("confirmation", "exception_request"):
        name = str(row.organisation)
    elif spec.table == "credential":
        name = row.user.username if row.user is not None else ""
    else:
        name = str(row)
    return "%s: %s" % (RECORD_KINDS[spec.table], name)


def changed_fields(entry, labels=None, formatters=None):
    """The changed fields of an entry as a reader sees them: [(label, old, new)], labelled and
    formatted as a screen's labels and formatters say, by default as the show page does (codes as
    their Thai labels, dates in the Buddhist era, related rows by name). An empty string stands for
    no value."""
    spec = _spec_of(entry.table_name)
    if spec is None:
        return []
    default_labels, default_formatters = _default_presentation(spec.model)
    labels = {**default_labels, **(labels or {})}
    formatters = {**default_formatters, **(formatters or {})}
    relations = {
        pair[0].key: relation
        for relation in inspect(spec.model).relationships
        if relation.direction.name == "MANYTOONE"
        for pair in relation.local_remote_pairs
    }
    changes = json.loads(entry.changes)
    order = list(spec.columns)
    fields = []
    for key in sorted(changes, key=lambda k: order.index(k) if k in order else len(order)):
        old, new = changes[key]
        relation = relations.get(key)
        name = relation.key if relation is not None else key
        label = labels.get(name) or labels.get(key) or name
        shown = functools.partial(_shown, spec, key, relation, formatters.get(name))
        fields.append((str(label), shown(old), shown(new)))
    return fields


def _presented_codes():
    return {
        "confirmation": {"state": choices.CONFIRMATION_STATES},
        "spot_check_item": {"result": choices.SPOT_CHECK_RESULTS},
        "transfer_request": {"state": choices.TRANSFER_STATES, "class_level": choices.CLASS_LEVELS},
    }


@functools.cache
def _default_presentation(model):
    """Labels and code formatters for a tracked model when no screen is named (the history list)."""
    by_table = {
        "student": labels.STUDENT, "school": labels.ORGANISATION, "lao": labels.ORGANISATION,
        "province": labels.ORGANISATION, "academic_year": labels.ACADEMIC_YEAR, "credential": labels.CREDENTIAL,
        "spot_check": labels.SPOT_CHECK, "spot_check_item": labels.SPOT_CHECK_ITEM,
        "confirmation": labels.CONFIRMATION, "quality_explanation": labels.QUALITY_EXPLANATION,
        "other_school": labels.OTHER_SCHOOL, "no_other_schools": labels.OTHER_SCHOOL,
        "school_profile": labels.SCHOOL_PROFILE, "school_building": labels.SCHOOL_BUILDING,
        "transfer_request": labels.TRANSFER,
        "exception_request": labels.EXCEPTION_REQUEST,
    }  # fmt: skip
    coded = {**CODED_COLUMNS.get(model, {}), **_presented_codes().get(model.__tablename__, {})}
    formatters = {field: choices.label_of(options) for field, options in coded.items()}
    return by_table.get(model.__tablename__, {}), formatters


def history_summary(entry):
    """One line for lists of history entries: each changed field with its old and new value."""
    return "; ".join("%s: %s → %s" % (label, old or "—", new or "—") for label, old, new in changed_fields(entry))


def _shown(spec, key, relation, formatter, value):
    if value is None or key in spec.secrets:
        return "" if value is None else value
    if relation is not None:
        model = relation.mapper.class_
        pk = inspect(model).primary_key[0]
        related = db.session.scalar(select(model).where(pk == value, readable(model)))
        return str(related) if related is not None else "#%s" % value
    column_type = spec.columns[key].type
    try:
        if isinstance(column_type, DateTime):
            value = datetime.fromisoformat(value)
            return str(formatter(value)) if formatter else format_be_datetime(value)
        if isinstance(column_type, Date):
            value = date.fromisoformat(value)
            return str(formatter(value)) if formatter else format_be_date(value)
    except (TypeError, ValueError):
        return str(value)
    if formatter:
        return str(formatter(value))
    if isinstance(column_type, Boolean):
        return str(dict(choices.YES_NO).get(value, value))
    return str(value)
