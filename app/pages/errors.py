"""The one map from a domain refusal (app/errors.py) to its answer, so that no page catches one.

On the REST API (/api/...) a refusal is a status and a Thai JSON body; on a screen its Thai message
is flashed (or set on the form's fields) and the page the request registered with ``on_refusal`` is
shown again with the status, or else the user is sent back. A refusal outside the user's area reads
as not found, so as not to tell what exists. Whatever the request had begun is rolled back first."""

from dataclasses import dataclass
from typing import Callable

from flask import current_app, flash, g, make_response, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from ..errors import (
    AlreadyImported,
    AppendOnly,
    Conflict,
    Invalid,
    LecError,
    Locked,
    OutOfScope,
    ReadOnlyReplica,
    Refused,
    UnusableCode,
)
from ..extensions import db
from ..faults import roll_back

# The first class a refusal is an instance of gives its status; any other LecError is bad input.
STATUS = (
    (Invalid, 400),
    (AlreadyImported, 409),  # before Conflict: the upload's state, not the input, refuses it
    (Conflict, 400),
    (OutOfScope, 404),
    (UnusableCode, 404),
    (Locked, 409),
    (Refused, 409),
    (AppendOnly, 409),
    (ReadOnlyReplica, 409),
)
PAGE_NOT_FOUND = _l("The page or record was not found.")
PAGE_NOT_FOUND_WHY = _l(
    "It may belong to an organisation outside your area, or the link may be wrong. Open it again from the menu."
)
ROLE_REFUSED = _l("Your role may not open this page.")
ROLE_REFUSED_WHY = _l(
    "The menu shows the pages your role may open. If you need this one, ask the officer who manages your account."
)
NOT_FOUND = _l("Not found, or outside your area.")


def status_of(refusal):
    return next((status for kind, status in STATUS if isinstance(refusal, kind)), 400)


def reasons_of(refusal):
    if isinstance(refusal, Refused):
        return refusal.reasons
    if isinstance(refusal, Invalid):
        return [str(message) for message in refusal.errors.values()]
    return [str(refusal)]


def api_answer(refusal, sentence=False):
    """The JSON body and status: a message per field for bad input, "not found" outside the user's
    area, else the reasons as a list, or as one ``sentence`` (FAB's generic CRUD answers so)."""
    roll_back()
    status = status_of(refusal)
    if isinstance(refusal, Invalid):
        message = {field: str(text) for field, text in refusal.errors.items()}
    elif isinstance(refusal, OutOfScope):
        message = str(NOT_FOUND)
    else:
        message = str(refusal) if sentence else reasons_of(refusal)
    return {"message": message}, status


@dataclass
class Refusal:
    """What a screen shows when a domain call of this request is refused (``on_refusal``)."""

    render: Callable
    form: object = None
    status: int = None
    explains: bool = False


def on_refusal(render, form=None, status=None, explains=False):
    """Register the page to show again if a domain call later in this request is refused: ``form``
    takes the messages of bad input on its fields; ``status`` replaces the map's when the page
    answers every refusal of its form as bad input; a page that ``explains`` the refusal itself
    gets no flash."""
    g.lec_refusal = Refusal(render, form, status, explains)


def screen_answer(refusal):
    roll_back()
    if isinstance(refusal, OutOfScope):
        return not_found(refusal)
    shown = g.pop("lec_refusal", None)
    form = shown.form if shown else None
    if isinstance(refusal, Invalid) and form is not None:
        for field, message in refusal.errors.items():
            if field in form:
                form[field].errors = [*form[field].errors, str(message)]
            else:
                flash(str(message), "danger")
    elif not (shown and shown.explains):
        for reason in reasons_of(refusal):
            flash(str(reason), "danger")
    if shown is None:
        return redirect(request.referrer or current_app.appbuilder.get_url_for_index)
    response = make_response(shown.render())
    if response.status_code == 200:
        response.status_code = shown.status or status_of(refusal)
    return response


def answer(refusal):
    if request.path.startswith("/api/"):
        return api_answer(refusal)
    return screen_answer(refusal)


def each_alone(items, step):
    """Run ``step`` on each item in a transaction of its own (a list action's rows): yields each
    item with None when done, or with its refusal."""
    for item in items:
        try:
            step(item)
            db.session.commit()
            yield item, None
        except LecError as refusal:
            db.session.rollback()
            yield item, refusal


def refused_page(panel_id, message, explanation, status):
    if request.path.startswith("/api/"):
        return {"message": str(message)}, status
    appbuilder = current_app.appbuilder
    page = render_template("lec/refused.html", appbuilder=appbuilder, base_template=appbuilder.base_template,
                           panel_id=panel_id, message=message, explanation=explanation)  # fmt: skip
    return page, status


def not_found(error):
    """A Thai page for an address that leads nowhere, or to a record outside the reader's area
    (scoped fetches answer 404 alike, so as not to tell what exists); the REST API answers JSON."""
    return refused_page("not-found", PAGE_NOT_FOUND, PAGE_NOT_FOUND_WHY, 404)


def forbidden(error):
    """A Thai page instead of the framework's English "Forbidden" when a signed-in user opens a
    screen their role has no permission for (FAB aborts with 403; a visitor not signed in is sent
    to the sign-in page instead)."""
    return refused_page("forbidden", ROLE_REFUSED, ROLE_REFUSED_WHY, 403)


def register(app):
    app.register_error_handler(404, not_found)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(LecError, answer)
