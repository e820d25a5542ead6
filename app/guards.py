"""Every SQLAlchemy session listener of LEC, in the one order they run. Each module exposes its
guard as a plain function; create_app installs them here, so no import order decides it.

before_flush, in this order:
1. stamp who created and who changed each row;
2. refuse changes to the append-only tables, and read for the history what only the database
   still knows;
3. refuse writes outside the acting user's subtree;
4. refuse rows that break the data rules;
5. refuse writes to what a confirmation locked;
6. refuse deleting learners (they are removed from the count, never deleted).
The first refusal raised is the one a user reads, so this order is part of the behaviour.
after_flush: the history is written once every before_flush listener has run; then the stored
data-quality findings of the learners written are checked again (app/quality.py); then the new year's
confirmations are opened; then each workflow step just written notifies whom it concerns
(app/notifications.py); then changes to roles, accounts, the rows search forms offer and the academic
years are noted for the caches (app/security.py, app/pages/base.py, app/workflow.py), which the commit
clears. The commit also drops
the unread counts of the notifications it wrote or read, and sends the mail the transaction queued;
a rollback (of a savepoint too) drops what it queued."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import audit, exceptions, learners, mail, notifications, quality, scope, security, transfers, workflow
from .pages import base

GUARDS = [
    ("before_flush", audit.stamp_authors),
    ("before_flush", audit.prepare_history),
    ("before_flush", scope.refuse_out_of_scope_writes),
    ("before_flush", quality.refuse_invalid_rows),
    ("before_flush", workflow.refuse_locked_writes),
    ("before_flush", learners.refuse_deleting_learners),
    ("after_flush", audit.write_history),
    ("after_flush", quality.keep_findings_current),
    ("after_flush", workflow.open_the_current_year),
    ("after_flush", notifications.notify_transitions),
    ("after_flush", security.note_permission_changes),
    ("after_flush", base.note_choice_changes),
    ("after_flush", workflow.note_year_changes),
    ("do_orm_execute", audit.refuse_bulk_append_only_changes),
    ("do_orm_execute", learners.refuse_bulk_learner_deletes),
    ("after_commit", security.forget_permissions),
    ("after_commit", base.forget_search_forms),
    ("after_commit", workflow.forget_shown_year),
    ("after_commit", notifications.forget_unread),
    ("after_commit", mail.send_committed),
    ("after_soft_rollback", mail.drop_rolled_back),
]


# The domain's own announcements: a transfer's steps notify the schools concerned, an exception
# request's the level that grants it and then the organisation that asked.
ANNOUNCEMENTS = [
    (transfers.LISTENERS, notifications.notify_transfer),
    (exceptions.LISTENERS, notifications.notify_exception_request),
]


def install():
    """Listen on every session and to the domain's announcements, once however many apps are created."""
    for name, guard in GUARDS:
        if not event.contains(Session, name, guard):
            event.listen(Session, name, guard)
    for listeners, listener in ANNOUNCEMENTS:
        if listener not in listeners:
            listeners.append(listener)
