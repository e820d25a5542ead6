"""Spreadsheet import of learners (app/importer.py, the ImportView screens, `flask lec import-students`).

A school uploads its list as .xlsx or .csv (UTF-8 with or without BOM, or cp874) made from the
template; every row is checked with the forms' rules, the preview lists the errors by row and
column, and the valid rows are written in one transaction on confirmation. Importing the same file
again updates; a locked school or a school outside the user's scope gets nothing written.

Imported learners carry identifiers made for the test and are deleted afterwards with the uploads,
so the shared demo data stays as it was."""

import csv
import io
import itertools
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale, gettext
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from sqlalchemy import delete, func, select, text
from stdnum.th import pin

from app.audit import HistoryEntry
from app.context import acting_as
from app.demo import current_academic_year_be
from app.errors import AlreadyImported, Invalid, Locked, OutOfScope
from app.extensions import db
from app.importer import (
    COLUMNS,
    check_file,
    commit_upload,
    import_file,
    preview_file,
    store_upload,
    template_workbook,
)
from app.models import AcademicYear, ImportUpload, School, Student
from app.workflow import CONFIRMED, confirmation_of

from conftest import SCHOOL_OF, new_national_id, visible_text

SCHOOL = SCHOOL_OF["school"]  # the `school` account's own school
NEIGHBOUR = "1050130002"  # another school of the same LAO
HEADERS = [column.header for column in COLUMNS]
ID, FIRST_NAME, BIRTH_DATE, CLASS_LEVEL, SEX = "เลขประจำตัวประชาชน/รหัส G", "ชื่อ", "วันเกิด", "ชั้น", "เพศ"
SEEDS = itertools.count(9_100_000)


# -- helpers --------------------------------------------------------------------------------------


def thai(message, **values):
    """A message as the Thai catalog renders it."""
    with force_locale("th"):
        return gettext(message, **values)


def year():
    return db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))


def school(code=SCHOOL):
    return db.session.scalar(select(School).where(School.code == code))


def _user(username):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username)


def as_account(username):
    return acting_as(_user(username).id)


def p1_birth_date():
    """A birth date that fits ป.1 this academic year (6 full years on 16 May), in the Buddhist era."""
    return "01/06/%d" % (current_academic_year_be(date.today()) - 7)


def learner(identifier, **changes):
    values = {
        "id_number": identifier, "id_kind": "", "prefix": "เด็กหญิง", "first_name": "ปิ่นมณี", "last_name": "ชื่นชม",
        "sex": "หญิง", "birth_date": p1_birth_date(), "nationality": "ไทย", "religion": "พุทธ", "class_level": "ป.1",
        "room": "1", "disadvantage": "", "disability": "", "guardian_name": "นางชื่นกมล ชื่นชม",
        "guardian_phone": "0812345678",
    }  # fmt: skip
    values.update(changes)
    return [values[column.field] for column in COLUMNS]


def csv_file(rows, encoding="utf-8-sig", headers=HEADERS):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_saved_value(content, coordinate, value):
    """The workbook as Excel saves it after calculating: the formula in ``coordinate`` keeps the
    value it computed (openpyxl writes formulas without one)."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # an empty value as openpyxl writes it: <v/> with its own writer, <v></v> with lxml's
                cell = re.compile(rb'<c r="%s"><f>(.*?)</f>(?:<v ?/>|<v></v>)</c>' % coordinate.encode())
                data = cell.sub(lambda m: b'<c r="%s" t="str"><f>%s</f><v>%s</v></c>' % (
                    coordinate.encode(), m.group(1), value.encode()), data)  # fmt: skip
            target.writestr(item, data)
    return out.getvalue()


def preview(content, filename="learners.csv", code=SCHOOL):
    return preview_file(filename, content, school(code).id, year().id)


def errors_of(result):
    return [(error.row, error.column, error.message) for error in result.errors]


def learners_with(identifiers):
    return db.session.scalars(select(Student).where(Student.id_number.in_(identifiers)).order_by(Student.id)).all()


def zero_id(seed):
    """A 13-digit identifier starting with 0 (people without Thai civil registration)."""
    body = "0" + "%011d" % (seed * 7919 % 10**11)
    return body + pin.calc_check_digit(body)


@pytest.fixture
def ids(app):
    """ids() → a new identifier; what was imported under it, and every upload, is deleted afterwards
    (the tests share the demo database)."""
    made = []

    def new(maker=new_national_id):
        made.append(maker(next(SEEDS)))
        return made[-1]

    yield new
    with app.app_context():
        db.session.rollback()
        connection = db.session.connection()  # the tables themselves: no screen or hook deletes a learner
        connection.execute(delete(Student.__table__).where(Student.__table__.c.id_number.in_(made)))
        connection.execute(delete(ImportUpload.__table__))
        db.session.commit()


@pytest.fixture
def open_again(app):
    """Every confirmation back to open and the year's deadlines restored after the test."""
    with app.app_context():
        deadline = year().school_deadline
    yield
    with app.app_context():
        db.session.rollback()
        db.session.execute(text("UPDATE confirmation SET state = 'open', exception_until = NULL"))
        year().school_deadline = deadline
        db.session.commit()


# -- the template ---------------------------------------------------------------------------------


def test_the_template_has_thai_headers_an_example_row_and_the_allowed_values(ctx):
    book = load_workbook(io.BytesIO(template_workbook()))
    sheet, allowed = book.worksheets
    assert [cell.value for cell in sheet[1]] == [
        "เลขประจำตัวประชาชน/รหัส G", "ประเภทเลขประจำตัว", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ", "วันเกิด", "สัญชาติ",
        "ศาสนา", "ชั้น", "ห้อง", "ความด้อยโอกาส", "ความพิการ", "ชื่อผู้ปกครอง", "โทรศัพท์ผู้ปกครอง",
    ]  # fmt: skip
    example = {header: cell.value for header, cell in zip(HEADERS, sheet[2], strict=True)}
    assert example[FIRST_NAME] == "ปิ่นมณี" and example[CLASS_LEVEL] == "ป.1" and example[BIRTH_DATE] == "01/06/2561"
    assert sheet.column_dimensions["A"].width >= 20
    columns = {cell.value: [row[index].value for row in allowed.iter_rows(min_row=2)] for index, cell in
               enumerate(allowed[1])}  # fmt: skip
    assert {"ป.1", "อนุบาล 1", "ม.6", "ปวช.3", "เด็กเล็ก (ศพด.)"} <= set(columns[CLASS_LEVEL])
    assert {"ชาย", "หญิง"} <= set(columns[SEX])
    assert "รหัสประจำตัวผู้เรียน (รหัส G)" in columns["ประเภทเลขประจำตัว"]


def test_the_template_s_example_row_is_never_imported(ctx):
    result = preview(template_workbook(), "template.xlsx")
    assert errors_of(result) == [(2, ID, thai("This is the template's example row; delete it."))]
    assert result.rows == []


# -- reading files --------------------------------------------------------------------------------


def test_an_xlsx_list_is_previewed_without_writing_and_imported_as_new_learners(ids, ctx):
    first, second = ids(), ids()
    content = xlsx_file([learner(first), learner(int(second), first_name="ชื่นกมล", sex="F", class_level="อ.3")])
    result = preview(content, "list.xlsx")
    assert result.counts == {"new": 2, "update": 0, "unchanged": 0, "errors": 0}
    assert learners_with([first, second]) == []
    with as_account("school"):
        import_file("list.xlsx", content, school(), year())
    stored = learners_with([first, second])
    assert [(s.first_name, s.class_level, s.sex, s.id_kind) for s in stored] == [
        ("ปิ่นมณี", "p1", "F", "national_id"), ("ชื่นกมล", "k3", "F", "national_id"),
    ]  # fmt: skip
    assert stored[0].birth_date == date(year().year - 543 - 7, 6, 1) and stored[0].guardian_phone == "0812345678"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp874"])
def test_a_csv_list_is_read_in_utf8_with_or_without_bom_and_in_the_thai_windows_code_page(ids, ctx, encoding):
    identifier = ids()
    content = csv_file([learner(identifier, first_name="ปิ่นมณี", last_name="ชื่นชม", guardian_name="นางสาวศิริกัญญา ทิพย์เนตร")],
                       encoding)  # fmt: skip
    assert content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    result = preview(content)
    assert result.errors == []
    values = result.rows[0].values
    assert (values["first_name"], values["last_name"], values["guardian_name"]) == (
        "ปิ่นมณี", "ชื่นชม", "นางสาวศิริกัญญา ทิพย์เนตร",
    )  # fmt: skip


def test_bad_rows_are_reported_by_row_number_and_column_with_thai_messages(ids, ctx):
    good, other = ids(), ids()
    wrong_digit = other[:-1] + str((int(other[-1]) + 1) % 10)
    content = csv_file([
        learner(good),                                   # row 2
        learner(wrong_digit),                            # row 3
        learner(ids(), birth_date="01/06/2018"),         # row 4: a Christian-era year
        learner(ids(), first_name=""),                   # row 5
        learner(ids(), class_level="ป.9"),               # row 6
        learner(good),                                   # row 7: the identifier of row 2 again
        [""] * len(HEADERS),                             # row 8: blank, skipped
        learner(ids(), sex="X"),                         # row 9
    ])  # fmt: skip
    result = preview(content)
    assert result.counts == {"new": 1, "update": 0, "unchanged": 0, "errors": 6}
    found = errors_of(result)
    assert [(row, column) for row, column, _message in found] == [
        (3, ID), (4, BIRTH_DATE), (5, FIRST_NAME), (6, CLASS_LEVEL), (7, ID), (9, SEX),
    ]  # fmt: skip
    messages = {row: message for row, _column, message in found}
    assert "หลักตรวจสอบ" in messages[3]
    assert "พุทธศักราช" in messages[4] and "2561" in messages[4]
    assert messages[5] == "จำเป็นต้องกรอกข้อมูลในช่องนี้"
    assert "ป.9" in messages[6] and "ป.1" in messages[6] and "อนุบาล 1" in messages[6]
    assert messages[7] == thai("The same identifier is already on row %(row)d.", row=2)


@pytest.mark.parametrize(
    "filename, content",
    [
        ("empty.csv", b""),
        ("bom.csv", b"\xef\xbb\xbf"),
        ("blank.csv", b"\r\n ,, \r\n"),
        ("empty.xlsx", None),
    ],
)
def test_an_empty_file_is_refused_in_thai(ctx, filename, content):
    content = xlsx_file([], headers=[]) if content is None else content
    with pytest.raises(Invalid) as refused:
        check_file(filename, content)
    assert refused.value.errors == {"file": thai("The file is empty.")}


def test_a_file_with_headers_and_no_learner_is_refused_in_thai(ctx):
    with pytest.raises(Invalid) as refused:
        check_file("headers.csv", csv_file([]))
    assert refused.value.errors == {"file": thai("The file has column headers but no learners.")}


def test_wrong_or_missing_headers_are_one_thai_error_naming_them(ids, ctx):
    headers = ["เลขประจำตัว", "ชื่อ", "นามสกล", "เพศ", "วันเกิด", "ชั้น"]
    content = csv_file([[ids(), "ปิ่นมณี", "ชื่นชม", "หญิง", p1_birth_date(), "ป.1"]], headers=headers)
    with pytest.raises(Invalid) as refused:
        preview(content)
    assert list(refused.value.errors) == ["file"]
    message = refused.value.errors["file"]
    assert thai("Required columns are missing: %(names)s.", names="เลขประจำตัวประชาชน/รหัส G, นามสกุล") in message
    assert thai("Unknown columns: %(names)s.", names="เลขประจำตัว, นามสกล") in message


def test_headers_match_without_spaces_and_as_english_field_names_and_a_running_number_is_ignored(ids, ctx):
    headers = ["ลำดับ", " เลขประจำตัวประชาชน / รหัส G ", "first_name", "last_name", "Sex", "วัน เกิด", "ระดับชั้น"]
    content = csv_file([["1", ids(), "ปิ่นมณี", "ชื่นชม", "F", p1_birth_date(), "p1"]], headers=headers)
    result = preview(content)
    assert result.errors == [] and result.counts["new"] == 1


def test_other_files_are_refused_in_thai(ctx):
    with pytest.raises(Invalid) as refused:
        check_file("learners.txt", b"whatever")
    assert refused.value.errors == {"file": thai("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")}
    with pytest.raises(Invalid) as refused:
        check_file("learners.xlsx", b"not a zip file")
    assert refused.value.errors == {"file": thai("The file could not be opened as an Excel workbook (.xlsx).")}


def test_a_file_above_the_size_limit_is_refused_in_thai(app, ctx):
    limit = app.config["LEC_IMPORT_MAX_BYTES"]
    assert limit == 20 * 1024 * 1024 and app.config["MAX_CONTENT_LENGTH"] >= limit
    with pytest.raises(Invalid) as refused:
        check_file("big.csv", b" " * (limit + 1))
    assert refused.value.errors == {"file": thai("The file is larger than %(size)d MB.", size=20)}


# -- cells ------------------------------------------------------------------------------------------


def test_coded_columns_take_the_thai_label_a_short_form_or_the_code(ids, ctx):
    g_code = "G%02d5000000123" % (year().year % 100)
    rows = [
        learner(ids(), sex="ชาย", prefix="ด.ช.", class_level="อนุบาล 1", disadvantage="ยากจน", disability="ไม่มี"),
        learner(ids(), sex="F", class_level="อ.2", disability="ออทิสติก"),
        learner(ids(), sex="M", prefix="เด็กชาย", class_level="k3"),
        learner(ids(), class_level="ประถมศึกษาปีที่ 3"),
        learner(ids(), class_level="ม. 1", prefix="นางสาว"),
        learner(ids(), class_level="ปวช.1"),
        learner(ids(), class_level="เด็กเล็ก (ศพด.)"),
        learner(g_code, id_kind="รหัส G", nationality="เมียนมา"),
    ]
    result = preview(csv_file(rows))
    assert result.errors == []
    got = [{k: row.values.get(k) for k in ("sex", "prefix", "class_level", "disadvantage", "disability", "id_kind")}
           for row in result.rows]  # fmt: skip
    assert [row["class_level"] for row in got] == ["k1", "k2", "k3", "p3", "m1", "v1", "cdc", "p1"]
    assert got[0] == {"sex": "M", "prefix": "เด็กชาย", "class_level": "k1", "disadvantage": "poor", "disability": "",
                      "id_kind": "national_id"}  # fmt: skip
    assert got[1]["disability"] == "autism" and got[7]["id_kind"] == "g_code"


def test_an_identifier_starting_with_g_is_taken_as_a_g_code_when_its_kind_is_blank(ctx):
    result = preview(csv_file([learner("g%02d5000000124" % (year().year % 100))]))
    assert result.errors == [] and result.rows[0].values["id_kind"] == "g_code"
    assert result.rows[0].values["id_number"] == "G%02d5000000124" % (year().year % 100)


def test_dates_are_read_from_buddhist_era_text_excel_serials_and_excel_date_cells(ids, ctx):
    rows = [
        learner(ids(), birth_date="01/06/2562"),             # Buddhist-era text
        learner(ids(), birth_date=43831),                    # an Excel serial number: 01/01/2020
        learner(ids(), birth_date=datetime(2019, 6, 1)),     # an Excel date cell
        learner(ids(), birth_date=datetime(2562, 6, 2)),     # a date cell typed with the Buddhist-era year
        learner(ids(), birth_date="2561"),                   # a year alone: refused with the expected form
    ]  # fmt: skip
    result = preview(xlsx_file(rows), "dates.xlsx")
    assert [row.values["birth_date"] for row in result.rows] == [
        date(2019, 6, 1), date(2020, 1, 1), date(2019, 6, 1), date(2019, 6, 2),
    ]  # fmt: skip
    assert errors_of(result) == [(6, BIRTH_DATE, thai("Enter the date as dd/mm/yyyy in the Buddhist era, e.g. "
                                                      "16/05/2569."))]  # fmt: skip
    from_csv = preview(csv_file([learner(ids(), birth_date="43831")]))
    assert from_csv.rows[0].values["birth_date"] == date(2020, 1, 1)


def test_identifiers_from_number_cells_keep_all_13_digits_and_a_lost_leading_zero(ids, ctx):
    as_int, as_float, leading_zero = ids(), ids(), ids(zero_id)
    other = zero_id(next(SEEDS))
    twelve_digits = other[1:-1] + str((int(other[-1]) + 1) % 10)  # 12 digits that are no identifier
    rows = [
        learner(int(as_int)),
        learner(float(as_float)),
        learner(int(leading_zero), nationality="ไม่ระบุ"),  # the cell shows 12 digits: Excel dropped the 0
        learner(int(twelve_digits)),
    ]
    result = preview(xlsx_file(rows), "numbers.xlsx")
    assert [row.values["id_number"] for row in result.rows] == [as_int, as_float, leading_zero]
    assert errors_of(result) == [(5, ID, thai("A national ID has 13 digits."))]


def test_identifiers_lose_their_dashes_and_a_number_shortened_by_excel_is_explained(ids, ctx):
    identifier = ids()
    dashed = "%s-%s-%s-%s-%s" % (identifier[0], identifier[1:5], identifier[5:10], identifier[10:12], identifier[12])
    result = preview(csv_file([learner(dashed), learner("1.23457E+12")]))
    assert result.rows[0].values["id_number"] == identifier
    assert errors_of(result) == [(3, ID, thai("The spreadsheet shortened this identifier to %(value)s; format the "
                                              "column as text and type it again.", value="1.23457E+12"))]  # fmt: skip


def test_a_formula_without_a_saved_value_is_an_error_on_its_row(ids, ctx):
    formula, array_formula = '="ปิ่น"&"มณี"', ArrayFormula("E4", '="ชื่น"&"ชม"')
    content = xlsx_file([learner(ids()), learner(ids(), first_name=formula), learner(ids(), last_name=array_formula)])
    result = preview(content, "formula.xlsx")
    message = thai("This cell holds a formula with no saved value; copy the column and paste it as values only.")
    assert errors_of(result) == [(3, FIRST_NAME, message), (4, "นามสกุล", message)]
    assert result.counts["new"] == 1


def test_a_formula_with_a_saved_value_is_read_as_that_value(ids, ctx):
    content = with_saved_value(xlsx_file([learner(ids(), first_name='="ปิ่น"&"มณี"')]), "D2", "ปิ่นมณี")
    result = preview(content, "formula.xlsx")
    assert result.errors == [] and result.rows[0].values["first_name"] == "ปิ่นมณี"


def test_too_long_a_value_is_an_error_not_a_database_failure(ids, ctx):
    result = preview(csv_file([learner(ids(), first_name="ก" * 101)]))
    assert errors_of(result) == [(2, FIRST_NAME, thai("Too long: at most %(count)d characters.", count=100))]


# -- committing -----------------------------------------------------------------------------------


def test_reimporting_the_same_file_updates_and_never_duplicates(ids, ctx):
    first, second = ids(), ids()
    with as_account("school"):
        import_file("list.csv", csv_file([learner(first), learner(second)]), school(), year())
        changed = csv_file([learner(first, room="2"), learner(second)])
        result = preview(changed)
        assert result.counts == {"new": 0, "update": 1, "unchanged": 1, "errors": 0}
        assert result.rows[0].changes == {"room": "2"}
        import_file("list.csv", changed, school(), year())
        import_file("list.csv", changed, school(), year())
    stored = learners_with([first, second])
    assert len(stored) == 2 and stored[0].room == "2"


def test_an_empty_cell_keeps_what_is_recorded(ids, ctx):
    identifier = ids()
    with as_account("school"):
        import_file("list.csv", csv_file([learner(identifier, religion="คริสต์")]), school(), year())
        result = preview(csv_file([learner(identifier, religion="")]))
    assert result.counts["unchanged"] == 1
    assert learners_with([identifier])[0].religion == "คริสต์"


def test_an_upload_is_imported_only_once(ids, ctx):
    with as_account("school"):
        upload = store_upload(school(), year(), "list.csv", csv_file([learner(ids())]))
        db.session.commit()
        assert commit_upload(upload).counts["new"] == 1
        assert upload.committed_on is not None
        with pytest.raises(AlreadyImported) as refused:
            commit_upload(upload)
    assert str(refused.value) == thai("This file has already been imported.")


def test_nothing_is_written_when_the_school_has_confirmed(app, ids, open_again, ctx):
    confirmation_of(school(), year()).state = CONFIRMED
    db.session.commit()
    identifier = ids()
    with as_account("school"), pytest.raises(Locked) as refused:
        import_file("list.csv", csv_file([learner(identifier)]), school(), year())
    assert str(refused.value) == thai("%(name)s has confirmed its data; it is locked.", name=school().name_th)
    assert learners_with([identifier]) == []
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 0


def test_nothing_is_written_when_the_entry_window_has_closed(app, ids, open_again, ctx):
    year().school_deadline = date.today() - timedelta(days=1)
    db.session.commit()
    identifier = ids()
    with as_account("school"):
        upload = store_upload(school(), year(), "list.csv", csv_file([learner(identifier)]))
        db.session.commit()
        with pytest.raises(Locked) as refused:
            commit_upload(upload)
    assert "ปิดรับข้อมูล" in str(refused.value)
    assert learners_with([identifier]) == []
    assert db.session.get(ImportUpload, upload.id).committed_on is None


def test_a_school_cannot_import_for_another_school_but_its_lao_can(ids, ctx):
    identifier = ids()
    content = csv_file([learner(identifier)])
    with as_account("school"), pytest.raises(OutOfScope):
        import_file("list.csv", content, school(NEIGHBOUR), year())
    assert learners_with([identifier]) == []
    with as_account("lao"):
        import_file("list.csv", content, school(NEIGHBOUR), year())
    assert [s.school.code for s in learners_with([identifier])] == [NEIGHBOUR]


def test_the_history_names_the_importing_user_and_the_file(ids, ctx):
    identifier = ids()
    before = db.session.scalar(select(func.max(HistoryEntry.id)))  # ids of deleted test rows come back
    with as_account("school"):
        import_file("ห้อง 1.csv", csv_file([learner(identifier)]), school(), year())
        import_file("ห้อง 1 แก้ไข.csv", csv_file([learner(identifier, room="3")]), school(), year())
    stored = learners_with([identifier])[0]
    entries = db.session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.table_name == "student", HistoryEntry.row_id == stored.id, HistoryEntry.id > before)
        .order_by(HistoryEntry.id)
    ).all()  # fmt: skip
    assert [(e.action, e.actor.username) for e in entries] == [("insert", "school"), ("update", "school")]
    assert entries[0].reason == thai("Imported from file %(name)s", name="ห้อง 1.csv")
    assert entries[1].reason == thai("Imported from file %(name)s", name="ห้อง 1 แก้ไข.csv")
    assert entries[1].changes == '{"room": ["1", "3"]}'
    assert stored.created_by.username == "school"


# -- the command line -----------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["lec", "import-students", *args])


def test_the_command_line_prints_each_row_error_and_imports_the_valid_rows(app, ids, tmp_path):
    good = ids()
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file([learner(good), learner(ids(), class_level="ป.9")]))
    with app.app_context():
        be_year = str(year().year)
    result = run(app, str(path), "--school", SCHOOL, "--year", be_year, "--as", "school")
    assert result.exit_code == 0, result.output
    assert "row 3, ชั้น: " in result.output
    assert "imported: 1 new, 0 updated, 0 unchanged, 1 rows with errors" in result.output
    with app.app_context():
        stored = learners_with([good])
        assert len(stored) == 1 and stored[0].created_by.username == "school"


def test_the_command_line_dry_run_writes_nothing(app, ids, tmp_path):
    identifier = ids()
    path = tmp_path / "list.xlsx"
    path.write_bytes(xlsx_file([learner(identifier)]))
    with app.app_context():
        be_year = str(year().year)
    result = run(app, str(path), "--school", SCHOOL, "--year", be_year, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run, nothing written: 1 new" in result.output
    with app.app_context():
        assert learners_with([identifier]) == []


def test_the_command_line_acts_as_the_operator_without_as_and_within_the_user_s_scope_with_it(app, ids, tmp_path):
    identifier = ids()
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file([learner(identifier)]))
    with app.app_context():
        be_year = str(year().year)
    refused = run(app, str(path), "--school", NEIGHBOUR, "--year", be_year, "--as", "school")
    assert refused.exit_code != 0 and "no school %s within the scope of school" % NEIGHBOUR in refused.output
    assert run(app, str(path), "--school", NEIGHBOUR, "--year", be_year, "--as", "manager").exit_code != 0
    assert run(app, str(path), "--school", NEIGHBOUR, "--year", "2400").exit_code != 0
    done = run(app, str(path), "--school", NEIGHBOUR, "--year", be_year)
    assert done.exit_code == 0, done.output
    with app.app_context():
        stored = learners_with([identifier])
        assert [s.school.code for s in stored] == [NEIGHBOUR] and stored[0].created_by is None


def test_the_command_line_reports_a_locked_school_in_thai_and_writes_nothing(app, ids, tmp_path, open_again):
    identifier = ids()
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file([learner(identifier)]))
    with app.app_context():
        be_year, name = str(year().year), school().name_th
        confirmation_of(school(), year()).state = CONFIRMED
        db.session.commit()
    result = run(app, str(path), "--school", SCHOOL, "--year", be_year, "--as", "school")
    assert result.exit_code != 0
    with app.app_context():
        assert thai("%(name)s has confirmed its data; it is locked.", name=name) in result.output
        assert learners_with([identifier]) == []


# -- the screens ----------------------------------------------------------------------------------


def upload(client, school_id, content, filename="learners.csv"):
    return client.post(
        "/import/", data={"school": str(school_id), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )  # fmt: skip


def school_id_and_name(app, code=SCHOOL):
    with app.app_context():
        found = school(code)
        return found.id, found.name_th


def test_a_school_uploads_reads_the_row_errors_and_imports_the_valid_rows(app, as_user, ids):
    client = as_user("school")
    own_id, own_name = school_id_and_name(app)
    good, bad, be_year = ids(), ids(), current_academic_year_be(date.today())
    page = client.get("/import/")
    assert page.status_code == 200
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', page.get_data(as_text=True))
    assert options == [(str(own_id), "%s (%s)" % (own_name, SCHOOL))]
    assert str(be_year) in visible_text(page.get_data(as_text=True))
    answer = upload(client, own_id, csv_file([learner(good), learner(bad, birth_date="01/06/2018")]))
    assert answer.status_code == 302 and re.search(r"/import/\d+$", answer.headers["Location"])
    shown = client.get(answer.headers["Location"])
    assert shown.status_code == 200
    page_text = visible_text(shown.get_data(as_text=True))
    assert "3 วันเกิด" in page_text and "พุทธศักราช" in page_text
    assert re.search(r'class="count-new">1<', shown.get_data(as_text=True))
    assert re.search(r'class="count-errors">1<', shown.get_data(as_text=True))
    done = client.post(answer.headers["Location"] + "/commit")
    assert done.status_code == 302 and done.headers["Location"].endswith("/studentview/list/")
    with app.app_context():
        stored = learners_with([good, bad])
        assert len(stored) == 1 and stored[0].created_by.username == "school"
    again = client.get(answer.headers["Location"])
    assert 'id="import-commit"' not in again.get_data(as_text=True)
    assert client.post(answer.headers["Location"] + "/commit").status_code == 409


def test_an_lao_officer_chooses_among_its_own_schools(as_user):
    page = as_user("lao").get("/import/").get_data(as_text=True)
    codes = set(re.findall(r"\((\d{10})\)</option>", page))
    assert codes == {"1050130001", "1050130002", "2050130001"}


def test_an_upload_of_a_school_outside_the_user_s_scope_answers_404(app, as_user, ids):
    with app.app_context(), as_account("central"):
        kept = store_upload(school("1040130001"), year(), "khon-kaen.csv", csv_file([learner(ids())]))
        db.session.commit()
        upload_id = kept.id
    client = as_user("school")
    assert client.get("/import/%d" % upload_id).status_code == 404
    assert client.post("/import/%d/commit" % upload_id).status_code == 404
    assert as_user("province").get("/import/%d" % upload_id).status_code == 404
    assert as_user("central").get("/import/%d" % upload_id).status_code == 200


def test_a_bad_file_answers_400_with_the_thai_message_on_the_page(app, as_user):
    client = as_user("school")
    own_id, _name = school_id_and_name(app)
    wrong = upload(client, own_id, b"\xef\xbb\xbf\xe0\xb8\x8a\xe0\xb8\xb7\xe0\xb9\x88\xe0\xb8\xad\n1\n")  # ชื่อ only
    empty = upload(client, own_id, b"")
    other = upload(client, own_id, b"hello", "learners.txt")
    missing = client.post("/import/", data={"school": str(own_id)}, content_type="multipart/form-data")
    assert wrong.status_code == empty.status_code == other.status_code == missing.status_code == 400
    with app.app_context():
        names = ", ".join(header for header in HEADERS if header not in ("ชื่อ", "ประเภทเลขประจำตัว", "คำนำหน้า",
                          "สัญชาติ", "ศาสนา", "ห้อง", "ความด้อยโอกาส", "ความพิการ", "ชื่อผู้ปกครอง", "โทรศัพท์ผู้ปกครอง"))
        assert thai("Required columns are missing: %(names)s.", names=names) in wrong.get_data(as_text=True)
        assert thai("The file is empty.") in empty.get_data(as_text=True)
        assert thai("Upload an Excel workbook (.xlsx) or a CSV file (.csv).") in other.get_data(as_text=True)
        assert "จำเป็นต้องกรอกข้อมูลในช่องนี้" in missing.get_data(as_text=True)
        assert db.session.scalar(select(func.count(ImportUpload.id))) == 0


def test_a_request_above_the_size_limit_is_refused_in_thai(app, as_user):
    client = as_user("school")
    own_id, _name = school_id_and_name(app)
    saved = app.config["MAX_CONTENT_LENGTH"], app.config["LEC_IMPORT_MAX_BYTES"]
    app.config["MAX_CONTENT_LENGTH"], app.config["LEC_IMPORT_MAX_BYTES"] = 2 * 1024 * 1024, 1024 * 1024
    try:
        too_large = upload(client, own_id, b"x" * (3 * 1024 * 1024))
        above_limit = upload(client, own_id, b"x" * (1024 * 1024 + 1))
    finally:
        app.config["MAX_CONTENT_LENGTH"], app.config["LEC_IMPORT_MAX_BYTES"] = saved
    assert (too_large.status_code, above_limit.status_code) == (413, 400)
    with app.app_context():
        message = thai("The file is larger than %(size)d MB.", size=1)
    assert message in too_large.get_data(as_text=True) and message in above_limit.get_data(as_text=True)


def test_the_template_downloads_as_an_xlsx_workbook(as_user):
    answer = as_user("school").get("/import/template")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(answer.data)).worksheets[0]["A1"].value == ID


def test_a_locked_school_is_told_so_on_the_preview_and_nothing_is_written(app, as_user, ids, open_again):
    client = as_user("school")
    own_id, own_name = school_id_and_name(app)
    identifier = ids()
    answer = upload(client, own_id, csv_file([learner(identifier)]))
    with app.app_context():
        confirmation_of(school(), year()).state = CONFIRMED
        db.session.commit()
    refused = client.post(answer.headers["Location"] + "/commit")
    assert refused.status_code == 409
    with app.app_context():
        assert thai("%(name)s has confirmed its data; it is locked.", name=own_name) in refused.get_data(as_text=True)
        assert learners_with([identifier]) == []


def test_a_manager_cannot_import(as_user):
    assert as_user("manager").get("/import/").status_code == 403


def test_a_10_mb_csv_is_uploaded_and_previewed(app, as_user, ids):
    """A list of some 60,000 learners with long guardian names: well under the limit, and read."""
    rows = [
        learner(new_national_id(20_000_000 + n), prefix="", religion="", nationality="", room="",
                guardian_name="นางสาวชื่นกมล ทิพย์เนตร ณ อยุธยา", guardian_phone="")
        for n in range(60_000)
    ]  # fmt: skip
    content = csv_file(rows)
    assert 10 * 1024 * 1024 <= len(content) <= 11 * 1024 * 1024
    client = as_user("school")
    answer = upload(client, school_id_and_name(app)[0], content, "big.csv")
    assert answer.status_code == 302
    shown = client.get(answer.headers["Location"])
    assert shown.status_code == 200
    assert re.search(r'class="count-new">60000<', shown.get_data(as_text=True))
    assert re.search(r'class="count-errors">0<', shown.get_data(as_text=True))
