"""Email, when the deployment has a mail server (MAIL_SERVER) and the account an address.

Standard library only (smtplib). A message about something the database records is queued with
``send_after_commit`` and leaves only when that transaction commits: a step taken in a savepoint
that is rolled back or a request that fails sends nothing. A mail server that is down never undoes
what was recorded: the failure is logged."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app

log = logging.getLogger("lec.mail")
OUTBOX = "lec_outbox"  # session.info key: [(transaction, message), ...] waiting for the commit


def enabled():
    return bool(current_app.config.get("MAIL_SERVER"))


def compose(to, subject, body):
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((config.get("MAIL_SENDER_NAME", "LEC"), config["MAIL_DEFAULT_SENDER"]))
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_now(to, subject, body):
    """Send one message; False (and nothing sent) with no mail server or no address."""
    if not (enabled() and to):
        return False
    return deliver([compose(to, subject, body)])


def deliver(messages):
    """Hand the messages to the mail server in one connection; True when it took them all."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for message in messages:
                smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as error:
        log.error("mail not sent: %s", error)
        return False


def send_after_commit(session, to, subject, body):
    """Queue a message that leaves when the session's current transaction (and every one it is
    nested in) commits, and is dropped if any of them rolls back."""
    if not (enabled() and to):
        return False
    session = session() if callable(session) else session  # Flask-SQLAlchemy's scoped session
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(OUTBOX, []).append((transaction, compose(to, subject, body)))
    return True


def _within(transaction, ancestor):
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def drop_rolled_back(session, previous_transaction):
    """A savepoint or transaction rolled back: what it queued is not sent."""
    outbox = session.info.get(OUTBOX)
    if outbox:
        outbox[:] = [(t, m) for t, m in outbox if not _within(t, previous_transaction)]


def send_committed(session):
    """The outermost transaction committed: send what it queued."""
    outbox = session.info.pop(OUTBOX, None)
    if outbox:
        deliver([message for _transaction, message in outbox])
