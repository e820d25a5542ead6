"""Validation of learners' data: the rules every entry point shares.

Per-field checks return the cleaned value or raise ``Invalid``; ``validate`` checks a
whole row and runs again when rows are flushed, so the importer and the command line cannot
store what the forms and the REST API refuse."""

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from stdnum import exceptions as stdnum_errors
from stdnum.th import pin

from . import choices
from .errors import Invalid
from .models import Lao, School, Student

G_CODE = re.compile(r"^G\d{12}$")


def clean_national_id(value, field="id_number"):
    """13 digits with the check digit of the civil registry. Numbers starting with 0 (people
    without Thai civil registration) carry the same check digit, so they pass too."""
    number = pin.compact(value or "")
    try:
        return pin.validate(number)
    except stdnum_errors.InvalidLength:
        raise Invalid({field: _("A national ID has 13 digits.")}) from None
    except stdnum_errors.InvalidFormat:
        raise Invalid({field: _("A national ID may contain digits only.")}) from None
    except stdnum_errors.InvalidComponent:
        if number[0] == "0" and number[-1] == pin.calc_check_digit(number):
            return number
        raise Invalid({field: _("A national ID cannot start with %(digit)s.", digit=number[0])}) from None
    except stdnum_errors.InvalidChecksum:
        raise Invalid({field: _("The check digit of this national ID is wrong.")}) from None


def clean_g_code(value, field="id_number"):
    """G + 2-digit Buddhist-era year + 2-digit province code + 8-digit running number."""
    code = re.sub(r"[\s-]", "", value or "").upper()
    if not G_CODE.match(code):
        raise Invalid({field: _("A G code is the letter G followed by 12 digits, e.g. G644200000001.")})
    return code


def clean_identifier(kind, value, field="id_number"):
    if kind == "g_code":
        return clean_g_code(value, field)
    return clean_national_id(value, field)


def check_birth_date(value, field="birth_date", today=None):
    if value is not None and value > (today or date.today()):
        raise Invalid({field: _("The birth date cannot be in the future.")})
    return value


REQUIRED_STUDENT_FIELDS = (
    "academic_year",
    "school",
    "id_number",
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "class_level",
)


CODED_COLUMNS = {
    Lao: {"kind": choices.LAO_KINDS},
    School: {"kind": choices.SCHOOL_KINDS},
    Student: {
        "id_kind": choices.ID_KINDS,
        "sex": choices.SEXES,
        "class_level": choices.CLASS_LEVELS,
        "status": choices.STUDENT_STATUSES,
        "removal_reason": choices.REMOVAL_REASONS,
        "disadvantage": choices.DISADVANTAGES,
        "disability": choices.DISABILITIES,
    },
}


def check_codes(item):
    """Coded columns hold one of their codes (or nothing, where the column allows it)."""
    errors = {}
    for field, options in CODED_COLUMNS.get(type(item), {}).items():
        value = getattr(item, field)
        if value is not None and value not in choices.codes(options):
            errors[field] = _("Must be one of: %(codes)s.", codes=", ".join(c for c in choices.codes(options) if c))
    return errors


def validate(item):
    """Every rule for one row; raises Invalid naming each bad field."""
    errors = check_codes(item)
    if isinstance(item, Student):
        errors.update(student_errors(item))
    if errors:
        raise Invalid(errors)


def student_errors(student):
    """Normalises the learner's identifier; returns what must never be stored."""
    errors = {}
    for field in REQUIRED_STUDENT_FIELDS:
        value = getattr(student, field)
        if value is None and field in ("academic_year", "school"):
            value = getattr(student, field + "_id")  # set by id, as importers do
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = _("This field is required.")
    if "id_number" not in errors:
        try:
            student.id_number = clean_identifier(student.id_kind, student.id_number)
        except Invalid as error:
            errors.update(error.errors)
    try:
        check_birth_date(student.birth_date)
    except Invalid as error:
        errors.update(error.errors)
    return errors


@event.listens_for(Session, "before_flush")
def refuse_invalid_rows(session, flush_context, instances):
    """The last line: whatever entry point wrote the row, the rules hold when it is stored.
    A row carried over from an earlier system is checked only where it is being changed."""
    for obj in session.new:
        validate(obj)
    for obj in session.dirty:
        changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
        try:
            validate(obj)
        except Invalid as error:
            errors = {field: message for field, message in error.errors.items() if field in changed}
            if errors:
                raise Invalid(errors) from None
