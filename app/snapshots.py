"""The figures a province confirmed, frozen (DESIGN.md §4.8): what the budget and the confirmed
reports count, and how confirmed each part of them is.

When a province confirms a year, ``freeze_province`` writes the next version of its snapshot: the
learners per school × class level × sex and the other-affiliation counts as they stood, counted by
the database (INSERT … SELECT). Snapshots are append-only (app/audit.py), so a correction made
after a return, under an exception, changes no figure already sent up: the province confirms again
and a new version appears beside the old one.

The confirmed basis reads, per province, its latest snapshot of the year (final figures) or, while
it has none, the live learners of the schools that confirmed and the other-affiliation rows of the
LAOs that confirmed (provisional figures, "not yet data the province confirmed"). A province
returned for correction after a snapshot keeps its last snapshot as the final figure until it
confirms again: what was sent up stays what was sent up, and the pages say it was returned.
Domain code: it neither commits nor answers HTTP."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Integer, String, and_, case, cast, func, insert, literal, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from . import choices
from .extensions import db
from .levels import LAO, LEVEL_OF, ORGANISATIONS, PROVINCE, SCHOOL
from .models import (
    Confirmation,
    Lao,
    OtherSchool,
    Province,
    School,
    Snapshot,
    SnapshotCount,
    SnapshotOtherCount,
    Student,
)
from .thai import format_be_datetime

CONFIRMED = "confirmed"
SEX_CODES = {"male": "M", "female": "F"}
FINAL, PROVISIONAL = literal_column("1", Integer), literal_column("0", Integer)


# -- freezing ---------------------------------------------------------------------------------------


def freeze_province(province, year, transition):
    """Write the province's next snapshot version for the year, with who confirmed and when from
    the confirming ``transition``; returns the Snapshot. The caller (workflow.confirm_province)
    holds the province's confirmation row exclusively, so two confirmations cannot take the same
    version (and the unique constraint would refuse it)."""
    latest = db.session.scalar(
        select(func.max(Snapshot.version)).where(
            Snapshot.academic_year_id == year.id, Snapshot.province_id == province.id
        )
    )
    db.session.flush()  # the transition gets its id
    snapshot = Snapshot(
        academic_year_id=year.id, province_id=province.id, version=(latest or 0) + 1, transition_id=transition.id,
        confirmed_on=transition.occurred_on, confirmed_by_id=transition.actor_id,
    )  # fmt: skip
    db.session.add(snapshot)
    db.session.flush()
    learners = (
        select(
            literal(snapshot.id), Lao.province_id, School.lao_id, Student.school_id, Student.class_level, Student.sex,
            func.count(),
        )
        .select_from(Student)
        .join(School, School.id == Student.school_id)
        .join(Lao, Lao.id == School.lao_id)
        .where(Student.academic_year_id == year.id, Student.status == "active", Lao.province_id == province.id)
        .group_by(Lao.province_id, School.lao_id, Student.school_id, Student.class_level, Student.sex)
    )  # fmt: skip
    columns = ["snapshot_id", "province_id", "lao_id", "school_id", "class_level", "sex", "learners"]
    db.session.execute(insert(SnapshotCount).from_select(columns, learners))
    others = _other_rows(
        literal(snapshot.id),
        OtherSchool.academic_year_id == year.id,
        OtherSchool.lao_id.in_(select(Lao.id).where(Lao.province_id == province.id)),
    )
    columns = ["snapshot_id", "lao_id", "name", "affiliation", "class_level", "sex", "learners"]
    db.session.execute(insert(SnapshotOtherCount).from_select(columns, others))
    return snapshot


def _other_rows(first, *conditions):
    """The other-affiliation rows, one column per class level and sex, turned into one row per
    school × class level × sex that has learners: (first, LAO, name, affiliation, class level, sex,
    learners)."""
    branches = []  # the codes are the app's own constants, written into the statement as they are
    for name in choices.OTHER_SCHOOL_COUNTS:
        level, sex = name.rsplit("_", 1)
        column = getattr(OtherSchool, name)
        branches.append(
            select(
                first.label("first"), OtherSchool.lao_id, OtherSchool.name, OtherSchool.affiliation,
                literal_column("'%s'" % level, String).label("class_level"),
                literal_column("'%s'" % SEX_CODES[sex], String).label("sex"), column.label("learners"),
            ).where(column > 0, *conditions)
        )  # fmt: skip
    return union_all(*branches)


# -- what the confirmed basis counts ------------------------------------------------------------------


def latest_snapshots(year_id):
    """The id of the latest snapshot of each province for the year (versions grow with ids)."""
    return select(func.max(Snapshot.id)).where(Snapshot.academic_year_id == year_id).group_by(Snapshot.province_id)


def frozen_provinces(year_id):
    return select(Snapshot.province_id).where(Snapshot.academic_year_id == year_id)


def _confirmed(level, year_id):
    return select(getattr(Confirmation, level + "_id")).where(
        Confirmation.academic_year_id == year_id, Confirmation.org_level == level, Confirmation.state == CONFIRMED
    )


def confirmed_learners(year_id, level=None, org_id=None):
    """One row per school × class level × sex that the confirmed basis counts, as a subquery:
    province_id, lao_id, school_id, class_level, sex, learners, final (1: the province's latest
    snapshot; 0: live learners of a confirmed school in a province with no snapshot yet).
    ``level``/``org_id`` (province, lao or school) narrow both sides to one organisation."""
    frozen = select(
        SnapshotCount.province_id, SnapshotCount.lao_id, SnapshotCount.school_id, SnapshotCount.class_level,
        SnapshotCount.sex, SnapshotCount.learners.label("learners"), FINAL.label("final"),
    ).where(SnapshotCount.snapshot_id.in_(latest_snapshots(year_id)))  # fmt: skip
    place = {PROVINCE: Lao.province_id, LAO: School.lao_id, SCHOOL: Student.school_id}
    live = (
        select(
            Lao.province_id, School.lao_id, Student.school_id, Student.class_level, Student.sex, func.count(),
            PROVISIONAL,
        )
        .select_from(Student)
        .join(School, School.id == Student.school_id)
        .join(Lao, Lao.id == School.lao_id)
        .where(
            Student.academic_year_id == year_id, Student.status == "active",
            Student.school_id.in_(_confirmed(SCHOOL, year_id)), Lao.province_id.not_in(frozen_provinces(year_id)),
        )
        .group_by(Lao.province_id, School.lao_id, Student.school_id, Student.class_level, Student.sex)
    )  # fmt: skip
    if level in place:
        frozen = frozen.where(getattr(SnapshotCount, level + "_id") == org_id)
        live = live.where(place[level] == org_id)
    return union_all(frozen, live).subquery("confirmed_learners")


def confirmed_others(year_id, level=None, org_id=None):
    """The same for the schools of other affiliations: province_id, lao_id, name, affiliation,
    class_level, sex, learners, final (the snapshot; or, in a province with none, the live rows of
    the LAOs that confirmed)."""
    frozen = (
        select(
            Snapshot.province_id, SnapshotOtherCount.lao_id, SnapshotOtherCount.name, SnapshotOtherCount.affiliation,
            SnapshotOtherCount.class_level, SnapshotOtherCount.sex, SnapshotOtherCount.learners, FINAL.label("final"),
        )
        .join(Snapshot, Snapshot.id == SnapshotOtherCount.snapshot_id)
        .where(Snapshot.id.in_(latest_snapshots(year_id)))
    )  # fmt: skip
    conditions = [
        OtherSchool.academic_year_id == year_id,
        OtherSchool.lao_id.in_(_confirmed(LAO, year_id)),
        OtherSchool.lao_id.in_(select(Lao.id).where(Lao.province_id.not_in(frozen_provinces(year_id)))),
    ]
    if level == PROVINCE:
        frozen = frozen.where(Snapshot.province_id == org_id)
        conditions.append(OtherSchool.lao_id.in_(select(Lao.id).where(Lao.province_id == org_id)))
    elif level == LAO:
        frozen = frozen.where(SnapshotOtherCount.lao_id == org_id)
        conditions.append(OtherSchool.lao_id == org_id)
    rows = _other_rows(PROVISIONAL, *conditions).subquery()
    live = select(
        Lao.province_id, rows.c.lao_id, rows.c.name, rows.c.affiliation, rows.c.class_level, rows.c.sex,
        rows.c.learners, rows.c.first,
    ).select_from(rows).join(Lao, Lao.id == rows.c.lao_id)  # fmt: skip
    return union_all(frozen, live).subquery("confirmed_others")


def total(column):
    """A sum of learners as a whole number on every database (PostgreSQL sums into numeric)."""
    return cast(func.coalesce(func.sum(column), 0), Integer)


# -- versions -----------------------------------------------------------------------------------------


@dataclass
class Version:
    snapshot: Snapshot
    learners: int

    @property
    def confirmed_by(self):
        who = self.snapshot.confirmed_by
        return "%s %s" % (who.first_name, who.last_name) if who else "-"

    @property
    def confirmed_on(self):
        return format_be_datetime(self.snapshot.confirmed_on)


@dataclass
class Difference:
    """What changed between two versions, for one organisation: per class level and per school,
    (label or school, before, after), only where the figure changed."""

    older: Version
    newer: Version
    levels: list = field(default_factory=list)
    schools: list = field(default_factory=list)


def _narrowed(query, level, org_id):
    if level in ORGANISATIONS:
        return query.where(getattr(SnapshotCount, level + "_id") == org_id)
    return query


def versions(province_id, year_id, level=PROVINCE, org_id=None):
    """Every snapshot version of the province for the year, oldest first, each with the learners it
    holds for the organisation (the province itself, or an LAO or school in it)."""
    org_id = province_id if org_id is None else org_id
    counted = _narrowed(
        select(SnapshotCount.snapshot_id, total(SnapshotCount.learners).label("n")).group_by(SnapshotCount.snapshot_id),
        level, org_id,
    ).subquery()  # fmt: skip
    rows = db.session.execute(
        select(Snapshot, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.snapshot_id == Snapshot.id)
        .where(Snapshot.academic_year_id == year_id, Snapshot.province_id == province_id)
        .options(joinedload(Snapshot.confirmed_by))
        .order_by(Snapshot.version)
    ).all()
    return [Version(snapshot, learners) for snapshot, learners in rows]


def difference(older, newer, level, org_id, level_labels):
    """The difference between two versions for the organisation, counted by the database."""
    before = case((SnapshotCount.snapshot_id == older.snapshot.id, SnapshotCount.learners), else_=0)
    after = case((SnapshotCount.snapshot_id == newer.snapshot.id, SnapshotCount.learners), else_=0)
    pair = SnapshotCount.snapshot_id.in_([older.snapshot.id, newer.snapshot.id])
    found = Difference(older, newer)
    by_level = db.session.execute(
        _narrowed(select(SnapshotCount.class_level, total(before), total(after)).where(pair), level, org_id)
        .group_by(SnapshotCount.class_level)
    ).all()  # fmt: skip
    order = list(level_labels)
    found.levels = [
        (level_labels.get(code, code), old, new)
        for code, old, new in sorted(by_level, key=lambda row: order.index(row[0]) if row[0] in order else len(order))
        if old != new
    ]
    by_school = db.session.execute(
        _narrowed(select(SnapshotCount.school_id, total(before), total(after)).where(pair), level, org_id)
        .group_by(SnapshotCount.school_id)
    ).all()  # fmt: skip
    changed = {school_id: (old, new) for school_id, old, new in by_school if old != new}
    schools = db.session.scalars(select(School).where(School.id.in_(changed)).order_by(School.code)).all()
    found.schools = [(school, *changed[school.id]) for school in schools]
    return found


# -- how confirmed each part is ------------------------------------------------------------------------



@dataclass
class Standing:
    """How far an organisation's figures are confirmed for the year: by its province (a snapshot:
    final), by the LAO, by the school only, or not at all (provisional unless the province's).
    ``done``/``of`` count the confirmed LAOs of a province, or schools of an LAO, when not all are."""

    level: str | None
    snapshot: Snapshot | None = None
    returned: bool = False  # the province was returned for correction after its snapshot
    done: int = 0
    of: int = 0

    @property
    def final(self):
        return self.level == PROVINCE

    def text(self, short=False):
        """How it is confirmed, in Thai; ``short`` leaves out who confirmed the province's version
        and when (a part of a page whose heading says it already)."""
        if self.level == PROVINCE and short:
            return _("Confirmed by the province: version %(version)d", version=self.snapshot.version)
        if self.level == PROVINCE:
            who = self.snapshot.confirmed_by
            return _(
                "Confirmed by the province: version %(version)d, by %(name)s on %(when)s",
                version=self.snapshot.version, name="%s %s" % (who.first_name, who.last_name) if who else "-",
                when=format_be_datetime(self.snapshot.confirmed_on),
            )  # fmt: skip
        if self.level == LAO:
            if self.of:
                return _("Confirmed by %(done)d of %(all)d LAOs", done=self.done, all=self.of)
            return _("Confirmed by the LAO")
        if self.level == SCHOOL:
            if self.of:
                return _("Confirmed by schools only (%(done)d of %(all)d)", done=self.done, all=self.of)
            return _("Confirmed by the school only")
        return _("Not confirmed")

    def note(self):
        """What a reader must know besides: provisional, or returned after the last version."""
        if self.returned:
            return _(
                "Returned for correction: version %(version)d stays the final figure until the province "
                "confirms again.", version=self.snapshot.version,
            )  # fmt: skip
        return "" if self.final else _("Not yet data confirmed by the province")


def _province_of(model, ids):
    if model is Province:
        return {org_id: org_id for org_id in ids}
    if model is Lao:
        return dict(db.session.execute(select(Lao.id, Lao.province_id).where(Lao.id.in_(ids))).all())
    return dict(
        db.session.execute(
            select(School.id, Lao.province_id).join(Lao, Lao.id == School.lao_id).where(School.id.in_(ids))
        ).all()
    )


def _states(year_id, level, ids):
    column = getattr(Confirmation, level + "_id")
    return dict(
        db.session.execute(
            select(column, Confirmation.state).where(
                Confirmation.academic_year_id == year_id, Confirmation.org_level == level, column.in_(ids)
            )
        ).all()
    )


def _confirmed_children(year_id, child, parent_column, ids):
    """{parent id: (confirmed children, children)}: the LAOs of provinces, or the schools of LAOs
    or of provinces."""
    level = LEVEL_OF[child]
    done = and_(
        Confirmation.academic_year_id == year_id, Confirmation.org_level == level,
        getattr(Confirmation, level + "_id") == child.id, Confirmation.state == CONFIRMED,
    )  # fmt: skip
    query = select(parent_column, func.count(Confirmation.id), func.count(child.id)).select_from(child)
    if child is School and parent_column is Lao.province_id:
        query = query.join(Lao, Lao.id == School.lao_id)
    rows = db.session.execute(
        query.outerjoin(Confirmation, done).where(parent_column.in_(ids)).group_by(parent_column)
    ).all()
    return {parent: (confirmed, all_) for parent, confirmed, all_ in rows}


def standings(organisations, year_id):
    """{organisation id: Standing} for organisations of one kind (provinces, LAOs or schools), in
    a handful of queries whatever their number."""
    if not organisations:
        return {}
    model = type(organisations[0])
    ids = [organisation.id for organisation in organisations]
    province_of = _province_of(model, ids)
    provinces = set(province_of.values())
    snapshots = {
        snapshot.province_id: snapshot
        for snapshot in db.session.scalars(
            select(Snapshot)
            .where(Snapshot.id.in_(latest_snapshots(year_id)), Snapshot.province_id.in_(provinces))
            .options(joinedload(Snapshot.confirmed_by))
        )
    }
    province_states = _states(year_id, PROVINCE, provinces)
    found = {}
    if model is School:
        own = _states(year_id, SCHOOL, ids)
        laos = dict(db.session.execute(select(School.id, School.lao_id).where(School.id.in_(ids))).all())
        lao_states = _states(year_id, LAO, set(laos.values()))
        for org_id in ids:
            if lao_states.get(laos.get(org_id)) == CONFIRMED:
                found[org_id] = Standing(LAO)
            else:
                found[org_id] = Standing(SCHOOL if own.get(org_id) == CONFIRMED else None)
    elif model is Lao:
        own = _states(year_id, LAO, ids)
        children = _confirmed_children(year_id, School, School.lao_id, ids)
        for org_id in ids:
            done, of = children.get(org_id, (0, 0))
            if own.get(org_id) == CONFIRMED:
                found[org_id] = Standing(LAO)
            else:
                found[org_id] = Standing(SCHOOL if done else None, done=done, of=of)
    else:
        laos = _confirmed_children(year_id, Lao, Lao.province_id, ids)
        schools = _confirmed_children(year_id, School, Lao.province_id, ids)
        for org_id in ids:
            done, of = laos.get(org_id, (0, 0))
            if done:
                found[org_id] = Standing(LAO, done=done, of=of)
            else:
                done, of = schools.get(org_id, (0, 0))
                found[org_id] = Standing(SCHOOL if done else None, done=done, of=of)
    for org_id in ids:
        snapshot = snapshots.get(province_of.get(org_id))
        if snapshot is not None:
            returned = province_states.get(snapshot.province_id) != CONFIRMED
            found[org_id] = Standing(PROVINCE, snapshot, returned)
    return found
