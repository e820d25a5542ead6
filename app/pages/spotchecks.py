"""A spot check's pages (app/spotcheck.py): drawing one, and recording its results."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from .. import choices, spotcheck, workflow
from ..extensions import db
from ..forms import SpotCheckForm, SpotCheckResultsForm
from ..models import SpotCheck
from .base import readable_or_404
from .errors import on_refusal


class SpotCheckPage(BaseView):
    """Drawing a spot check, and one spot check's page: the sampled learners with a result and a
    note each (one form, for the province), the not-found rate, and who answers for each learner
    not found. app/spotcheck.py decides who may draw and record, and when."""

    route_base = "/spotcheck"
    default_view = "draw"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def draw(self):
        form = SpotCheckForm()
        page = lambda: self.render_template("lec/spotcheck_new.html", form=form)  # noqa: E731
        on_refusal(page, form, status=400)  # the size, the target or the window: what the form asked
        if form.validate_on_submit():
            year = workflow.current_year()
            drawn = spotcheck.draw_spot_check(form.target(), year, form.count.data, form.percent.data)
            db.session.commit()
            return redirect(url_for("SpotCheckPage.show", spot_check_id=drawn.id))
        return page(), 400 if request.method == "POST" else 200

    @expose("/<int:spot_check_id>")
    @has_access
    def show(self, spot_check_id):
        spot_check = readable_or_404(SpotCheck, spot_check_id)
        items = spotcheck.items_of(spot_check)
        rows = [{"item_id": item.id, "result": item.result or "", "note": item.note or ""} for item in items]
        return self._page(spot_check, items, SpotCheckResultsForm(data={"rows": rows}))

    @expose("/<int:spot_check_id>/results", methods=["POST"])
    @has_access
    def record(self, spot_check_id):
        spot_check = readable_or_404(SpotCheck, spot_check_id)
        form = SpotCheckResultsForm()
        page = lambda: self._page(spot_check, spotcheck.items_of(spot_check), form)  # noqa: E731
        on_refusal(page, form, status=400)  # a result or a note the form carried
        if form.validate_on_submit():
            results = {row.item_id.data: (row.result.data, row.note.data) for row in form.rows}
            spotcheck.record_results(spot_check, results)
            db.session.commit()
            flash(_l("The results are saved."), "success")
            return redirect(url_for("SpotCheckPage.show", spot_check_id=spot_check.id))
        return page(), 400

    def _page(self, spot_check, items, form):
        return self.render_template(
            "lec/spotcheck.html", spot_check=spot_check, items=items, summary=spotcheck.summary(spot_check),
            accountable=spotcheck.accountability(spot_check), intact=spotcheck.sample_is_intact(spot_check),
            form=form, rows={row.item_id.data: row for row in form.rows},
            results=dict(choices.SPOT_CHECK_RESULTS), levels=dict(choices.CLASS_LEVELS),
        )  # fmt: skip
