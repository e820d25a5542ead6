"""The change history on screens: the show page's ประวัติการแก้ไข panel labels and formats each
field as the screen that shows the record does, so it finds that screen by its endpoint."""

from flask import current_app

from ..audit import changed_fields, history_of, history_record, tracked_models
from ..thai import format_be_datetime


def screen(endpoint):
    """The registered screen whose endpoint (FAB's ``modelview_name``) this is, or None."""
    views = current_app.appbuilder.baseviews
    return next((view for view in views if getattr(view, "endpoint", None) == endpoint), None)


def record_history(modelview_name, pk):
    """For a Flask-AppBuilder show page: the history of the record it shows ([] for a model
    that has none). The view has already checked that the user may read the record."""
    model = getattr(getattr(screen(modelview_name), "datamodel", None), "obj", None)
    if model not in tracked_models():
        return []
    try:
        return history_of(model, int(pk))
    except (TypeError, ValueError):
        return []


def history_fields(entry, modelview_name=None):
    """The changed fields of an entry [(label, old, new)], labelled and formatted as the named
    screen does (app/audit.py's defaults when no screen is named)."""
    view = screen(modelview_name) if modelview_name else None
    return changed_fields(entry, getattr(view, "label_columns", None), getattr(view, "formatters_columns", None))


def install_history(app):
    """Make the history readable in templates (app/templates/lec/history.html): the globals
    ``record_history(modelview_name, pk)``, ``history_fields(entry, modelview_name)`` and
    ``history_record(entry)``, and the filter ``be_datetime``. Call once from create_app."""
    app.jinja_env.globals["record_history"] = record_history
    app.jinja_env.globals["history_fields"] = history_fields
    app.jinja_env.globals["history_record"] = history_record
    app.jinja_env.filters["be_datetime"] = format_be_datetime
