"""Spreadsheet import of learners: a school's list as .xlsx or .csv, checked row by row with the
rules the forms use, previewed, then written in one transaction.

The upload is kept in the database (``ImportUpload``) between the preview and the commit, so any
app host can commit it. Every row becomes a learner through the ORM session, so the flush guards
(scope, the confirmation lock, validation, history) apply exactly as they do to the forms: the
importer cannot store what a form would refuse, nor write a confirmed school's data."""

import csv
import functools
import gc
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError

from . import choices, labels
from .context import change_reason, current_user_id, now
from .errors import AlreadyImported, Conflict, Invalid, Locked, OutOfScope
from .extensions import db
from .models import ImportUpload, Student
from .quality import validate
from .thai import parse_be_date


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the template's Thai header: part of the file format, so fixed (not translated)
    required: bool = False
    options: list | None = None  # coded column: its (code, label) choices


# The template's columns, in order. Headers are matched after removing spaces; the English field
# names and the screens' column labels (Thai and English) are accepted too.
COLUMNS = (
    Column("id_number", "เลขประจำตัวประชาชน/รหัส G", required=True),
    Column("id_kind", "ประเภทเลขประจำตัว", options=choices.ID_KINDS),
    Column("prefix", "คำนำหน้า", options=choices.PREFIXES),
    Column("first_name", "ชื่อ", required=True),
    Column("last_name", "นามสกุล", required=True),
    Column("sex", "เพศ", required=True, options=choices.SEXES),
    Column("birth_date", "วันเกิด", required=True),
    Column("nationality", "สัญชาติ"),
    Column("religion", "ศาสนา"),
    Column("class_level", "ชั้น", required=True, options=choices.CLASS_LEVELS),
    Column("room", "ห้อง"),
    Column("disadvantage", "ความด้อยโอกาส", options=choices.DISADVANTAGES),
    Column("disability", "ความพิการ", options=choices.DISABILITIES),
    Column("guardian_name", "ชื่อผู้ปกครอง"),
    Column("guardian_phone", "โทรศัพท์ผู้ปกครอง"),
)
BY_FIELD = {column.field: column for column in COLUMNS}
IGNORED_HEADERS = {"ลำดับ", "ลำดับที่", "ที่", "no", "no."}  # a running number many lists carry

# Other ways people write coded values, besides the code and its Thai and English labels.
ALIASES = {
    "id_kind": {"เลขประจำตัวประชาชน": "national_id", "บัตรประชาชน": "national_id", "รหัส G": "g_code",
                "G": "g_code"},
    "prefix": {"ด.ช.": "เด็กชาย", "ด.ญ.": "เด็กหญิง", "น.ส.": "นางสาว"},
    "sex": {"ช": "M", "ญ": "F"},
    "class_level": {
        "ศพด.": "cdc", "เด็กเล็ก": "cdc",
        **{"อ.%d" % n: "k%d" % n for n in range(1, 4)},
        **{"ป.%d" % n: "p%d" % n for n in range(1, 7)},
        **{"ประถมศึกษาปีที่ %d" % n: "p%d" % n for n in range(1, 7)},
        **{"ม.%d" % n: "m%d" % n for n in range(1, 7)},
        **{"มัธยมศึกษาปีที่ %d" % n: "m%d" % n for n in range(1, 7)},
        **{"ปวช.%d" % n: "v%d" % n for n in range(1, 4)},
    },
    "disadvantage": {"-": ""},
    "disability": {"-": ""},
}  # fmt: skip

EXAMPLE_ID = "1234567890121"  # the template's example row: a valid check digit, never a real person
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_SERIAL, LAST_EXCEL_SERIAL = 10000, 2958465  # 18/05/1927 and 31/12/9999
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.IGNORECASE)
PHONE_DIGITS = (8, 9)  # a Thai number that lost its leading 0 in a number cell
BATCH = 1000  # learners per flush when committing
SHOWN_ERRORS = 500  # errors listed on the preview page; the count covers them all


class FormulaWithoutValue:
    """A cell whose formula Excel never calculated (no cached value): its value is unknown."""


FORMULA_WITHOUT_VALUE = FormulaWithoutValue()


@contextmanager
def cycle_collection_paused():
    """Reading and writing thousands of rows allocates millions of short-lived objects, which
    reference counting frees; Python's cycle collector would meanwhile walk the growing heap of
    loaded learners again and again (measured: about half of a 10,000-row import). It pauses for
    the import and resumes afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _key(text):
    """How headers and coded values are compared: no spaces, no dots, any case."""
    return re.sub(r"[\s.\u200b]", "", str(text)).lower()


def _file_error(message):
    return Invalid({"file": message})


# -- the template ---------------------------------------------------------------------------------


def _thai_labels(options):
    with force_locale("th"):
        return [(code, str(label)) for code, label in options]


def template_workbook():
    """The .xlsx a school fills in: Thai headers, one example row, wide columns, text cells for
    identifiers, dates and telephones (so Excel keeps their leading zeros and does not reinterpret
    them), drop-down lists for coded columns and a second sheet listing their allowed values."""
    with force_locale("th"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Learner data")
        allowed = workbook.create_sheet(_("Allowed values"))
        example = {
            "id_number": EXAMPLE_ID, "id_kind": _thai_labels(choices.ID_KINDS)[0][1], "prefix": "เด็กหญิง",
            "first_name": "ปิ่นมณี", "last_name": "ชื่นชม", "sex": "หญิง", "birth_date": "01/06/2561",
            "nationality": "ไทย", "religion": "พุทธ", "class_level": "ป.1", "room": "1", "disadvantage": "",
            "disability": "", "guardian_name": "นางชื่นกมล ชื่นชม", "guardian_phone": "0812345678",
        }  # fmt: skip
        sheet.append([column.header for column in COLUMNS])
        sheet.append([example[column.field] for column in COLUMNS])
        bold = Font(bold=True)
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="808080")
        sheet.freeze_panes = "A2"
        coded = [column for column in COLUMNS if column.options]
        for index, column in enumerate(COLUMNS, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(14, len(column.header) + 4, len(str(example[column.field])) + 4)
            if column.field in ("id_number", "birth_date", "guardian_phone", "room"):
                sheet.column_dimensions[letter].number_format = "@"
                sheet.cell(row=2, column=index).number_format = "@"
        allowed.append([column.header for column in coded] + [BY_FIELD["birth_date"].header])
        values = [[label for _code, label in _thai_labels(column.options)] for column in coded]
        values.append([_("dd/mm/yyyy in the Buddhist era, e.g. 16/05/2562")])
        for row in range(max(len(v) for v in values)):
            allowed.append([v[row] if row < len(v) else None for v in values])
        for cell in allowed[1]:
            cell.font = bold
        for index, (column, labels_of_column) in enumerate(zip(coded, values, strict=False), start=1):
            letter = get_column_letter(index)
            allowed.column_dimensions[letter].width = max(len(text) for text in labels_of_column + [column.header]) + 4
            cells = "'%s'!$%s$2:$%s$%d" % (allowed.title, letter, letter, len(labels_of_column) + 1)
            rule = DataValidation(type="list", formula1=cells, allow_blank=True, showErrorMessage=False)
            sheet.add_data_validation(rule)
            target = get_column_letter(COLUMNS.index(column) + 1)
            rule.add("%s2:%s5000" % (target, target))
        allowed.column_dimensions[get_column_letter(len(coded) + 1)].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- reading a file -------------------------------------------------------------------------------


@dataclass
class Table:
    """A file's header mapped to fields, and its data rows as (spreadsheet row number, cells)."""

    positions: dict  # field → index of its cell in each row
    rows: object  # iterator of (row number, tuple of raw cell values)


def _header_lookup():
    lookup = {}
    for column in COLUMNS:
        names = [column.header, column.field]
        for locale in ("th", "en"):
            with force_locale(locale):
                names.append(str(labels.STUDENT[column.field]))
        for name in names:
            lookup.setdefault(_key(name), column.field)
    return lookup


def _match_headers(header_cells):
    """Map each header to a field. Missing required headers, unknown ones and repeated ones make
    one Thai error naming them all: the file is refused as a whole, no row is read."""
    lookup = _header_lookup()
    positions, unknown, repeated = {}, [], []
    for index, cell in enumerate(header_cells):
        if cell is None or not str(cell).strip():
            continue
        name = str(cell).strip()
        found = lookup.get(_key(name))
        if found is None:
            if _key(name) not in {_key(ignored) for ignored in IGNORED_HEADERS}:
                unknown.append(name)
        elif found in positions:
            repeated.append(name)
        else:
            positions[found] = index
    missing = [column.header for column in COLUMNS if column.required and column.field not in positions]
    problems = []
    if missing:
        problems.append(_("Required columns are missing: %(names)s.", names=", ".join(missing)))
    if unknown:
        problems.append(_("Unknown columns: %(names)s.", names=", ".join(unknown)))
    if repeated:
        problems.append(_("Columns given twice: %(names)s.", names=", ".join(repeated)))
    if problems:
        problems.append(_("Use the column headers of the template (download the template)."))
        raise _file_error(" ".join(problems))
    return positions


def _blank(cells):
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _numbered(rows, first=1):
    """(row number, cells) for each non-blank row: the header is the first non-blank row."""
    for number, cells in enumerate(rows, start=first):
        if not _blank(cells):
            yield number, tuple(cells)


def _table(rows):
    rows = _numbered(rows)
    header = next(rows, None)
    if header is None:
        raise _file_error(_("The file is empty."))
    return Table(_match_headers(header[1]), rows)


def _decode(content):
    """UTF-8 with or without BOM; otherwise the Thai Windows code page (cp874), as Excel saves
    "CSV" on a Thai Windows."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp874")
    except UnicodeDecodeError:
        raise _file_error(_("The file's text encoding could not be read; save it as CSV UTF-8 or as .xlsx.")) from None


def _csv_rows(content):
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise _file_error(_("The CSV file could not be read.")) from None


def _sheet_rows(content, data_only):
    """The first sheet's rows as values. openpyxl raises many kinds of errors on a damaged file;
    each is one Thai refusal."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some writers declare a million rows: read what is there
            yield from sheet.iter_rows(values_only=True)
        finally:
            workbook.close()
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 — a damaged upload, whatever openpyxl makes of it
        raise _file_error(_("The file could not be opened as an Excel workbook (.xlsx).")) from None


def _is_formula(cell):
    return isinstance(cell, (ArrayFormula, DataTableFormula)) or (isinstance(cell, str) and cell.startswith("="))


def _xlsx_rows(content):
    """The first sheet's rows with the values Excel saved. The sheet is read with its formulas;
    at the first formula the saved values are read alongside, row for row, and a formula Excel
    never calculated (no saved value) becomes FORMULA_WITHOUT_VALUE."""
    saved, saved_number, saved_cells = None, 0, ()
    for number, cells in enumerate(_sheet_rows(content, data_only=False), start=1):
        formulas = [i for i, cell in enumerate(cells) if _is_formula(cell)]
        if formulas:
            saved = saved or _sheet_rows(content, data_only=True)
            while saved_number < number:
                saved_cells, saved_number = next(saved, ()), saved_number + 1
            cells = list(cells)
            for index in formulas:
                value = saved_cells[index] if index < len(saved_cells) else None
                cells[index] = FORMULA_WITHOUT_VALUE if value is None else value
        yield cells


def read_table(filename, content):
    """The file's columns and rows; refuses, in Thai, a file that is too large, of another kind,
    unreadable, empty, or whose headers are not the template's."""
    limit = current_app.config["LEC_IMPORT_MAX_BYTES"]
    if len(content) > limit:
        raise _file_error(_("The file is larger than %(size)d MB.", size=limit // (1024 * 1024)))
    if not content:
        raise _file_error(_("The file is empty."))
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind == "xlsx":
        return _table(_xlsx_rows(content))
    if kind == "csv":
        return _table(_csv_rows(content))
    raise _file_error(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))


def check_file(filename, content):
    """Refuse at upload what no preview could use: the file-level errors, and a file with headers
    but no learner."""
    table = read_table(filename, content)
    if next(table.rows, None) is None:
        raise _file_error(_("The file has column headers but no learners."))


# -- turning cells into a learner's values ---------------------------------------------------------


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _identifier(value):
    """Digits without dashes or spaces. A number cell holds the identifier as a number: written
    back as digits, and a 12-digit one lost its leading 0 (the check digit decides if it fits)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\s\-\u2010-\u2015]", "", _text(value) or "")
    if SCIENTIFIC.match(text):
        raise Invalid(
            {"id_number": _("The spreadsheet shortened this identifier to %(value)s; format the column as "
                            "text and type it again.", value=text)}
        )  # fmt: skip
    if text.isdigit() and len(text) == 12:
        return "0" + text, True
    return text or None, False


def _phone(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = "%d" % value
        return "0" + digits if len(digits) in PHONE_DIGITS else digits
    return _text(value)


def _from_excel_serial(serial):
    """Days since 30/12/1899, as Excel counts; below 10000 (1927) it is no birth date but a
    mistyped one, and the user is told the expected form."""
    if not FIRST_SERIAL <= serial <= LAST_EXCEL_SERIAL:
        return parse_be_date("%s" % serial, "birth_date")  # refuses, with the dd/mm/yyyy hint
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _birth_date(value):
    """A Buddhist-era dd/mm/yyyy text, an Excel date cell (its year above 2400 means it was typed
    in the Buddhist era), or an Excel serial number, in a number cell or as text."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.year <= 2400:
            return value
        try:
            return value.replace(year=value.year - 543)
        except ValueError:
            raise Invalid({"birth_date": _("This date does not exist in the calendar.")}) from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_excel_serial(value)
    text = _text(value) or ""
    if re.fullmatch(r"\d{5}(\.\d*)?", text):
        return _from_excel_serial(float(text))
    return parse_be_date(text, "birth_date")


def _code_lookup(column):
    lookup = {}
    for locale in ("th", "en"):
        with force_locale(locale):
            for code, label in column.options:
                lookup.setdefault(_key(label), code)
    for code, _label in column.options:
        if code:
            lookup.setdefault(_key(code), code)
    for alias, code in ALIASES.get(column.field, {}).items():
        lookup.setdefault(_key(alias), code)
    return lookup


def _coded(column, lookup, value):
    text = _text(value)
    if text is None:
        return None
    code = lookup.get(_key(text))
    if code is None:
        allowed = ", ".join(label for _code, label in _thai_labels(column.options))
        raise Invalid({column.field: _("%(value)s is not one of: %(allowed)s.", value=text, allowed=allowed)})
    return code


def _optional_birth_date(value):
    return None if _text(value) is None else _birth_date(value)


def _reader(column):
    """The function that turns one of the column's cells into a learner's value."""
    if column.options:
        return functools.partial(_coded, column, _code_lookup(column))
    return {"birth_date": _optional_birth_date, "guardian_phone": _phone}.get(column.field, _text)


LENGTHS = {column.name: column.type.length for column in Student.__table__.c if getattr(column.type, "length", None)}


def _too_long(values):
    return {
        name: _("Too long: at most %(count)d characters.", count=LENGTHS[name])
        for name, value in values.items()
        if isinstance(value, str) and name in LENGTHS and len(value) > LENGTHS[name]
    }


# -- the preview ----------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the column's Thai header
    message: str


@dataclass
class ImportRow:
    """A valid row: the learner's values, and the recorded learner it updates, if any."""

    row: int
    values: dict
    existing: Student | None = None
    changes: dict = field(default_factory=dict)

    @property
    def action(self):
        if self.existing is None:
            return "new"
        return "update" if self.changes else "unchanged"


@dataclass
class Preview:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @functools.cached_property
    def counts(self):
        """Counted once the preview is complete."""
        return {
            "new": self.count("new"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "errors": len({error.row for error in self.errors}),
        }

    @property
    def writes(self):
        return [row for row in self.rows if row.action != "unchanged"]

    @property
    def shown_errors(self):
        return self.errors[:SHOWN_ERRORS]


def _same(old, new):
    return old == new or (old in (None, "") and new in (None, ""))


def recorded_learners(school_id, year_id):
    """The school's learners of the year by identifier, in one query: the import's key is the
    academic year, the school and the identifier."""
    learners = db.session.scalars(
        select(Student).where(Student.school_id == school_id, Student.academic_year_id == year_id).order_by(Student.id)
    )
    found = {}
    for learner in learners:
        found.setdefault(learner.id_number, learner)
    return found


def _learner_values(cells, readers, school_id, year_id):
    """One row's values as a validated learner's (a transient Student, never added to the session,
    runs app.quality's rules), the fields the row gave, and its errors as {field: Thai message}."""
    given, errors, padded = {}, {}, False
    for name, index, read in readers:
        raw = cells[index] if index < len(cells) else None
        if raw is FORMULA_WITHOUT_VALUE:
            errors[name] = _("This cell holds a formula with no saved value; copy the column and paste it as "
                             "values only.")  # fmt: skip
            continue
        try:
            if name == "id_number":
                value, padded = _identifier(raw)
            else:
                value = read(raw)
        except Invalid as error:
            errors.update(error.errors)
            continue
        if value is not None:
            given[name] = value
    errors.update({name: message for name, message in _too_long(given).items() if name not in errors})
    values = {"nationality": "ไทย", "status": "active", **given}
    values.setdefault("id_kind", "g_code" if str(given.get("id_number", "")).upper().startswith("G") else "national_id")
    student = Student(school_id=school_id, academic_year_id=year_id, **values)
    try:
        validate(student)
    except Invalid as error:
        for name, message in error.errors.items():
            errors.setdefault(name, message)
        if padded and "id_number" in error.errors:
            errors["id_number"] = _("A national ID has 13 digits.")
    values["id_number"] = student.id_number
    if values["id_number"] == EXAMPLE_ID:
        errors.setdefault("id_number", _("This is the template's example row; delete it."))
    values.update(school_id=school_id, academic_year_id=year_id)
    return values, set(given), errors


def preview_file(filename, content, school_id, year_id):
    """Every row checked as the forms check it, nothing written: the valid rows, each new, an
    update or unchanged against what the school has recorded this year, and the errors by row and
    column. An identifier given twice is an error on its later row."""
    with cycle_collection_paused():
        return _preview(read_table(filename, content), school_id, year_id)


def _preview(table, school_id, year_id):
    readers = [(name, index, _reader(BY_FIELD[name])) for name, index in table.positions.items()]
    recorded = recorded_learners(school_id, year_id)
    preview, first_row_of = Preview(), {}
    for number, cells in table.rows:
        values, given, errors = _learner_values(cells, readers, school_id, year_id)
        identifier = values["id_number"]
        if identifier and "id_number" not in errors:
            if identifier in first_row_of:
                errors["id_number"] = _("The same identifier is already on row %(row)d.", row=first_row_of[identifier])
            else:
                first_row_of[identifier] = number
        if errors:
            order = list(BY_FIELD)
            for name in sorted(errors, key=lambda n: order.index(n) if n in order else len(order)):
                header = BY_FIELD[name].header if name in BY_FIELD else ""
                preview.errors.append(RowError(number, header, str(errors[name])))
            continue
        existing = recorded.get(identifier)
        row = ImportRow(number, values, existing)
        if existing is not None:
            row.changes = {name: values[name] for name in given if not _same(getattr(existing, name), values[name])}
        preview.rows.append(row)
    if not preview.rows and not preview.errors:
        raise _file_error(_("The file has column headers but no learners."))
    return preview


def preview_upload(upload):
    return preview_file(upload.filename, upload.content, upload.school_id, upload.academic_year_id)


# -- storing and committing -----------------------------------------------------------------------


def store_upload(school, year, filename, content):
    """Keep an uploaded file for its preview and commit. The file-level checks run first, so what
    is kept can be previewed; the flush checks that the school is within the user's scope."""
    check_file(filename, content)
    upload = ImportUpload(
        school_id=school.id, academic_year_id=year.id, filename=filename[-255:], content=content,
        uploaded_by_id=current_user_id(), uploaded_on=now(),
    )  # fmt: skip
    db.session.add(upload)
    db.session.flush()
    return upload


def commit_upload(upload):
    """Write the valid rows of an upload in the current transaction, which the caller commits: new
    learners are added, recorded ones get their changed fields, unchanged ones are left alone. The
    history of each learner names the importing user and the file. All or nothing: when the school
    is locked (confirmed, or its entry window closed), outside the user's scope, or a row is refused
    at the flush, the transaction is rolled back and the refusal raised. An upload is imported once;
    a second time is refused."""
    session = db.session
    try:
        claimed = session.execute(
            update(ImportUpload)
            .where(ImportUpload.id == upload.id, ImportUpload.committed_on.is_(None))
            .values(committed_on=now())
        )  # fmt: skip
        if claimed.rowcount != 1:
            raise AlreadyImported(_("This file has already been imported."))
        preview = preview_upload(upload)
        writes = preview.writes
        with change_reason(_("Imported from file %(name)s", name=upload.filename)), cycle_collection_paused():
            for start in range(0, len(writes), BATCH):
                for row in writes[start : start + BATCH]:
                    if row.existing is None:
                        session.add(Student(**row.values))
                    else:
                        for name, value in row.changes.items():
                            setattr(row.existing, name, value)
                session.flush()
    except (Locked, OutOfScope, Invalid, Conflict):
        session.rollback()
        raise
    except (IntegrityError, DataError):
        session.rollback()
        raise Conflict(_("This conflicts with data already recorded (a duplicate code?).")) from None
    return preview


def import_file(filename, content, school, year, dry_run=False):
    """The command line's import: the preview, then (unless a dry run) the import of the same
    file, kept as an upload like the screens keep theirs; the caller commits."""
    if dry_run:
        return preview_file(filename, content, school.id, year.id)
    try:
        upload = store_upload(school, year, filename, content)
    except (Invalid, OutOfScope):
        db.session.rollback()
        raise
    return commit_upload(upload)
