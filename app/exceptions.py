"""Exception requests: a school, LAO or province past its deadline (or returned after it) asks for
entry to open again, with why and until when; the level that grants exceptions answers.

Who grants is the workflow's one rule (``workflow.exception_granter``, read from the setting
LEC_EXCEPTION_GRANTED_BY): central, or the province for its LAOs and schools. A grant goes through
``workflow.grant_exception``, so a granted request and an exception granted from the organisation
lists open entry the same way. Each step writes one ExceptionRequest row, which is also the event
another part may act on: ``ask_for_exception`` creates it (state ``requested``), ``grant_request``
and ``refuse_request`` answer it (``granted`` / ``refused``), and announces it to ``LISTENERS``
(each called with the request once it is flushed): notifications hook in there."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from . import workflow
from .context import current_user_id, now
from .errors import Invalid, OutOfScope, Refused
from .extensions import db
from .levels import CENTRAL, LAO, ORGANISATIONS, PROVINCE, SCHOOL, key_of, level_of
from .models import Confirmation, ExceptionRequest
from .scope import current_node, organisation_in_subtree, own_organisation, placed_in_subtree
from .thai import format_be_date

REQUESTED, GRANTED, REFUSED = "requested", "granted", "refused"


LISTENERS = []  # callables (request), called after each step is flushed


def _announce(request):
    for listener in LISTENERS:
        listener(request)
    return request


def granting_level(organisation):
    """The level that answers this organisation's requests (central or province)."""
    return workflow.exception_granter(level_of(organisation))


def _standing(organisation, year):
    """The organisation's confirmation as stored, without writing one (pages call this while they
    render): one not made yet reads as open."""
    key = key_of(organisation)
    confirmation = db.session.scalar(
        select(Confirmation).where(Confirmation.academic_year_id == year.id, Confirmation.org_key == key)
    )
    if confirmation is None:
        confirmation = Confirmation(academic_year=year, org_level=level_of(organisation), state=workflow.OPEN)
    return confirmation


def needs_exception(organisation, year):
    """Why the organisation needs an exception to enter data now (a Thai sentence), or None: its
    data is open (not confirmed) and its deadline, and any exception granted, have passed. A
    returned organisation is told that it was returned after its deadline. Writes nothing, so the
    home page and the entry banner may call it."""
    if year is None:
        return None
    confirmation = _standing(organisation, year)
    window = workflow.window_for(confirmation)
    if confirmation.state == workflow.CONFIRMED or window.open or date.today() <= window.deadline:
        return None
    deadline = format_be_date(window.deadline)
    last = max(confirmation.transitions, key=lambda t: t.id, default=None) if confirmation.id else None
    if last is not None and last.action == "return":
        return _("Your data was returned for correction, but your deadline (%(date)s) has passed: ask for an "
                 "exception to correct it.", date=deadline)  # fmt: skip
    return _("Your deadline (%(date)s) has passed: ask for an exception to enter or correct data.", date=deadline)


def own_need():
    """For the signed-in user's own organisation this year: (why it needs an exception, its request
    waiting for an answer), or None when it needs none. The banner calls it only once entry has
    closed, so an open organisation's pages pay nothing for it."""
    organisation, year = own_organisation(), workflow.current_year()
    if organisation is None:
        return None
    need = needs_exception(organisation, year)
    return (need, pending_request(organisation, year)) if need else None


def pending_request(organisation, year):
    """The organisation's request waiting for its answer, if any."""
    return db.session.scalar(
        select(ExceptionRequest).where(
            ExceptionRequest.academic_year_id == year.id,
            ExceptionRequest.org_key == key_of(organisation),
            ExceptionRequest.state == REQUESTED,
        )
    )


def ask_for_exception(organisation, year, needed_until, reason):
    """The organisation's own account asks for entry to open again until ``needed_until``.
    Invalid without a reason or with a date already past; refused for another organisation's
    account (OutOfScope outside its area), while entry is open (or not yet open), once the data
    is confirmed (a return, not an exception, re-opens it), and while an earlier request waits."""
    node, level = current_node(), level_of(organisation)
    if (node.level, node.id) != (level, organisation.id):
        organisation_in_subtree(level, organisation.id)
        raise Refused([_("Only the organisation's own accounts ask for its exception.")])
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Write why you need the exception.")
    if needed_until is None or needed_until < date.today():
        errors["needed_until"] = _("The date you need must be today or later.")
    if errors:
        raise Invalid(errors)
    confirmation = workflow.confirmation_of(organisation, year, lock=True)  # one request at a time
    window = workflow.window_for(confirmation)
    reasons = []
    if confirmation.state == workflow.CONFIRMED:
        reasons.append(_("Your data is confirmed: an exception does not unlock it; ask the level above to return it."))
    elif window.open:
        reasons.append(_("Entry is open until %(date)s: no exception is needed.", date=format_be_date(window.deadline)))
    elif date.today() < window.opens:
        reasons.append(_("Entry opens on %(date)s.", date=format_be_date(window.opens)))
    waiting = pending_request(organisation, year)
    if waiting is not None:
        reasons.append(_("Your request of %(date)s is waiting for its answer: one request at a time.",
                         date=format_be_date(waiting.requested_on)))  # fmt: skip
    if reasons:
        raise Refused(reasons)
    request = ExceptionRequest(
        academic_year_id=year.id,
        org_key=key_of(organisation),
        org_level=level,
        reason=reason.strip(),
        needed_until=needed_until,
        state=REQUESTED,
        requested_on=now(),
        requested_by_id=current_user_id(),
    )
    setattr(request, level + "_id", organisation.id)
    db.session.add(request)
    db.session.flush()
    return _announce(request)


def _answerable(request):
    """The request read again and held until the transaction ends, once the acting user is known
    to be its granter: two answers cannot both pass."""
    workflow.require_granter(request.organisation)
    request = db.session.scalars(
        select(ExceptionRequest)
        .where(ExceptionRequest.id == request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if request.state != REQUESTED:
        raise Refused([_("This request has already been answered.")])
    return request


def _answer(request, state, reason):
    request.state, request.answer_reason = state, reason.strip()
    request.answered_on, request.answered_by_id = now(), current_user_id()
    db.session.flush()
    return _announce(request)


def grant_request(request, until, reason):
    """The granter opens entry for the organisation until ``until`` (workflow.grant_exception: its
    checks, its recorded step) and answers the request."""
    request = _answerable(request)
    workflow.grant_exception(request.organisation, request.academic_year, until, reason)
    request.granted_until = until
    return _answer(request, GRANTED, reason)


def refuse_request(request, reason):
    """The granter refuses, with a reason the organisation reads; its entry stays closed."""
    request = _answerable(request)
    if not (reason or "").strip():
        raise Invalid({"reason": _("Write the reason for refusing.")})
    return _answer(request, REFUSED, reason)


def request_in_scope(request_id):
    """The request a page or the API names, when its organisation is the reader's own or lies
    below it; OutOfScope otherwise (reads as not found)."""
    request = db.session.scalar(
        select(ExceptionRequest).where(ExceptionRequest.id == request_id, placed_in_subtree(ExceptionRequest))
    )
    if request is None:
        raise OutOfScope(_("You may only record data of your own organisation."))
    return request


def requests_of(organisation, year):
    """The organisation's own requests for the year, newest first, with their answers."""
    return list(
        db.session.scalars(
            select(ExceptionRequest)
            .where(ExceptionRequest.academic_year_id == year.id, ExceptionRequest.org_key == key_of(organisation))
            .order_by(ExceptionRequest.id.desc())
        )
    )


def requests_in_area(year, state=None):
    """Every request of the year in the reader's subtree (its own and those below), newest first."""
    query = select(ExceptionRequest).where(
        ExceptionRequest.academic_year_id == year.id, placed_in_subtree(ExceptionRequest)
    )
    if state is not None:
        query = query.where(ExceptionRequest.state == state)
    return list(db.session.scalars(query.order_by(ExceptionRequest.id.desc())))


def requests_to_answer(year):
    """The requests waiting for the reader's answer: in its subtree, of the levels it grants for,
    oldest first."""
    node = current_node()
    levels = [level for level in (PROVINCE, LAO, SCHOOL) if workflow.exception_granter(level) == node.level]
    if not levels or node.level not in (CENTRAL, *ORGANISATIONS):
        return []
    return list(
        db.session.scalars(
            select(ExceptionRequest)
            .where(
                ExceptionRequest.academic_year_id == year.id,
                ExceptionRequest.state == REQUESTED,
                ExceptionRequest.org_level.in_(levels),
                placed_in_subtree(ExceptionRequest),
            )
            .order_by(ExceptionRequest.id)
        )
    )


def as_dict(request):
    """A request for the REST API."""
    organisation = request.organisation
    return {
        "id": request.id,
        "org": organisation.code,
        "name": organisation.name_th,
        "level": request.org_level,
        "year": request.academic_year.year,
        "reason": request.reason,
        "needed_until": request.needed_until.isoformat(),
        "state": request.state,
        "requested_on": request.requested_on.isoformat(),
        "requested_by": request.requested_by.username if request.requested_by else None,
        "granted_until": request.granted_until.isoformat() if request.granted_until else None,
        "answer_reason": request.answer_reason,
        "answered_on": request.answered_on.isoformat() if request.answered_on else None,
        "answered_by": request.answered_by.username if request.answered_by else None,
        "granted_by_level": granting_level(organisation),
    }
