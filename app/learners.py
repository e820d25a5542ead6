"""Taking learners out of the count, and starting a new academic year (the circular's 3.2).

A learner who is no longer at the school is removed (จำหน่าย) with a reason, a date, a note and
the person who did it; the row stays, so a ghost recorded last month can still be traced to whoever
recorded it. Removed learners drop out of every count (the screens list active learners only) and
can be restored while the school's data is open. Nothing deletes a learner: a before-flush guard
refuses it from every entry point, central included.

A new academic year starts from last year's active learners, their class levels promoted; the
school reviews the proposal, and the learners who left are the ones it does not carry over."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_

from . import choices, quality
from .choices import ACTIVE, REMOVED
from .context import change_reason, current_user_id
from .errors import Invalid, OutOfScope, Refused
from .extensions import db
from .levels import SCHOOL
from .models import AcademicYear, School, Student
from .roles import REMOVE, RESTORE, ROLL_OVER, levels_holding
from .scope import current_node, readable
from .thai import BE_OFFSET, format_be_date

# Who takes each step is the role table's to say (app/roles.py); the domain asks it, so that a
# step refused on screen is refused from every other entry point too.
REMOVERS = levels_holding(REMOVE)
RESTORERS = levels_holding(RESTORE)  # the school while it is open, or its LAO
ROLLERS = levels_holding(ROLL_OVER)
NOTE_REQUIRED = "not_exist"  # a ghost: whoever removes it must say what was found
NOTE_LENGTH = 1000


def _names(students):
    return ", ".join(str(student) for student in students)


def _require_level(levels):
    if current_node().level not in levels:
        raise Refused([_("Your role does not take this step.")])


def _require(students, levels):
    """The acting user reaches every learner (else OutOfScope: a learner outside the subtree does not
    exist for them, whatever their role) and stands at one of ``levels``."""
    if not students:
        raise Invalid({"ids": _("Choose at least one learner.")})
    ids = {student.id for student in students}
    reached = set(db.session.scalars(select(Student.id).where(Student.id.in_(ids), readable(Student))))
    if reached != ids:
        raise OutOfScope(_("You may only record data of your own organisation."))
    _require_level(levels)


def learners_by_id(ids):
    """The learners with these ids, each one the user may read. One unknown or foreign id raises
    OutOfScope, so that screens and the API answer 404 as they do for any row outside the subtree."""
    wanted = set(ids)
    found = db.session.scalars(
        select(Student).where(Student.id.in_(wanted), readable(Student)).order_by(Student.id)
    ).all()
    if len(found) != len(wanted):
        raise OutOfScope(_("You may only record data of your own organisation."))
    return found


def first_level_of(school):
    """The lowest class level a school teaches, in the circular's order, or None when its levels
    are not recorded: a new learner of a primary school is most often in its first class, not a
    young child of a centre (เด็กเล็ก, the first of all the levels)."""
    taught = {code.strip() for code in (school.levels or "").split(",")}
    return next((code for code, _label in choices.CLASS_LEVELS if code in taught), None)


def default_class_level():
    """The class level a new learner's form starts at: the acting school's first level; none for
    an account above the schools, who must choose."""
    node = current_node()
    if node.level != SCHOOL:
        return None
    return first_level_of(db.session.get(School, node.id))


# -- removal --------------------------------------------------------------------------------------


def year_start(year):
    """The first day a removal from this year's count can carry: the Thai academic year starts on
    16 May (or when entry opened, if that was earlier). An earlier date is a mistyped year; a
    learner who left during the break is not carried into the new year at all (``roll_over``)."""
    return min(date(year.year - BE_OFFSET, 5, 16), year.entry_opens)


def removal_errors(students, reason, removed_on, note):
    """What is wrong with a removal's reason, date and note, by field, in Thai. The date lies
    between the start of the learner's academic year and today; a learner who does not exist (or
    was recorded in error) needs a note, since that is the ghost the circular asks to trace."""
    errors = {}
    if not reason:
        errors["reason"] = _("This field is required.")
    elif reason not in choices.codes(choices.REMOVAL_REASONS):
        errors["reason"] = _("Must be one of: %(codes)s.", codes=", ".join(choices.codes(choices.REMOVAL_REASONS)))
    if removed_on is None:
        errors["removed_on"] = _("This field is required.")
    elif removed_on > date.today():
        errors["removed_on"] = _("The date of removal cannot be in the future.")
    else:
        years = {student.academic_year_id: student.academic_year for student in students}.values()
        for year in sorted(years, key=lambda y: y.year):
            if removed_on < year_start(year):
                errors["removed_on"] = _(
                    "The date of removal cannot be before academic year %(year)s began (%(date)s).",
                    year=year.year, date=format_be_date(year_start(year)),
                )  # fmt: skip
    note = (note or "").strip()
    if reason == NOTE_REQUIRED and not note:
        errors["note"] = _("Write a note: a learner who does not exist or was recorded in error must be explained.")
    elif len(note) > NOTE_LENGTH:
        errors["note"] = _("The note is longer than %(max)d characters.", max=NOTE_LENGTH)
    return errors


def remove_learners(students, reason, removed_on, note=None):
    """Take learners out of the count: status removed, with the reason, the date, the note and the
    acting user as remover; the history entry carries the reason. Refused outside the user's
    subtree, for bad input (Invalid, by field), for learners already removed, and at flush time
    for a school whose data is locked."""
    _require(students, REMOVERS)
    errors = removal_errors(students, reason, removed_on, note)
    if errors:
        raise Invalid(errors)
    already = [student for student in students if student.status == REMOVED]
    if already:
        raise Refused([_("Already removed: %(names)s.", names=_names(already))])
    note = (note or "").strip() or None
    label = str(dict(choices.REMOVAL_REASONS)[reason])
    with change_reason(_("Removal: %(reason)s", reason=label) + (" (%s)" % note if note else "")):
        for student in students:
            student.status, student.removal_reason, student.removed_on = REMOVED, reason, removed_on
            student.removal_note, student.removed_by_id = note, current_user_id()
        db.session.flush()
    return students


def restore_learners(students):
    """Bring removed learners back into the count: by the school while its data is open (the lock
    at flush time refuses a confirmed school, for everyone), or by its LAO. Refused for a learner
    who is not removed, and for one whose identifier is active again in the same school and year
    (re-entered since): restoring would count the learner twice."""
    _require(students, RESTORERS)
    active = [student for student in students if student.status != REMOVED]
    if active:
        raise Refused([_("Not removed: %(names)s.", names=_names(active))])
    places = {(s.academic_year_id, s.school_id, s.id_number) for s in students}
    again = set(
        db.session.execute(
            select(Student.academic_year_id, Student.school_id, Student.id_number).where(
                tuple_(Student.academic_year_id, Student.school_id, Student.id_number).in_(list(places)),
                Student.status == ACTIVE,
            )
        ).all()
    )
    clashing = [s for s in students if (s.academic_year_id, s.school_id, s.id_number) in again]
    if clashing:
        raise Refused(
            [_("Already active again in the same school and year under the same identifier: %(names)s.",
               names=_names(clashing))]
        )  # fmt: skip
    with change_reason(_("Restored to the count")):
        for student in students:
            student.status = ACTIVE
            student.removal_reason = student.removed_on = student.removal_note = student.removed_by_id = None
        db.session.flush()
    return students


def _hard_delete_refused():
    return Refused(
        [_("A learner's record cannot be deleted; remove the learner from the count with a reason instead.")]
    )


def refuse_deleting_learners(session, flush_context, instances):
    """No entry point deletes a learner, central and the command line included: the row is the
    evidence of who recorded whom. Removal (``remove_learners``) takes a learner out of the count."""
    if any(isinstance(obj, Student) for obj in session.deleted):
        raise _hard_delete_refused()


def refuse_bulk_learner_deletes(orm_execute_state):
    """``session.execute(delete(Student))`` skips the flush: refuse it too."""
    if orm_execute_state.is_delete:
        table = getattr(orm_execute_state.statement, "table", None)
        if getattr(table, "name", None) == Student.__tablename__:
            raise _hard_delete_refused()


# -- a new academic year --------------------------------------------------------------------------

# The level a learner moves up to. P.6, M.6 and Voc. 3 end a stage instead (LEAVING): the learner
# leaves, with the reason shown, and is not carried over. A centre keeps its children (CDC_OLDEST).
NEXT_LEVEL = {
    "k1": "k2", "k2": "k3", "k3": "p1",
    "p1": "p2", "p2": "p3", "p3": "p4", "p4": "p5", "p5": "p6",
    "m1": "m2", "m2": "m3", "m3": "m4", "m4": "m5", "m5": "m6",
    "v1": "v2", "v2": "v3",
}  # fmt: skip
LEAVING = {
    "p6": _l("Finished primary school (P.6)."),
    "m6": _l("Finished upper secondary school (M.6)."),
    "v3": _l("Finished the vocational certificate (Voc. 3)."),
}
# Promoted, but the school decides: the learner finished a stage and may continue elsewhere.
REVIEW = {"m3": _l("Finished lower secondary school (M.3): check that the learner goes on to M.4 here.")}
CDC_OLDEST = 5  # full years on 16 May: a child-development centre takes children of 2 to 5 years


@dataclass(frozen=True)
class Carry:
    """One of last year's learners in the proposal: the level proposed for the new year, or why
    the learner is not carried (``leaves``); why the school should look first (``review``), and
    what must be corrected before the learner can be carried (``correct``)."""

    student: Student
    level: str | None = None
    review: str | None = None
    leaves: str | None = None
    correct: str | None = None


@dataclass
class Proposal:
    school: School
    from_year: AcademicYear
    to_year: AcademicYear
    carried: list = field(default_factory=list)  # Carry with a level: checked unless review or correct
    leaving: list = field(default_factory=list)  # Carry with the reason they are not carried
    present: list = field(default_factory=list)  # learners whose identifier is already in the new year


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _promote(student, to_year):
    """(level, review, leaves) for one learner in the new year."""
    if student.class_level == "cdc":
        if age_on(student.birth_date, date(to_year.year - BE_OFFSET, 5, 16)) > CDC_OLDEST:
            return None, None, _("Older than 5 on 16 May: goes on to kindergarten elsewhere.")
        return "cdc", None, None
    if student.class_level in LEAVING:
        return None, None, str(LEAVING[student.class_level])
    review = REVIEW.get(student.class_level)
    return NEXT_LEVEL[student.class_level], str(review) if review else None, None


IDENTITY = (
    "id_kind", "id_number", "prefix", "first_name", "last_name", "sex", "birth_date", "nationality",
    "religion", "disadvantage", "disability", "guardian_name", "guardian_phone",
)  # fmt: skip


def _copy(student, to_year, level):
    """The learner in the new year: same identity and personal data, the promoted level, active.
    Placed by id, so that the copy joins the session only when it is added."""
    values = {name: getattr(student, name) for name in IDENTITY}
    return Student(
        academic_year_id=to_year.id, school_id=student.school_id, class_level=level, status=ACTIVE, **values
    )


def _must_correct(student, to_year, level):
    """Why the copy would be refused when stored (a row carried from an earlier system, say)."""
    try:
        quality.validate(_copy(student, to_year, level))
    except Invalid as error:
        return _("Must be corrected before carrying over: %(errors)s", errors="; ".join(error.errors.values()))
    return None


def _require_school(school, levels):
    _require_level(levels)
    if db.session.scalar(select(School.id).where(School.id == school.id, readable(School))) is None:
        raise OutOfScope(_("You may only record data of your own organisation."))


def roll_over(school, from_year, to_year):
    """The proposal for starting ``to_year``: the school's active learners of ``from_year`` with
    their levels promoted; those who finish the school's stages listed apart, not carried; those
    whose identifier the school already has in the new year skipped. Learners marked for review
    (end of M.3, data that must be corrected first) are proposed unchecked."""
    _require_school(school, ROLLERS)
    if from_year.year >= to_year.year:
        raise Refused([_("The new year must come after the year carried over from.")])
    present_ids = set(
        db.session.scalars(
            select(Student.id_number).where(Student.school_id == school.id, Student.academic_year_id == to_year.id)
        )
    )
    order = choices.codes(choices.CLASS_LEVELS)
    learners = db.session.scalars(
        select(Student).where(
            Student.school_id == school.id, Student.academic_year_id == from_year.id, Student.status == ACTIVE
        )
    ).all()
    proposal = Proposal(school, from_year, to_year)
    for student in sorted(learners, key=lambda s: (order.index(s.class_level), s.first_name, s.last_name, s.id)):
        if student.id_number in present_ids:
            proposal.present.append(student)
            continue
        level, review, leaves = _promote(student, to_year)
        if leaves:
            proposal.leaving.append(Carry(student, leaves=leaves))
            continue
        proposal.carried.append(Carry(student, level, review, correct=_must_correct(student, to_year, level)))
    return proposal


def carry_over(school, from_year, to_year, student_ids):
    """Copy the chosen learners of the proposal into the new year, as new rows, in the caller's
    transaction: scope, lock, data rules and history apply when they are flushed, and the history
    says where they came from. Refused for an id the proposal does not carry (a leaver, a learner
    already in the new year, another school's) and for data that must be corrected first."""
    proposal = roll_over(school, from_year, to_year)
    offered = {carry.student.id: carry for carry in proposal.carried}
    chosen = list(dict.fromkeys(student_ids))
    if not chosen:
        raise Invalid({"ids": _("Choose at least one learner.")})
    others = [student_id for student_id in chosen if student_id not in offered]
    if others:
        known = {s.id: s for s in proposal.present + [carry.student for carry in proposal.leaving]}
        names = ", ".join(str(known.get(student_id, "#%s" % student_id)) for student_id in others)
        raise Refused([_("Not proposed for the new year: %(names)s.", names=names)])
    faulty = [offered[i] for i in chosen if offered[i].correct]
    if faulty:
        raise Refused(["%s: %s" % (carry.student, carry.correct) for carry in faulty])
    rows = [_copy(offered[i].student, to_year, offered[i].level) for i in chosen]
    with change_reason(_("Carried over from academic year %(year)s", year=from_year.year)):
        db.session.add_all(rows)
        db.session.flush()
    return rows


def earlier_years(school, to_year):
    """The academic years before ``to_year`` in which the school has active learners, newest first."""
    return db.session.scalars(
        select(AcademicYear)
        .where(AcademicYear.year < to_year.year)
        .where(
            select(Student.id)
            .where(Student.academic_year_id == AcademicYear.id, Student.school_id == school.id)
            .where(Student.status == ACTIVE)
            .exists()
        )
        .order_by(AcademicYear.year.desc())
    ).all()


def schools_to_roll_over():
    """The schools the acting user may start a year for: its own, or those of its LAO."""
    return db.session.scalars(select(School).where(readable(School)).order_by(School.code)).all()
