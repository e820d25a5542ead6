"""Faults answer in Thai, never with a framework page: a database that cannot be reached is a 503
with Retry-After (the load balancer's /health says the same), any other unexpected error a 500
carrying a short reference that the log carries too, so that a user who reads it out on the phone
leads support to the traceback. The REST API (/api/...) answers the same in JSON.

The page extends FAB's bare init.html, not the site layout, and is rendered without Flask's context
processors: the menu and Flask-Login's `current_user` ask the database, which may be what failed.
Whatever the request had begun in the session is rolled back."""

import logging
import secrets

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 60


def roll_back():
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection went with the server: drop the session instead
        log.warning("rollback failed after a fault", exc_info=True)
        db.session.remove()


def answer(status, title, message, reference=None, headers=None):
    if request.path.startswith("/api/"):
        body = {"message": str(message)}
        if reference:
            body["reference"] = reference
        return body, status, headers or {}
    template = current_app.jinja_env.get_template("lec/fault.html")  # no context processors: they load the user
    page = template.render(appbuilder=current_app.appbuilder, title=title, message=message, reference=reference)
    return page, status, headers or {}


def database_unreachable(error):
    """The database refused, dropped or timed out the connection (or the pool is exhausted)."""
    roll_back()
    log.warning("database unreachable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    return answer(
        503,
        _l("The system is temporarily unavailable"),
        _l(
            "The database cannot be reached at the moment, so this request was not saved. Please try again in a minute."
        ),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def unexpected(error):
    """Any error nothing else handled (Flask logs its traceback, with the request id, before this)."""
    roll_back()
    reference = secrets.token_hex(4)
    g.fault_reference = reference  # app/logs.py adds it to the request's line
    log.error("unexpected error, reference %s", reference)
    return answer(
        500,
        _l("Something went wrong"),
        _l(
            "The system could not complete this request, so it was not saved. Please try again; if it happens "
            "again, tell the support team this reference."
        ),
        reference=reference,
    )


def register(app):
    for database_fault in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(database_fault, database_unreachable)
    app.register_error_handler(500, unexpected)
