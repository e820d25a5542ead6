"""Who is acting and what time it is: what every layer asks, so it sits below them all."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from flask import g, has_request_context, request

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


def current_address():
    """The client's address when a request is acting (behind a proxy, as ProxyFix gives it)."""
    return request.remote_addr if has_request_context() else None
