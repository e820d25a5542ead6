"""Form fields that speak Thai conventions: Buddhist-era dates, coded choices, shared rules."""

import flask_babel
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length
from wtforms.widgets import TextInput

from .errors import Invalid
from .thai import format_be_date, parse_be_date


class BuddhistDateWidget(TextInput):
    def __call__(self, field, **kwargs):
        kwargs.update({"class": "form-control", "placeholder": _("dd/mm/yyyy (B.E.)")})
        return super().__call__(field, **kwargs)


class BuddhistDateField(Field):
    """A date typed as dd/mm/2569 (Buddhist era) and shown the same way."""

    widget = BuddhistDateWidget()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_be_date(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_be_date(valuelist[0], self.name)
            except Invalid as error:
                raise ValueError(error.errors[self.name]) from None


def date_field(label, *validators):
    """Pair with InputRequired, not DataRequired: DataRequired hides why a typed date was refused."""
    return BuddhistDateField(label, validators=list(validators), description=_l("Buddhist era, e.g. 16/05/2569"))


def choice_field(label, choices, *validators):
    return SelectField(label, choices=choices, validators=list(validators), widget=Select2Widget())


class Rule:
    """Runs a rule from app.quality as a form validator, so forms and the API share it.

    ``with_fields`` names other form fields passed to the rule before the value
    (e.g. the identifier kind before the identifier)."""

    def __init__(self, check, *with_fields):
        self.check = check
        self.with_fields = with_fields

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        others = [form[name].data for name in self.with_fields]
        try:
            field.data = self.check(*others, field.data, field=field.name)
        except Invalid as error:
            raise ValidationError(error.errors[field.name]) from None


def _catalog_translations(meta, form):
    """WTForms' own messages come from LEC's catalog: Flask-WTF looks only in WTForms' bundled
    catalogs, which have no Thai."""
    return flask_babel.get_translations()


FlaskForm.Meta.get_translations = _catalog_translations


class ActivationForm(FlaskForm):
    """What a person registers when they first open their QR code (the circular's ลงทะเบียน)."""

    first_name = StringField(_l("First name"), [DataRequired(), Length(max=64)])
    last_name = StringField(_l("Last name"), [DataRequired(), Length(max=64)])
    position = StringField(_l("Position"), [DataRequired(), Length(max=200)])
    phone = StringField(_l("Telephone"), [DataRequired(), Length(max=30)])
    email = StringField(_l("Email"), [DataRequired(), Email(), Length(max=320)])
    password = PasswordField(_l("Password"), [DataRequired()])
    conf_password = PasswordField(
        _l("Confirm Password"), [DataRequired(), EqualTo("password", message=_l("Passwords must match"))]
    )


class ReasonForm(FlaskForm):
    """Returning an organisation needs a written reason; the levels below read it."""

    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=1000)])


class ExceptionForm(ReasonForm):
    until = BuddhistDateField(
        _l("Entry open until"), [InputRequired()], description=_l("Buddhist era, e.g. 16/05/2569")
    )
