"""Password resets: by the level above, and by the person themselves through an emailed link.

By the level above (a province, an LAO, central) for an account of its own subtree that stands
below it: either a new one-time activation code, printed as one QR card (app/credentials.py), or a
temporary password shown once, which the person must replace at their next sign-in (the screens
open only the change-password form and the API refuses until then: app/pages/accounts.py). Either
way the old password stops working at once.

By the person ("forgot password"): an active account with a real email address is sent a link
that carries the account's id and a fingerprint of its current password hash, signed with the
application's secret and a timestamp. The link expires (LEC_RESET_LINK_MINUTES) and dies once used,
since the fingerprint no longer matches the new password. Whoever asks reads the same answer
whether an account exists or not: the caller says the same thing whatever this module did.

Every reset is recorded in the audit events; nothing here commits."""

import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from werkzeug.security import generate_password_hash

from . import mail
from .audit import record_event
from .context import acting_as, current_user_id, now
from .credentials import ALPHABET, reissue_for_accounts
from .errors import Invalid, OutOfScope, Refused, UnusableCode
from .extensions import db
from .models import LecUser
from .passwords import check_password
from .roles import RESET, ROLE_RANK, levels_holding
from .scope import current_node, readable

RESETTERS = levels_holding(RESET)  # the role table says who resets (app/roles.py)
SALT = "lec-password-reset"
UNDELIVERABLE = ".invalid"  # accounts made by credential sheets carry username@lec.invalid


def _rank(account):
    return max((ROLE_RANK.get(role.name, 0) for role in account.roles), default=0)


def _hash(password):
    config = current_app.config
    return generate_password_hash(
        password,
        method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def check_resettable(account):
    """Refuse a reset the resetter may not make: not their level's to make, their own account, an
    account outside their subtree (as not found), or one of equal or higher rank."""
    resetter = db.session.get(LecUser, current_user_id()) if current_user_id() else None
    if resetter is None or current_node().level not in RESETTERS:
        raise Refused([_("Your role may not reset passwords.")])
    if account.id == resetter.id:
        raise Refused([_("You cannot reset your own password here: change it on your own account page.")])
    in_subtree = db.session.scalar(select(LecUser.id).where(LecUser.id == account.id, readable(LecUser)))
    if in_subtree is None:
        raise OutOfScope(_("You may only record data of your own organisation."))
    if _rank(account) >= _rank(resetter):
        raise Refused([_("You may only reset the password of an account below your own level.")])


def reissue_cards(accounts):
    """Fresh cards for chosen accounts (the account lists' action), each one the user may reset: a
    card's code lets whoever holds it choose the account's password, so printing one for a
    colleague's or a superior's account would let the printer sign in as them."""
    for account in accounts:
        check_resettable(account)
    return reissue_for_accounts(accounts)


def _forget_password(account):
    """The old password stops working; a lockout from failed sign-ins ends with it."""
    account.locked_until = None
    account.fail_login_count = 0


def reset_with_code(account):
    """A new one-time activation code for one account, as the card to print or show once; the
    old password and any earlier code stop working. The person activates the account again with
    the code and chooses their own password."""
    check_resettable(account)
    if account.organisation is None:
        raise Refused([_("This account belongs to no organisation, so it has no card: give it a temporary "
                         "password instead.")])  # fmt: skip
    account.password = _hash(secrets.token_urlsafe(32))  # nobody knows it: only the code opens the account
    account.must_change_password = False
    _forget_password(account)
    [card] = reissue_for_accounts([account])
    record_event("password_reset_code", account.username, str(account.organisation))
    return card


def temporary_password():
    """Three groups of four letters and digits, without the ones read alike (0/O, 1/I/l), joined by
    dashes: easy to read aloud over the phone, and within the password rule."""
    alphabet = ALPHABET + ALPHABET.lower().replace("l", "")
    while True:
        password = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        if any(c.islower() for c in password) and any(c.isupper() for c in password):
            if any(c.isdigit() for c in password):
                return password


def reset_with_temporary_password(account):
    """A generated temporary password, to show once; the account must choose its own at its next
    sign-in. A disabled account is refused: the password would open nothing."""
    check_resettable(account)
    if not account.active:
        raise Refused([_("This account is disabled: give it an activation code instead, or enable it first.")])
    password = temporary_password()
    account.password = _hash(password)
    account.must_change_password = True
    _forget_password(account)
    record_event("password_reset_temporary", account.username, str(account.organisation or ""))
    return password


def own_password_changed(account):
    """The person chose their own password (FAB's change-password form): a temporary one is gone."""
    was_temporary = account.must_change_password
    account.must_change_password = False
    record_event("password_changed", account.username, _("replaced a temporary password") if was_temporary else "",
                 actor_id=account.id)  # fmt: skip


# -- by the person, with an emailed link ----------------------------------------------------------


class _Signer(TimestampSigner):
    """Links are timed by the application's clock (app/context.py), like every other deadline."""

    def get_timestamp(self):
        return int(now().timestamp())


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_Signer)


def fingerprint(account):
    """Changes whenever the password does, so that a link dies once used."""
    return hashlib.sha256((account.password or "").encode()).hexdigest()[:24]


def reset_token(account):
    return _serializer().dumps([account.id, fingerprint(account)])


def link_minutes():
    return int(current_app.config["LEC_RESET_LINK_MINUTES"])


def deliverable(address):
    address = (address or "").strip()
    return "@" in address and not address.lower().endswith(UNDELIVERABLE)


def request_reset(identifier, link_for):
    """Email a reset link to the active account whose username or email address is ``identifier``,
    when it has a deliverable address. ``link_for(token)`` makes the link's address. Returns
    nothing, whatever happened: the caller answers the same either way."""
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > 256:
        return
    account = db.session.scalar(
        select(LecUser).where(
            LecUser.active.is_(True),
            or_(LecUser.username == identifier, func.lower(LecUser.email) == identifier.lower()),
        )
    )
    if account is None or not deliverable(account.email):
        return
    minutes = link_minutes()
    body = _(
        "Someone (we hope you) asked to set a new password for the LEC account %(username)s.\n\n"
        "Open this link within %(minutes)d minutes to choose a new password; it works once:\n%(link)s\n\n"
        "If you did not ask, ignore this message: your password stays as it is.",
        username=account.username, minutes=minutes, link=link_for(reset_token(account)),
    )  # fmt: skip
    if mail.send_now(account.email, _("LEC: set a new password"), body):
        record_event("password_reset_requested", account.username, account.email)


def account_for_token(token):
    """The account a reset link opens, or UnusableCode saying why: expired, or used / not valid."""
    try:
        account_id, print_ = _serializer().loads(token, max_age=link_minutes() * 60)
    except SignatureExpired as error:
        raise UnusableCode(_("This link has expired. Ask for a new one on the sign-in page.")) from error
    except (BadSignature, TypeError, ValueError) as error:
        raise UnusableCode(_("This link has been used already or is not valid. Ask for a new one on the sign-in "
                             "page.")) from error  # fmt: skip
    account = db.session.get(LecUser, account_id) if isinstance(account_id, int) else None
    if account is None or not account.active or fingerprint(account) != print_:
        raise UnusableCode(_("This link has been used already or is not valid. Ask for a new one on the sign-in "
                             "page."))  # fmt: skip
    return account


def complete_reset(token, password):
    """Set the new password the link's holder chose: once, even under concurrent requests."""
    account = account_for_token(token)
    try:
        check_password(password or "")
    except Exception as error:  # FAB's PasswordComplexityValidationError
        raise Invalid({"password": str(error)}) from error
    spent = db.session.execute(
        update(LecUser)
        .where(LecUser.id == account.id, LecUser.password == account.password)
        .values(password=_hash(password), must_change_password=False, locked_until=None, fail_login_count=0)
        .execution_options(synchronize_session="fetch")
    )
    if spent.rowcount != 1:
        raise UnusableCode(_("This link has been used already or is not valid. Ask for a new one on the sign-in "
                             "page."))  # fmt: skip
    with acting_as(account.id):
        record_event("password_reset_completed", account.username, actor_id=account.id)
    return account
