"""The reports' pages and downloads (app/reports.py)."""

import io

from flask import abort, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from .. import choices, workflow
from ..exports import download
from ..reports import BASES, ENTERED, baht, budget, budget_file, head_count, head_count_file, head_count_pdf
from .base import own_page


class ReportView(BaseView):
    """Head-count reports and the budget estimate of an organisation (app/reports.py), with links
    to its parts one level down, and their downloads (CSV, Excel, the printable PDF summary)."""

    route_base = "/reports"
    default_view = "mine"
    reads_replica = ("report", "report_download", "budget", "budget_download")  # app/replica.py

    @expose("/")
    @has_access
    @permission_name("report")
    def mine(self):
        return redirect(url_for("ReportView.report", **own_page()))

    @expose("/<level>/<int:org_id>")
    @has_access
    @permission_name("report")
    def report(self, level, org_id):
        report = self._run(head_count, level, org_id, self._basis())
        return self.render_template("lec/reports.html", report=report, bases=BASES, baht=baht)

    @expose("/<level>/<int:org_id>/<fmt>")
    @has_access
    @permission_name("report")
    def report_download(self, level, org_id, fmt):
        if fmt not in ("csv", "xlsx", "pdf"):
            abort(404)
        report = self._run(head_count, level, org_id, self._basis())
        if fmt == "pdf":
            name, pdf = head_count_pdf(report)
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name)
        return download(fmt, *head_count_file(report))

    @expose("/budget/")
    @has_access
    @permission_name("report")
    def my_budget(self):
        return redirect(url_for("ReportView.budget", **own_page()))

    @expose("/budget/<level>/<int:org_id>")
    @has_access
    @permission_name("report")
    def budget(self, level, org_id):
        report = self._run(budget, level, org_id)
        return self.render_template("lec/budget.html", report=report, groups=dict(choices.LEVEL_GROUPS), baht=baht)

    @expose("/budget/<level>/<int:org_id>/<fmt>")
    @has_access
    @permission_name("report")
    def budget_download(self, level, org_id, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        return download(fmt, *budget_file(self._run(budget, level, org_id)))

    @staticmethod
    def _basis():
        basis = request.args.get("basis", ENTERED)
        if basis not in dict(BASES):
            abort(404)
        return basis

    @staticmethod
    def _run(compute, level, org_id, *args):
        return compute(level, org_id, workflow.current_year(), *args)
