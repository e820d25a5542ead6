"""Form fields that speak Thai conventions: Buddhist-era dates, coded choices, shared rules."""

import flask_babel
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput, TextInput

from .choices import REMOVAL_REASONS, SPOT_CHECK_RESULTS
from .errors import Invalid
from .extensions import db
from .models import Lao, School
from .scope import readable
from .thai import format_be_date, parse_be_date, reads_english


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


class KeypadWidget(BS3TextFieldWidget):
    """A text box that tells a phone which keyboard to open (``inputmode``, ``type``)."""

    def __init__(self, **attributes):
        self.attributes = attributes

    def __call__(self, field, **kwargs):
        return super().__call__(field, **{**self.attributes, **kwargs})


def identifier_field(label, rule):
    """An identifier typed as printed on the card, dashes and spaces included: the box has no
    maxlength (the column's 13 would cut "1-1037-01554-35-5" short), ``rule`` stores the compact
    form, and phones open the numeric keypad."""
    return StringField(label, [InputRequired(), rule], widget=KeypadWidget(inputmode="numeric"))


def phone_field(label):
    """A telephone number, optional: phones open the dial pad."""
    return StringField(label, [Optional(), Length(max=30)], widget=KeypadWidget(type="tel", inputmode="tel"))


def flag_field(label):
    """A check box that may stay unticked (FAB would require a non-nullable Boolean ticked)."""
    return BooleanField(label, default=False)


def choice_field(label, choices, *validators, default=None):
    """``default`` a code, or a function called when an empty form is drawn (the acting user's)."""
    return SelectField(label, choices=choices, validators=list(validators), widget=Select2Widget(), default=default)


def count_field(label):
    """A head-count: a whole number, zero or more, zero until typed."""
    return IntegerField(label, [InputRequired(), NumberRange(min=0, message=_l("A count cannot be below zero."))],
                        default=0)  # fmt: skip


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


class ForgotPasswordForm(FlaskForm):
    """The sign-in page's "forgot password": the account is named by its username or email address."""

    identifier = StringField(_l("Username or email address"), [DataRequired(), Length(max=256)])


class NewPasswordForm(FlaskForm):
    """The page an emailed reset link opens."""

    password = PasswordField(_l("New password"), [DataRequired()])
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


class AskExceptionForm(FlaskForm):
    """An organisation past its deadline asks for an exception (app/exceptions.py)."""

    reason = TextAreaField(_l("Why you need the exception"), [DataRequired(), Length(max=1000)])
    needed_until = BuddhistDateField(
        _l("Entry needed until"), [InputRequired()], description=_l("Buddhist era, e.g. 16/05/2569")
    )


def readable_choices(model):
    """Select choices of the organisations of ``model`` the user may read, "name (code)" by code,
    computed when the form is built (a province officer is offered its own province's)."""

    def choices():
        name = model.name_en if reads_english() and hasattr(model, "name_en") else model.name_th
        query = select(model.id, name, model.code).where(readable(model)).order_by(model.code)
        rows = db.session.execute(query)
        return [("", "")] + [(str(row_id), "%s (%s)" % (name, code)) for row_id, name, code in rows]

    return choices


class SpotCheckForm(FlaskForm):
    """A province officer draws a spot check of one LAO or one school of its own: a number of
    learners or a percentage (app/spotcheck.py judges the size and the window)."""

    lao = SelectField(
        _l("Local administrative organisation"), choices=readable_choices(Lao), default="", widget=Select2Widget()
    )
    school = SelectField(_l("School or centre"), choices=readable_choices(School), default="", widget=Select2Widget())
    count = IntegerField(_l("Number of learners"), [Optional()])
    percent = IntegerField(_l("Percentage of the active learners"), [Optional()])

    def validate_school(self, field):
        if bool(self.lao.data) == bool(field.data):
            raise ValidationError(_("Choose one: a local administrative organisation or a school."))

    def target(self):
        model, row_id = (Lao, self.lao.data) if self.lao.data else (School, self.school.data)
        return db.session.get(model, int(row_id))


class SpotCheckRowForm(FlaskForm):
    """One sampled learner on the spot check's page: what was found, and a note."""

    class Meta:
        csrf = False  # a part of SpotCheckResultsForm, which carries the token

    item_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    result = SelectField(_l("Result"), choices=[("", "")] + SPOT_CHECK_RESULTS)
    note = StringField(_l("Note"), [Length(max=1000)])


class SpotCheckResultsForm(FlaskForm):
    """Every sampled learner's result, posted at once."""

    rows = FieldList(FormField(SpotCheckRowForm))


class RemovalForm(FlaskForm):
    """Taking learners out of the count: why, when and a note (app/learners.py checks the rules)."""

    reason = SelectField(
        _l("Reason for removal"),
        [DataRequired()],
        choices=lambda: [("", _("Choose a reason"))] + [(code, str(label)) for code, label in REMOVAL_REASONS],
    )
    removed_on = BuddhistDateField(_l("Removed on"), [InputRequired()], description=_l("Buddhist era, e.g. 16/05/2569"))
    note = TextAreaField(_l("Removal note"), [Length(max=1000)])


class ImportForm(FlaskForm):
    """A learner list to import: the school it belongs to (one of those the user may write) and
    the file. The importer checks the file itself (app/importer.py)."""

    school = SelectField(_l("School or centre"), coerce=lambda value: int(value) if value else None,
                         validators=[DataRequired()])  # fmt: skip
    file = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired()])


class ImportCommitForm(FlaskForm):
    """Importing the previewed rows: a POST with its CSRF token and nothing else."""
