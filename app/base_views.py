"""Base classes every LEC screen and REST API inherits.

They carry the cross-cutting behaviour once: the domain rules in ``app.quality`` run before a
row is added or changed, domain refusals become Thai messages (a flash on screens, a 400 JSON
body in the API), and lists have a stable order."""

import marshmallow
from flask_appbuilder import ModelRestApi, ModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from .errors import Invalid
from .quality import validate


class LecModelView(ModelView):
    """A generated screen. ``form_extra_fields`` applies to both add and edit forms."""

    form_extra_fields = {}
    base_order = ("id", "asc")
    page_size = 25

    def __init__(self, **kwargs):
        self.add_form_extra_fields = dict(self.form_extra_fields)
        self.edit_form_extra_fields = dict(self.form_extra_fields)
        super().__init__(**kwargs)

    def pre_add(self, item):
        validate(item)

    def pre_update(self, item):
        validate(item)


# Marshmallow's own messages, translated once for every API.
marshmallow.fields.Field.default_error_messages.update(
    {
        "required": _l("Missing data for required field."),
        "null": _l("Field may not be null."),
        "validator_failed": _l("Invalid value."),
    }
)
marshmallow.fields.String.default_error_messages["invalid"] = _l("Not a valid string.")
marshmallow.fields.Integer.default_error_messages["invalid"] = _l("Not a valid integer.")
marshmallow.fields.Date.default_error_messages["invalid"] = _l(
    "Not a valid date; the API takes ISO dates (yyyy-mm-dd, Christian era)."
)
marshmallow.fields.Boolean.default_error_messages["invalid"] = _l("Not a valid boolean.")
marshmallow.validate.Length.message_max = _l("Longer than maximum length {max}.")
marshmallow.validate.Length.message_min = _l("Shorter than minimum length {min}.")
marshmallow.validate.OneOf.default_message = _l("Must be one of: {choices}.")
marshmallow.Schema._default_error_messages = {
    **marshmallow.Schema._default_error_messages,
    "unknown": _l("Unknown field."),
    "type": _l("Invalid input type."),
}


CONFLICT = _l("This conflicts with data already recorded (a duplicate code?).")


class LecModelApi(ModelRestApi):
    """A REST resource under /api/v1/. Bad input is a 400 that names the field, in Thai."""

    allow_browser_login = True
    base_order = ("id", "asc")

    def pre_add(self, item):
        refuse_unknown_references(item)
        validate(item)

    def pre_update(self, item):
        refuse_unknown_references(item)
        validate(item)

    def response_422(self, message=None):
        """FAB answers 422 for schema errors (a dict per field) and for database errors (a
        string holding the database's English text); LEC answers 400, in Thai, either way."""
        if not isinstance(message, dict):
            message = str(CONFLICT)
        return self.response_400(message=message)

    def post_headless(self):
        try:
            return super().post_headless()
        except Invalid as error:
            return self.response_400(message=error.errors)
        except IntegrityError:
            return self.response_400(message=str(CONFLICT))

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except Invalid as error:
            return self.response_400(message=error.errors)
        except IntegrityError:
            return self.response_400(message=str(CONFLICT))


def refuse_unknown_references(item):
    """marshmallow-sqlalchemy turns an unknown id into a new, empty parent row; refuse it."""
    errors = {}
    for relation in inspect(type(item)).relationships:
        if relation.direction.name == "MANYTOONE":
            parent = getattr(item, relation.key)
            if parent is not None and not inspect(parent).persistent:
                errors[relation.key] = _("No such record.")
    if errors:
        raise Invalid(errors)
