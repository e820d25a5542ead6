"""The charts' page (app/charts.py)."""

from flask import abort
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from .. import charts, workflow
from ..assets import PLOTLY_VERSION
from ..scope import current_node, own_organisation


class ChartView(BaseView):
    """The charts of app/charts.py over the user's scope, each with a table of its numbers."""

    route_base = "/charts"
    default_view = "index"
    reads_replica = ("index", "chart")  # app/replica.py

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/<name>")
    @has_access
    @permission_name("index")
    def chart(self, name):
        if name not in charts.CHART:
            abort(404)
        chart, year = charts.CHART[name], workflow.current_year()
        numbers = chart.numbers(current_node(), year)
        return self._page(chart=chart, numbers=numbers, figure=charts.figure(chart, numbers))

    def _page(self, **context):
        scope = own_organisation() or _l("The whole country")
        return self.render_template(
            "lec/chart.html", charts=charts.CHARTS, scope=scope, year=workflow.current_year(),
            plotly_version=PLOTLY_VERSION, **{"chart": None, **context},
        )  # fmt: skip
