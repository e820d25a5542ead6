"""The data-quality report's pages (app/quality.py)."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from .. import quality, workflow
from ..extensions import db
from ..scope import current_node, organisation_in_subtree
from .base import own_page
from .errors import on_refusal


class QualityView(BaseView):
    """The data-quality report: counts per check for an organisation and its parts, the learners
    behind each count with a link to fix them, and the school's explanations of its warnings."""

    route_base = "/quality"
    default_view = "mine"
    reads_replica = ("report", "learners")  # app/replica.py; the explanations are written on the primary

    @expose("/")
    @has_access
    @permission_name("report")
    def mine(self):
        return redirect(url_for("QualityView.report", **own_page()))

    @expose("/<level>/<int:org_id>")
    @has_access
    def report(self, level, org_id):
        organisation, year = self._organisation(level, org_id), workflow.current_year()
        rows, children = quality.report(self._level(level), org_id, year)
        found = quality.findings_of(year, quality.schools_of(level, org_id)) if level == "school" else []
        return self._page(level, organisation, rows=rows, children=children, found=found)

    @expose("/<level>/<int:org_id>/<rule>")
    @has_access
    @permission_name("report")
    def learners(self, level, org_id, rule):
        organisation, year = self._organisation(level, org_id), workflow.current_year()
        if rule not in quality.CHECK:
            abort(404)
        # A school's own learners are checked live, as its confirmation checks them; wider scopes: kept findings.
        scope = quality.schools_of(self._level(level), org_id)
        found = quality.findings_of(year, scope, codes={rule}, live=level == "school")
        return self._page(level, organisation, found=found, check=quality.CHECK[rule])

    @expose("/explain/<int:school_id>", methods=["POST"])
    @has_access
    def explain(self, school_id):
        school = organisation_in_subtree("school", school_id)
        back = redirect(url_for("QualityView.report", level="school", org_id=school.id))
        on_refusal(lambda: back)
        texts = {
            tuple(name.split("|")[1:]): value for name, value in request.form.items() if name.startswith("explain|")
        }
        quality.explain_warnings(school, workflow.current_year(), texts)
        db.session.commit()
        flash(_l("The explanations are saved."), "success")
        return back

    @staticmethod
    def _level(level):
        return None if level == "country" else level

    @staticmethod
    def _organisation(level, org_id):
        if level == "country":
            if current_node().level != "central":
                abort(404)
            return None
        return organisation_in_subtree(level, org_id)

    def _page(self, level, organisation, **context):
        year = workflow.current_year()
        explained = quality.explanations_of(organisation, year) if level == "school" else {}
        return self.render_template(
            "lec/quality.html", level=level, organisation=organisation, year=year, explained=explained,
            may_explain=current_node().level == "school", subject_of=quality.subject_of, **context,
        )  # fmt: skip
