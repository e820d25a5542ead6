"""Who created and who last changed each row, stamped where rows are flushed.

Stamping in a session event (not in views) means every entry point — screens, REST API,
importer, command line — is covered without remembering to do it."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import Column, DateTime, ForeignKey, Integer, event
from sqlalchemy.orm import Session, declared_attr, relationship

_cli_actor = ContextVar("lec_cli_actor", default=None)


def now():
    return datetime.now()


@contextmanager
def acting_as(user_id):
    """Attribute command-line writes to a user (the CLI has no request)."""
    token = _cli_actor.set(user_id)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def current_user_id():
    if has_request_context():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return _cli_actor.get()


class AuditMixin:
    created_on = Column(DateTime, nullable=False, default=now)
    changed_on = Column(DateTime, nullable=False, default=now, onupdate=now)

    @declared_attr
    def created_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), index=True)

    @declared_attr
    def changed_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), index=True)

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=[cls.created_by_id], lazy="select")

    @declared_attr
    def changed_by(cls):
        return relationship("User", foreign_keys=[cls.changed_by_id], lazy="select")


@event.listens_for(Session, "before_flush")
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
    from . import db
    from .models import AuditEvent

    db.session.add(
        AuditEvent(
            occurred_on=now(),
            actor_id=actor_id if actor_id is not None else current_user_id(),
            action=action,
            target=str(target)[:200],
            detail=str(detail)[:1000],
            ip=request.remote_addr if has_request_context() else None,
        )
    )
