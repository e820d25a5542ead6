"""Who is acting, why and what time it is: what every layer asks, so it sits below them all."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from flask import g, has_request_context, request

_cli_actor = ContextVar("lec_cli_actor", default=None)
_reason = ContextVar("lec_change_reason", default=None)


def now():
    return datetime.now()


@contextmanager
def _holding(variable, value):
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def acting_as(user_id):
    """Attribute command-line writes to a user (the CLI has no request)."""
    return _holding(_cli_actor, user_id)


def change_reason(reason):
    """Every history entry written inside the block carries this reason (a return, a correction)."""
    return _holding(_reason, reason)


def current_reason():
    return _reason.get()


def current_user_id():
    if has_request_context():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return _cli_actor.get()


def current_address():
    """The client's address when a request is acting (behind a proxy, as ProxyFix gives it)."""
    return request.remote_addr if has_request_context() else None
