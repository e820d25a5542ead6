"""Accounts' pages (app/credentials.py): the page a QR code opens, and the credential sheets the
organisation and account lists print."""

from flask import flash, redirect
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from .. import credentials
from ..forms import ActivationForm
from .errors import on_refusal

ACTIVATION_FIELDS = ("first_name", "last_name", "position", "phone", "email", "password")


def issue_sheet(items, include_active=False):
    """Credential sheets for the selected organisations and everything below them."""
    cards = credentials.issue_credentials(items, include_active=include_active)
    return credentials.sheet_response(cards, ", ".join(item.name_th for item in items[:3]))


class ActivationView(BaseView):
    """The page a QR code opens: public, rate-limited, the same answer for every unusable code."""

    route_base = "/activate"
    default_view = "activate"

    @expose("/<code>", methods=["GET", "POST"])
    def activate(self, code):
        unusable = lambda: self.render_template("lec/activate.html", form=None)  # noqa: E731
        on_refusal(unusable, explains=True)  # the same page for every unusable code
        account = credentials.usable_credential(code).user
        form = ActivationForm()
        page = lambda: self.render_template("lec/activate.html", form=form, account=account)  # noqa: E731
        on_refusal(page, form)
        if form.validate_on_submit():
            login_user(credentials.activate(code, **{name: form[name].data for name in ACTIVATION_FIELDS}))
            flash(_l("Your account is active. Welcome to LEC."), "success")
            return redirect(self.appbuilder.get_url_for_index)
        return page(), 400 if form.errors else 200
