"""The inbox: what happened that an account should know, and email when it has an address.

One row per recipient account (models.Notification): its kind, the organisation it is about, the
parameters of its words (shown in the reader's language when read; the email is Thai), a link to
where to act, and when it was read. Every step of the confirmation workflow notifies through
``notify_transitions``, a session listener (app/guards.py) on the new Transition rows: whichever
entry point takes the step (a screen, a list action, the API, the command line), the
notifications are written in the same transaction, and their emails leave only when it commits
(app/mail.py), so a step taken in a rolled-back savepoint tells nobody (workflow.next_steps only
tries steps, and makes no transition).

Other features notify with one call: ``notify(kind, organisation, ...)`` for the active accounts
of an organisation (central's when it is None), ``notify_accounts(kind, account_ids, ...)`` for
named accounts. The deadline reminders (``send_deadline_reminders``, `flask lec remind`) go once
per organisation and day; ``remind`` is the level above's own reminder to one organisation."""

from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, insert, or_, select, true, update

from . import exceptions, mail, transfers, workflow
from .caches import kept_for
from .context import current_user_id, now
from .errors import Refused
from .extensions import db
from .levels import CENTRAL, LAO, ORGANISATIONS, PROVINCE, SCHOOL, key_of, level_of, org_key
from .models import AcademicYear, Confirmation, Lao, LecUser, Notification, School, Transition
from .scope import RANK, current_node, organisation_in_subtree
from .thai import format_be_date

# The words of each kind: a title (the inbox's line, the email's subject) and the text. Their
# parameters: name (the organisation it is about), actor (who took the step), actor_org (their
# organisation), reason, date (Buddhist era), days, year; features that add kinds may add others.
TEXTS = {
    "returned": (
        _l("Returned for correction: %(name)s"),
        _l(
            "%(actor_org)s returned the data of %(name)s for the academic year %(year)s for correction. "
            "Reason: %(reason)s (by %(actor)s)"
        ),
    ),
    "exception_asked": (
        _l("Entry exception asked: %(name)s"),
        _l("%(name)s asks to re-open entry until %(date)s. Reason: %(reason)s (by %(actor)s)"),
    ),
    "exception_granted": (
        _l("Entry re-opened until %(date)s: %(name)s"),
        _l("%(actor_org)s re-opened entry for %(name)s until %(date)s. Reason: %(reason)s (by %(actor)s)"),
    ),
    "exception_refused": (
        _l("Entry exception refused: %(name)s"),
        _l("%(actor_org)s refused to re-open entry for %(name)s. Reason: %(reason)s (by %(actor)s)"),
    ),
    "transfer_asked": (
        _l("Transfer asked: %(learner)s"),
        _l("%(actor_org)s asks to transfer %(learner)s from %(name)s. (by %(actor)s)"),
    ),
    "transfer_accepted": (
        _l("Transfer accepted: %(learner)s"),
        _l("%(actor_org)s accepted the transfer of %(learner)s. (by %(actor)s)"),
    ),
    "transfer_declined": (
        _l("Transfer declined: %(learner)s"),
        _l("%(actor_org)s declined the transfer of %(learner)s. Reason: %(reason)s (by %(actor)s)"),
    ),
    "confirmed_below": (
        _l("%(name)s confirmed its data"),
        _l("%(name)s confirmed its data for the academic year %(year)s (by %(actor)s)."),
    ),
    "confirmed_above": (
        _l("%(name)s confirmed your data"),
        _l("%(name)s confirmed the data of its area for the academic year %(year)s, yours included (by %(actor)s)."),
    ),
    "deadline": (
        _l("Deadline in %(days)s days: %(name)s"),
        _l(
            "%(name)s has not confirmed its data for the academic year %(year)s yet. The deadline is "
            "%(date)s, %(days)s days from now."
        ),
    ),
    "remind": (
        _l("Reminder from %(actor_org)s: %(name)s"),
        _l(
            "%(actor_org)s asks %(name)s to check and confirm its data for the academic year %(year)s "
            "by %(date)s (%(days)s days left). (by %(actor)s)"
        ),
    ),
}
BOARD = "/workflow/board"  # where every workflow notification leads: the reader's own board
DEFAULT_DAYS = (7, 3, 1)
EMAIL_LANGUAGE = "th"  # accounts keep no language of their own: their email is Thai
CHUNK = 5000


class _Params(dict):
    def __missing__(self, key):
        return ""


def words(kind, params):
    """The title and text of a notification in the current language."""
    title, text = TEXTS[kind]
    params = _Params(params or {})
    return str(title) % params, str(text) % params


def deliverable(address):
    """An address mail can go to: accounts issued on a credential sheet hold a placeholder under the
    reserved .invalid domain until their owner activates them with a real one."""
    address = (address or "").strip()
    return bool(address) and "@" in address and not address.lower().endswith(".invalid")


# -- writing ------------------------------------------------------------------------------------


def _about(organisation):
    """The organisation columns of a notification about this province, LAO or school (or none)."""
    columns = {"org_level": None, "province_id": None, "lao_id": None, "school_id": None}
    if organisation is not None:
        level = level_of(organisation)
        columns.update(org_level=level, **{level + "_id": organisation.id})
    return columns


def _write(session, kind, accounts, about, params, link, occasion=None):
    """One notification per account ((id, email) pairs) in the session's transaction, and an email
    to each deliverable address when it commits. Returns the recipients' ids."""
    return _write_many(session, kind, [(accounts, about, params, occasion)], link)


def _write_many(session, kind, batches, link):
    """``_write`` for many (accounts, about, params, occasion) at once: one INSERT for them all."""
    created, rows = now(), []
    for accounts, about, params, occasion in batches:
        rows.extend(
            dict(recipient_id=account_id, kind=kind, params=params, link=link, occasion=occasion,
                 created_on=created, **about)
            for account_id, _email in accounts
        )  # fmt: skip
    if not rows:
        return []
    session.connection().execute(insert(Notification.__table__), rows)
    _unread_changed(session, [row["recipient_id"] for row in rows])
    for accounts, _about, params, _occasion in batches:
        _email(session, kind, [email for _id, email in accounts], params, link)
    return [row["recipient_id"] for row in rows]


def _email(session, kind, addresses, params, link):
    addresses = [address for address in addresses if deliverable(address)]
    if not (addresses and mail.enabled()):
        return
    with force_locale(EMAIL_LANGUAGE):
        title, text = words(kind, params)
        footer = _("Open LEC to act on it: %(url)s", url=current_app.config["LEC_BASE_URL"].rstrip("/") + (link or "/"))
    for address in addresses:
        mail.send_after_commit(session, address, "LEC: " + title, "%s\n\n%s\n" % (text, footer))


def _accounts(session, condition, exclude=None):
    """(id, email) of the active accounts the condition selects, but the one excluded (the actor)."""
    query = select(LecUser.id, LecUser.email).where(LecUser.active.is_(True), condition).order_by(LecUser.id)
    if exclude is not None:
        query = query.where(LecUser.id != exclude)
    return [tuple(row) for row in session.execute(query)]


def accounts_of(level, org_id):
    """SQL condition: the accounts standing at this organisation (central's: level CENTRAL)."""
    if level == CENTRAL:
        return LecUser.org_level == CENTRAL
    return getattr(LecUser, level + "_id") == org_id


def notify(kind, organisation, link=BOARD, occasion=None, **params):
    """Notify the active accounts of an organisation (a Province, Lao or School row; None: central)
    in the current transaction, but the acting user; email each with an address once it commits.
    Returns the recipients' ids. ``params`` fill the kind's words (TEXTS); ``name`` defaults to the
    organisation's name, ``actor`` and ``actor_org`` to the acting user's and their organisation's."""
    session = db.session()
    level, org_id = (level_of(organisation), organisation.id) if organisation is not None else (CENTRAL, None)
    params = _defaults(session, organisation, params)
    accounts = _accounts(session, accounts_of(level, org_id), exclude=current_user_id())
    return _write(session, kind, accounts, _about(organisation), _plain(params), link, occasion)


def notify_accounts(kind, account_ids, organisation=None, link=BOARD, **params):
    """Notify these accounts (those still active) about an organisation; see ``notify``."""
    session = db.session()
    params = _defaults(session, organisation, params)
    accounts = _accounts(session, LecUser.id.in_(list(account_ids))) if account_ids else []
    return _write(session, kind, accounts, _about(organisation), _plain(params), link)


def _defaults(session, organisation, params):
    """The organisation's name, the acting user's name and organisation, unless given."""
    given = {"name": organisation.name_th} if organisation is not None else {}
    return {**given, **_actor(session, current_user_id()), **params}


def _plain(params):
    return {key: str(value) if value is not None else "" for key, value in params.items()}


# -- the workflow's steps -------------------------------------------------------------------------

ABOVE = {SCHOOL: (LAO, lambda org: org.lao_id), LAO: (PROVINCE, lambda org: org.province_id),
         PROVINCE: (CENTRAL, lambda org: None)}  # fmt: skip
# The accounts one level below an organisation that has confirmed: its schools', its LAOs'.
BELOW = {LAO: lambda org_id: LecUser.school_id.in_(select(School.id).where(School.lao_id == org_id)),
         PROVINCE: lambda org_id: LecUser.lao_id.in_(select(Lao.id).where(Lao.province_id == org_id))}  # fmt: skip


def _actor(session, actor_id):
    """The actor's name and their organisation's, as the words show them."""
    actor = session.get(LecUser, actor_id) if actor_id is not None else None
    if actor is None:
        return {"actor": _("the system"), "actor_org": _("Central (Department of Local Administration)")}
    organisation = actor.organisation
    return {
        "actor": " ".join(filter(None, (actor.first_name, actor.last_name))) or actor.username,
        "actor_org": organisation.name_th if organisation is not None
        else _("Central (Department of Local Administration)"),
    }  # fmt: skip


def notify_transitions(session, flush_context):
    """A session listener (after_flush): each workflow step just written notifies whom it concerns.
    A return tells the returned organisation why and who; an exception tells it until when; a
    confirmation tells the level above ("X confirmed") and the level below ("your LAO/province
    confirmed your data"). A take-back tells nobody."""
    steps = [obj for obj in session.new if isinstance(obj, Transition) and obj.action != "take_back"]
    for step in sorted(steps, key=lambda step: step.id):
        confirmation = step.confirmation
        level = confirmation.org_level
        organisation = session.get(ORGANISATIONS[level], getattr(confirmation, level + "_id"))
        year = session.get(AcademicYear, confirmation.academic_year_id)
        params = {"name": organisation.name_th, "year": year.year, **_actor(session, step.actor_id)}
        about = _about(organisation)
        if step.action == "return":
            params["reason"] = step.reason or ""
            accounts = _accounts(session, accounts_of(level, organisation.id), step.actor_id)
            _write(session, "returned", accounts, about, _plain(params), BOARD)
        elif step.action == "exception":
            params.update(reason=confirmation.exception_reason or "", date=format_be_date(confirmation.exception_until))
            accounts = _accounts(session, accounts_of(level, organisation.id), step.actor_id)
            _write(session, "exception_granted", accounts, about, _plain(params), BOARD)
        elif step.action == "confirm":
            above, parent_id = ABOVE[level]
            accounts = _accounts(session, accounts_of(above, parent_id(organisation)), step.actor_id)
            _write(session, "confirmed_below", accounts, about, _plain(params), BOARD)
            if level in BELOW:
                accounts = _accounts(session, BELOW[level](organisation.id), step.actor_id)
                _write(session, "confirmed_above", accounts, about, _plain(params), BOARD)


# -- reminders ------------------------------------------------------------------------------------


def _reminded(session, occasions):
    """The occasions among these that some notification was already sent for."""
    occasions, sent = sorted(occasions), set()
    for start in range(0, len(occasions), CHUNK):
        chunk = occasions[start : start + CHUNK]
        sent.update(session.scalars(select(Notification.occasion).where(Notification.occasion.in_(chunk)).distinct()))
    return sent


def send_deadline_reminders(today=None, days=DEFAULT_DAYS):
    """Remind every organisation that has not confirmed this year's data and whose deadline (or
    granted exception) is one of ``days`` days after ``today``: a notification (and email) to each of
    its active accounts, once per organisation and day however often it runs (each is sent for the
    occasion "deadline:<day>:<organisation>", which the database holds unique per account).
    Set-based: one query per level finds the organisations and their accounts, one per 5,000 finds
    those already reminded, one INSERT writes them all. Returns how many organisations were
    reminded now."""
    today = today or date.today()
    session = db.session()
    # Concurrent runs (cron overlapping a manual one) take turns on the year's row (PostgreSQL).
    year = session.scalar(select(AcademicYear).where(AcademicYear.is_current).with_for_update())
    if year is None or year.entry_opens > today:
        return 0
    targets = {today + timedelta(days=n): n for n in sorted(set(days)) if n >= 0}
    due = {}  # occasion → (level, organisation id, name, deadline, [(account id, email)])
    for level, model in ORGANISATIONS.items():
        deadline = getattr(year, workflow.DEADLINE[level])
        until = Confirmation.exception_until
        extended = and_(until.is_not(None), until > deadline)
        rows = session.execute(
            select(model.id, model.name_th, until, LecUser.id, LecUser.email)
            .select_from(Confirmation)
            .join(model, getattr(Confirmation, level + "_id") == model.id)
            .join(LecUser, and_(getattr(LecUser, level + "_id") == model.id, LecUser.active.is_(True)))
            .where(
                Confirmation.academic_year_id == year.id,
                Confirmation.org_level == level,
                Confirmation.state != workflow.CONFIRMED,
                or_(
                    and_(~extended, true() if deadline in targets else false()),
                    and_(extended, until.in_(list(targets))),
                ),
            )
            .order_by(model.id, LecUser.id)
        ).all()
        for org_id, name, exception_until, account_id, email in rows:
            last = max(deadline, exception_until) if exception_until else deadline
            occasion = "deadline:%s:%s" % (today.isoformat(), org_key(level, org_id))
            due.setdefault(occasion, (level, org_id, name, last, []))[4].append((account_id, email))
    sent = _reminded(session, due)
    batches = []
    for occasion, (level, org_id, name, last, accounts) in sorted(due.items()):
        if occasion not in sent:
            params = {"name": name, "year": year.year, "date": format_be_date(last), "days": targets[last]}
            about = {"org_level": level, "province_id": None, "lao_id": None, "school_id": None, level + "_id": org_id}
            batches.append((accounts, about, _plain(params), occasion))
    _write_many(session, "deadline", batches, BOARD)
    return len(batches)


def remind(organisation, today=None):
    """The level above reminds one organisation one level below it (a province one of its LAOs,
    an LAO one of its schools, central a province) to confirm: its active accounts are notified
    (and emailed). Refused for any other organisation (OutOfScope outside the reader's subtree),
    once it has confirmed, a second time the same day, or when it has no active account. Returns
    the recipients' ids."""
    today = today or date.today()
    node, level = current_node(), level_of(organisation)
    if RANK.get(node.level) is None or RANK[level] != RANK[node.level] + 1:
        raise Refused([_("You may remind only an organisation one level below your own.")])
    organisation = organisation_in_subtree(level, organisation.id)
    year = workflow.current_year()
    if year is None:
        raise Refused([_("No academic year is current.")])
    confirmation = workflow.confirmation_of(organisation, year)
    name = organisation.name_th
    if confirmation.state == workflow.CONFIRMED:
        raise Refused([_("%(name)s has already confirmed its data.", name=name)])
    occasion = "remind:%s:%s" % (today.isoformat(), key_of(organisation))
    if _reminded(db.session, [occasion]):
        raise Refused([_("%(name)s was already reminded today.", name=name)])
    window = workflow.window_for(confirmation, today)
    session = db.session()
    params = {"name": name, "year": year.year, "date": format_be_date(window.deadline),
              "days": max(window.days_left, 0), **_actor(session, current_user_id())}  # fmt: skip
    accounts = _accounts(session, accounts_of(level, organisation.id))
    if not accounts:
        raise Refused([_("%(name)s has no active account to remind.", name=name)])
    return _write(session, "remind", accounts, _about(organisation), _plain(params), BOARD, occasion)


# -- the inbox ----------------------------------------------------------------------------------

PAGE_SIZE = 50


def inbox(page=0, user_id=None):
    """The reader's own notifications, newest first, a page at a time; and whether more follow."""
    user_id = user_id or current_user_id()
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.recipient_id == user_id)
        .order_by(Notification.id.desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


UNREAD = {}  # reader's id → (expires, unread count): the bell on every page


def unread_count(user_id=None):
    """How many of the reader's notifications are unread: one query on the (recipient, read_on)
    index, kept for ``LEC_USER_CACHE_SECONDS``; a notification written or read in this process
    drops its reader's count at once, one written by another process shows within that time."""
    user_id = user_id or current_user_id()
    if user_id is None:
        return 0
    return kept_for(UNREAD, user_id, current_app.config["LEC_USER_CACHE_SECONDS"], lambda: db.session.scalar(
        select(func.count(Notification.id)).where(Notification.recipient_id == user_id, Notification.read_on.is_(None))
    ))  # fmt: skip


def _unread_changed(session, readers):
    session.info.setdefault("lec_unread_changed", set()).update(readers)


def forget_unread(session):
    """After a commit, the readers whose notifications it wrote or read count them again."""
    for reader in session.info.pop("lec_unread_changed", ()):
        UNREAD.pop(reader, None)


def open_notification(notification_id, user_id=None):
    """Mark one of the reader's own notifications read and return it; None when it is not theirs
    (or does not exist), so that nobody learns of another's."""
    user_id = user_id or current_user_id()
    notification = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.recipient_id == user_id)
    )
    if notification is not None and notification.read_on is None:
        notification.read_on = now()
        _unread_changed(db.session, [user_id])
    return notification


def read_all(user_id=None):
    """Mark every unread notification of the reader read; returns how many."""
    user_id = user_id or current_user_id()
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_on.is_(None))
        .values(read_on=now())
        .execution_options(synchronize_session=False)
    )
    _unread_changed(db.session, [user_id])
    return result.rowcount


# -- transfers between schools (app/transfers.py announces each step) ------------------------------

TRANSFERS = "/transfers/"


def notify_transfer(step, request):
    """A transfer asked: the old school (and its LAO when the LAO answers now, the old school being
    locked or late: the request says which); answered: the receiving school. A withdrawn request
    tells nobody: nobody has to act on it any more."""
    learner = " ".join(filter(None, (request.student.prefix, request.student.first_name, request.student.last_name)))
    old, new = request.from_school, request.to_school
    if step == transfers.ASKED:
        answerer = transfers.who_answers(request)
        deciders = [old] + ([answerer.organisation] if answerer and answerer.organisation is not old else [])
        for organisation in deciders:
            notify("transfer_asked", organisation, TRANSFERS, learner=learner, name=old.name_th)
    elif step == transfers.ACCEPTED:
        notify("transfer_accepted", new, TRANSFERS, learner=learner)
    elif step == transfers.DECLINED:
        notify("transfer_declined", new, TRANSFERS, learner=learner, reason=request.decline_reason)


# -- exception requests (app/exceptions.py announces each step) ----------------------------------

EXCEPTIONS = "/exceptions/"


def notify_exception_request(request):
    """Asked: the accounts of the level that grants it (central's, or the organisation's province
    when the setting says so). Refused: the organisation, with the reason. Granted: the grant is a
    workflow step, which notify_transitions already announces to the organisation."""
    organisation = request.organisation
    if request.state == exceptions.REQUESTED:
        granter = None  # central's accounts
        if exceptions.granting_level(organisation) == PROVINCE:  # an LAO's or a school's province
            granter = organisation.lao.province if isinstance(organisation, School) else organisation.province
        notify("exception_asked", granter, EXCEPTIONS, name=organisation.name_th,
               date=format_be_date(request.needed_until), reason=request.reason)  # fmt: skip
    elif request.state == exceptions.REFUSED:
        notify("exception_refused", organisation, EXCEPTIONS, reason=request.answer_reason)
