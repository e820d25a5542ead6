"""Transfers between schools (ย้ายออก / ย้ายเข้า): a learner who changes school during the year
is taken over by the new school instead of being entered twice.

The receiving school types the learner's identifier. When the learner is active in another school
this year, it is shown only the minimal record (name, class level, school: ``find_for_transfer``)
and asks for a transfer (``ask_for_transfer``) instead of saving a duplicate. The old school answers:
it accepts (``accept_transfer``: the old row is removed with the reason "moved" and the destination,
and the learner becomes active at the new school with the identity carried over) or declines with a
reason. The old school's LAO may decide once the old school has not answered within
LEC_TRANSFER_ANSWER_DAYS; a confirmed (locked) old school must be returned by its LAO first, or be
given an exception by central, and the request says so (``who_answers``).

Every write goes through the flush guards like any other: the lock refuses accepting while either
school's data is locked, validation and the history judge both learner rows. The one exception to
scope is the new row at the receiving school, written by the old school as it accepts: it is
admitted by name (``scope.admitting``), nothing else. The request row itself is not placed in one
school's subtree (two schools share it), so the functions here decide who may write it.

The steps announce themselves to ``LISTENERS`` (each called with the step's name, "asked",
"accepted", "declined" or "withdrawn", and the request) once the step is flushed: notifications
hook in there."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from . import choices, quality, workflow
from .choices import ACCEPTED, ACTIVE, ASKED, DECLINED, REMOVED, WITHDRAWN
from .context import change_reason, current_user_id, now
from .errors import Invalid, Locked, OutOfScope, Refused
from .extensions import db
from .learners import IDENTITY, NOTE_LENGTH
from .levels import CENTRAL, LAO, SCHOOL
from .models import Lao, Province, School, Student, TransferRequest
from .roles import ASK_TRANSFER, levels_holding
from .scope import admitting, current_node, readable

ASKERS = levels_holding(ASK_TRANSFER)  # the receiving school (and central)
MOVED = "moved"  # the removal reason an accepted transfer leaves at the old school
LISTENERS = []  # callables (step, request), called after each step is flushed


def answer_days():
    return current_app.config.get("LEC_TRANSFER_ANSWER_DAYS", 7)


def _announce(step, request):
    for listener in LISTENERS:
        listener(step, request)


def _out_of_scope():
    return OutOfScope(_("You may only record data of your own organisation."))


def normalised(id_number):
    """The identifier as stored: spaces and dashes dropped, a G code's letter in capitals; a value
    that is neither a national ID nor a G code is bad input."""
    value = "".join((id_number or "").split()).replace("-", "").upper()
    if not value:
        raise Invalid({"id_number": _("This field is required.")})
    return quality.clean_identifier("g_code" if value.startswith("G") else "national_id", value)


@dataclass(frozen=True)
class Match:
    """What the receiving school is shown of a learner active in another school: the name, the
    class level and where, nothing else."""

    student_id: int
    id_number: str
    name: str
    class_level: str
    school_id: int
    school_name: str
    lao_name: str
    province_name: str

    @property
    def class_level_label(self):
        return str(dict(choices.CLASS_LEVELS).get(self.class_level, self.class_level))


def receiving_school(to_school=None):
    """The school a transfer would go to: the acting school itself, or the school an account above
    names (which must lie in its subtree). Refused for a role that does not take transfers in."""
    node = current_node()
    if node.level not in ASKERS:
        raise Refused([_("Your role does not take this step.")])
    if to_school is None:
        if node.level != SCHOOL:
            raise Invalid({"to_school": _("This field is required.")})
        return db.session.get(School, node.id)
    if db.session.scalar(select(School.id).where(School.id == to_school.id, readable(School))) is None:
        raise _out_of_scope()
    return to_school


def find_for_transfer(id_number, to_school=None):
    """The learner with exactly this identifier who is active this year in a school other than the
    receiving one, as a ``Match`` (deliberately read outside the acting user's scope, and only
    these fields); None when there is none."""
    to_school = receiving_school(to_school)
    year = workflow.current_year()
    if year is None:
        return None
    wanted = normalised(id_number)
    lao, province = aliased(Lao), aliased(Province)
    row = db.session.execute(
        select(Student.id, Student.id_number, Student.prefix, Student.first_name, Student.last_name,
               Student.class_level, School.id, School.name_th, lao.name_th, province.name_th)
        .join(School, School.id == Student.school_id)
        .join(lao, lao.id == School.lao_id)
        .join(province, province.id == lao.province_id)
        .where(Student.academic_year_id == year.id, Student.id_number == wanted, Student.status == ACTIVE,
               Student.school_id != to_school.id)
        .order_by(Student.id)
        .limit(1)
    ).first()  # fmt: skip
    if row is None:
        return None
    student_id, number, prefix, first, last, level, school_id, school, lao_name, province_name = row
    name = " ".join(part for part in (prefix, first, last) if part)
    return Match(student_id, number, name, level, school_id, school, lao_name, province_name)


def _open_request(student_id):
    return db.session.scalar(
        select(TransferRequest).where(TransferRequest.student_id == student_id, TransferRequest.state == ASKED)
    )


def ask_for_transfer(match, to_school, class_level):
    """The receiving school asks the old school for the learner ``match`` names, to be placed in
    ``class_level``. Refused when the learner is no longer active there, when a request for them is
    already waiting, and when the receiving school could not add a learner now (locked)."""
    to_school = receiving_school(to_school)
    if class_level not in choices.codes(choices.CLASS_LEVELS):
        raise Invalid({"class_level": _("Must be one of: %(codes)s.",
                                        codes=", ".join(choices.codes(choices.CLASS_LEVELS)))})  # fmt: skip
    old = db.session.get(Student, match.student_id)
    year = workflow.current_year()
    if old is None or old.status != ACTIVE or year is None or old.academic_year_id != year.id:
        raise Refused([_("The learner is no longer active at the old school.")])
    if old.school_id == to_school.id:
        raise Refused([_("The learner is already at this school.")])
    if _open_request(old.id) is not None:
        raise Refused([_("A transfer request for this learner is already waiting for an answer.")])
    placed = Student(academic_year_id=year.id, school_id=to_school.id)
    reason = workflow.lock_reasons([placed])[0]
    if reason:
        raise Locked(reason)
    request = TransferRequest(
        academic_year_id=year.id, student_id=old.id, from_school_id=old.school_id, to_school_id=to_school.id,
        class_level=class_level, state=ASKED, asked_on=now(), asked_by_id=current_user_id(),
    )  # fmt: skip
    with change_reason(_("Transfer asked")):
        db.session.add(request)
        db.session.flush()
    _announce(ASKED, request)
    return request


# -- who answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answerer:
    """Who may answer a waiting request now, and what the request tells its readers."""

    organisation: object  # the old school, or its LAO
    note: str
    overdue: bool
    locked: str | None


def overdue(request, at=None):
    return (at or now()) >= request.asked_on + timedelta(days=answer_days())


def who_answers(request):
    """The old school while it is open; when its data is locked, its LAO, which must return it first
    (or central grant an exception) before the transfer can be accepted; once the old school has not
    answered within LEC_TRANSFER_ANSWER_DAYS, its LAO may decide. None once answered."""
    if request.state != ASKED:
        return None
    late = overdue(request)
    locked = workflow.lock_reason(request.student)
    lao = request.from_school.lao
    if locked:
        note = _("%(reason)s %(lao)s must return it first, or central grant an exception, before the transfer "
                 "can be accepted.", reason=locked, lao=lao.name_th)  # fmt: skip
        return Answerer(lao, note, late, locked)
    if late:
        note = _("%(school)s has not answered within %(days)d days: %(lao)s may decide.",
                 school=request.from_school.name_th, days=answer_days(), lao=lao.name_th)  # fmt: skip
        return Answerer(lao, note, late, None)
    note = _("Waiting for %(school)s to answer.", school=request.from_school.name_th)
    return Answerer(request.from_school, note, late, None)


def may_answer(request, node=None):
    """Whether this node may accept or decline the request now: central; the old school; its LAO
    once the old school has not answered in time."""
    node = node or current_node()
    if request.state != ASKED:
        return False
    if node.level == CENTRAL:
        return True
    if node.level == SCHOOL:
        return node.id == request.from_school_id
    return node.level == LAO and node.id == request.from_school.lao_id and overdue(request)


def may_withdraw(request, node=None):
    node = node or current_node()
    return request.state == ASKED and (node.level == CENTRAL or (node.level == SCHOOL
                                                                 and node.id == request.to_school_id))


def readable_request(request_id):
    """The request with this id, when the acting user may read it (one of its two schools, or above
    them); else OutOfScope, as any row outside the user's area."""
    found = db.session.scalar(
        select(TransferRequest).where(TransferRequest.id == request_id, readable(TransferRequest))
    )
    if found is None:
        raise _out_of_scope()
    return found


def _require_answerer(request):
    readable_request(request.id)
    if request.state != ASKED:
        raise Refused([_("This request has already been answered.")])
    if may_answer(request):
        return
    node = current_node()
    if node.level == LAO and node.id == request.from_school.lao_id:
        raise Refused([_("The old school answers first; its LAO may decide after %(days)d days without an answer.",
                         days=answer_days())])  # fmt: skip
    raise Refused([_("Only the old school (or its LAO, once the request is overdue) answers a transfer request.")])


def _answered(request, state):
    request.state, request.answered_on, request.answered_by_id = state, now(), current_user_id()


def accept_transfer(request):
    """The old school (or whoever may answer, ``may_answer``) lets the learner go: the old row is
    removed with the reason "moved", today's date and the destination, and the learner becomes
    active at the new school in the requested class level with the same identity. When the new
    school already holds the identifier as active this year (entered twice before), that row is the
    learner's. Both rows' history names the request. Refused by the lock when either school's data
    is locked (nothing is written)."""
    _require_answerer(request)
    old, to_school = request.student, request.to_school
    if old.status != ACTIVE:
        raise Refused([_("The learner is no longer active at the old school.")])
    number = request.id
    note = _("Moved to %(school)s (%(code)s), transfer request #%(number)d.",
             school=to_school.name_th, code=to_school.code, number=number)[:NOTE_LENGTH]  # fmt: skip
    with change_reason(_("Transfer #%(number)d: moved to %(school)s", number=number, school=to_school.name_th)):
        old.status, old.removal_reason, old.removed_on = REMOVED, MOVED, date.today()
        old.removal_note, old.removed_by_id = note, current_user_id()
        _answered(request, ACCEPTED)
        db.session.flush()
    new = db.session.scalar(
        select(Student).where(Student.academic_year_id == old.academic_year_id, Student.school_id == to_school.id,
                              Student.id_number == old.id_number, Student.status == ACTIVE)
    )  # fmt: skip
    if new is None:
        values = {name: getattr(old, name) for name in IDENTITY}
        new = Student(academic_year_id=old.academic_year_id, school_id=to_school.id, class_level=request.class_level,
                      status=ACTIVE, **values)  # fmt: skip
        moved_in = _("Transfer #%(number)d: moved in from %(school)s", number=number, school=old.school.name_th)
        with change_reason(moved_in), admitting(new):
            db.session.add(new)
            db.session.flush()
    with change_reason(_("Transfer #%(number)d accepted", number=number)):
        request.new_student_id = new.id
        db.session.flush()
    _announce(ACCEPTED, request)
    return request


def decline_transfer(request, reason):
    """The old school (or whoever may answer) keeps the learner, saying why; nothing else changes."""
    _require_answerer(request)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _("Write the reason for declining.")})
    if len(reason) > NOTE_LENGTH:
        raise Invalid({"reason": _("The note is longer than %(max)d characters.", max=NOTE_LENGTH)})
    with change_reason(reason):
        _answered(request, DECLINED)
        request.decline_reason = reason
        db.session.flush()
    _announce(DECLINED, request)
    return request


def withdraw_transfer(request):
    """The receiving school takes back a request that has not been answered yet."""
    readable_request(request.id)
    if request.state != ASKED:
        raise Refused([_("This request has already been answered.")])
    if not may_withdraw(request):
        raise Refused([_("Only the school that asked withdraws a transfer request.")])
    with change_reason(_("Transfer request withdrawn")):
        _answered(request, WITHDRAWN)
        db.session.flush()
    _announce(WITHDRAWN, request)
    return request


def requests_in_scope(state=None):
    """The requests the acting user may read, newest first, waiting ones first."""
    query = select(TransferRequest).where(readable(TransferRequest))
    if state:
        query = query.where(TransferRequest.state == state)
    order = (TransferRequest.state != ASKED, TransferRequest.asked_on.desc(), TransferRequest.id.desc())
    return db.session.scalars(query.order_by(*order)).all()
