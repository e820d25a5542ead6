"""The user guide's pages (app/manual.py)."""

import io

from flask import abort, send_file, send_from_directory
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import manual


class HelpView(BaseView):
    """The user guide (app/manual.py), open to everyone: a clerk with a new QR sheet reads it before
    their first sign-in. Each screen's "วิธีใช้" link lands on its section here."""

    route_base = "/help"
    default_view = "index"

    @expose("/")
    def index(self):
        written = manual.guides_for(current_user)
        return self.show(written[0]) if written else abort(404)

    @expose("/<key>")
    def show(self, key):
        written = manual.guides_for(current_user)
        if key not in written:
            abort(404)
        language = manual.language()
        return self.render_template(
            "lec/help.html", guide=manual.guide(key, language), own=manual.guide_of(current_user),
            guides=[manual.guide(other, language) for other in written],
        )  # fmt: skip

    @expose("/images/<name>")
    def image(self, name):
        if not manual.IMAGE_NAME.match(name):
            abort(404)
        return send_from_directory(manual.IMAGES, name, max_age=3600)

    @expose("/guide.pdf")
    def pdf(self):
        return send_file(io.BytesIO(manual.guide_pdf()), mimetype="application/pdf",
                         download_name="%s.pdf" % _l("LEC user guide"))  # fmt: skip
