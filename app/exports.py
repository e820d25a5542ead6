"""Downloads: every list and report as CSV (UTF-8 with a byte-order mark, so that Excel in Thai
reads it) and as .xlsx, with Thai headers, streamed so that a national export never sits in memory.

``ExportMixin`` gives every generated list an ``/export/<fmt>`` endpoint that writes the rows the
list shows: the same scoped interface, base filters, search filters and order, with the list's
labels and formatters. It needs the list's own permission (can_list): whoever reads a list may
download it."""

import csv
import io
import re
import tempfile
from datetime import date, datetime
from decimal import Decimal

from flask import Response, abort, send_file, stream_with_context
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .thai import format_be_date, format_be_datetime

FORMATS = ("csv", "xlsx")
BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 1000  # rows fetched from the database at a time


def _text(value):
    """What a cell shows: numbers stay numbers (for Excel), dates in the Buddhist era."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return format_be_datetime(value)
    if isinstance(value, date):
        return format_be_date(value)
    return str(value)


def csv_response(filename, header, rows):
    """A CSV download written row by row as the client reads it."""

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(BOM)
        writer.writerow([_text(cell) for cell in header])
        for number, row in enumerate(rows, 1):
            writer.writerow([_text(cell) for cell in row])
            if number % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=%s.csv" % filename
    response.charset = "utf-8"
    return response


def write_xlsx(target, title, header, rows):
    """Write one sheet in openpyxl's write-only mode (rows go to disk as they come) to ``target``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\\/*?:\[\]]", " ", title)[:31])  # characters Excel refuses
    bold = Font(bold=True)
    heading = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_text(cell) for cell in row])
    book.save(target)


def xlsx_response(filename, title, header, rows):
    """An .xlsx download: written to a temporary file first (a workbook is a zip archive, which
    cannot be streamed while it is written), then sent from the file."""
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(spool, title, header, rows)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX, as_attachment=True, download_name="%s.xlsx" % filename)


def download(fmt, filename, title, header, rows):
    if fmt == "csv":
        return csv_response(filename, header, rows)
    if fmt == "xlsx":
        return xlsx_response(filename, title, header, rows)
    abort(404)


class ExportMixin:
    """Downloads of a generated list, with the filters and order the list page has in its URL."""

    list_template = "lec/list.html"
    reads_replica = ("export",)  # app/replica.py: downloads read the replica, the lists themselves the primary

    @expose("/export/<fmt>")
    @has_access
    @permission_name("list")
    def export(self, fmt):
        if fmt not in FORMATS:
            abort(404)
        header = [self.label_columns.get(column, column) for column in self.list_columns]
        title = str(self.list_title or self.__class__.__name__)
        return download(fmt, self.__class__.__name__.removesuffix("View").lower(), title, header, self.export_rows())

    def export_rows(self):
        """The list's rows, all pages, formatted as the list shows them, fetched in batches."""
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        datamodel = self.datamodel
        query = datamodel.apply_all(datamodel.session.query(datamodel.obj), filters, order_column, order_direction)
        formatters = self.formatters_columns
        labels = {}  # coded values' labels are a few lazy strings: translate each once, not per row
        for values in datamodel.get_values(query.yield_per(BATCH), self.list_columns):
            row = []
            for column, value in values.items():
                value = formatters[column](value) if column in formatters else value
                if isinstance(value, LazyString):
                    value = labels.get(id(value)) or labels.setdefault(id(value), str(value))
                row.append(value)
            yield row
