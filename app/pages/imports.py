"""The spreadsheet import's pages (app/importer.py)."""

import io

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import workflow
from ..extensions import db
from ..forms import ImportCommitForm, ImportForm
from ..importer import commit_upload, preview_upload, store_upload, template_workbook
from ..models import ImportUpload, School
from ..scope import readable
from .base import readable_or_404
from .errors import on_refusal


class ImportView(BaseView):
    """Spreadsheet import of learners (app/importer.py): upload a file for a school the user may
    write, read the preview with every row's errors, import the valid rows. An upload outside the
    user's scope does not exist for them (404)."""

    route_base = "/import"
    default_view = "upload"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def create_blueprint(self, appbuilder, *args, **kwargs):
        """A request above MAX_CONTENT_LENGTH is refused before the view runs: say so in Thai."""
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.register_error_handler(413, self.too_large)
        return blueprint

    def too_large(self, error):
        self.appbuilder.sm.before_request()  # the refusal came before FAB's own hook named the user
        limit = current_app.config["LEC_IMPORT_MAX_BYTES"] // (1024 * 1024)
        message = _l("The file is larger than %(size)d MB.", size=limit)
        return self.render_template("lec/import_upload.html", form=None, message=message), 413

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        year = workflow.current_year()
        schools = db.session.execute(
            select(School.id, School.name_th, School.code).where(readable(School)).order_by(School.code)
        ).all()
        form = ImportForm()
        blank = [("", "")] if len(schools) > 1 else []
        form.school.choices = blank + [(row_id, "%s (%s)" % (name, code)) for row_id, name, code in schools]
        message = None if year is not None else _l("There is no current academic year.")
        page = lambda: self.render_template(  # noqa: E731
            "lec/import_upload.html", form=form, message=message, year=year
        )
        on_refusal(page)
        if year is not None and form.validate_on_submit():
            upload = store_upload(
                db.session.get(School, form.school.data), year, form.file.data.filename, form.file.data.read()
            )
            db.session.commit()
            return redirect(url_for(".preview", upload_id=upload.id))
        return page(), 400 if request.method == "POST" else 200

    @expose("/template")
    @has_access
    def template(self):
        name = "%s.xlsx" % _l("learner import template")
        return send_file(io.BytesIO(template_workbook()), self.XLSX, as_attachment=True, download_name=name)

    @expose("/<int:upload_id>")
    @has_access
    def preview(self, upload_id):
        return self._preview_page(readable_or_404(ImportUpload, upload_id))

    @expose("/<int:upload_id>/commit", methods=["POST"])
    @has_access
    def commit(self, upload_id):
        upload = readable_or_404(ImportUpload, upload_id)
        if not ImportCommitForm().validate_on_submit():
            return self._preview_page(upload, _l("The form has expired; open the preview and import again."), 400)
        on_refusal(lambda: self._preview_page(readable_or_404(ImportUpload, upload_id)))
        done = commit_upload(upload).counts
        db.session.commit()
        flash(_l("Imported: %(new)d new learners, %(update)d updated, %(unchanged)d unchanged.", **done), "success")
        return redirect(url_for("StudentView.list"))

    def _preview_page(self, upload, message=None, status=200):
        page = lambda preview: self.render_template(  # noqa: E731
            "lec/import_preview.html", upload=upload, preview=preview, form=ImportCommitForm(), message=message
        )
        on_refusal(lambda: page(None))  # a stored file that no longer reads
        return page(preview_upload(upload)), status
