"""The change history on screens: the show page's ประวัติการแก้ไข panel labels and formats each
field as the screen that shows the record does, so it finds that screen by its endpoint."""

from flask import current_app, request, url_for

from ..audit import changed_fields, history_page, history_record, tracked_models
from ..thai import format_be_datetime


def screen(endpoint):
    """The registered screen whose endpoint (FAB's ``modelview_name``) this is, or None."""
    views = current_app.appbuilder.baseviews
    return next((view for view in views if getattr(view, "endpoint", None) == endpoint), None)


HISTORY_PAGE = 20  # entries a show page lists at a time


def _entry_id(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def record_history(modelview_name, pk, before=None):
    """For a Flask-AppBuilder show page: the latest HISTORY_PAGE entries of the record it shows,
    or those after the entry ``before`` (the page's ``history_before``), as an audit.HistoryPage
    ([] for a model that has none). The view has already checked that the user may read the
    record; ``before`` only ever reads within that record's history."""
    model = getattr(getattr(screen(modelview_name), "datamodel", None), "obj", None)
    if model not in tracked_models():
        return []
    try:
        row_id = int(pk)
    except (TypeError, ValueError):
        return []
    return history_page(model, row_id, HISTORY_PAGE, before=_entry_id(before))


def earlier_history_url(earlier):
    """This page again, listing the history entries after the entry ``earlier``."""
    args = {**request.args.to_dict(), **(request.view_args or {}), "history_before": earlier}
    return url_for(request.endpoint, **args) + "#lec-history"


def history_fields(entry, modelview_name=None):
    """The changed fields of an entry [(label, old, new)], labelled and formatted as the named
    screen does (app/audit.py's defaults when no screen is named)."""
    view = screen(modelview_name) if modelview_name else None
    return changed_fields(entry, getattr(view, "label_columns", None), getattr(view, "formatters_columns", None))


def install_history(app):
    """Make the history readable in templates (app/templates/lec/history.html): the globals
    ``record_history(modelview_name, pk)``, ``history_fields(entry, modelview_name)`` and
    ``history_record(entry)`` and ``earlier_history_url(earlier)``, and the filter ``be_datetime``.
    Call once from create_app."""
    app.jinja_env.globals["record_history"] = record_history
    app.jinja_env.globals["earlier_history_url"] = earlier_history_url
    app.jinja_env.globals["history_fields"] = history_fields
    app.jinja_env.globals["history_record"] = history_record
    app.jinja_env.filters["be_datetime"] = format_be_datetime
