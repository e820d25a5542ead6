"""The home page: a sign-in button for visitors, "งานของฉัน" (app/home.py) for a signed-in user."""

from flask import current_app
from flask_appbuilder import IndexView, expose
from flask_login import current_user

from .. import home


class HomeView(IndexView):
    """What the user's own node has to do this year. The buttons post to the organisation lists'
    own actions and reason form, so FAB's permission check and app/workflow.py decide, as there."""

    index_template = "lec/index.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        work = home.my_work(current_app.appbuilder.sm.has_access) if current_user.is_authenticated else None
        return self.render_template(self.index_template, appbuilder=self.appbuilder, work=work)
