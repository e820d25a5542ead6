"""Accounts' pages (app/credentials.py): the page a QR code opens, and the credential sheets the
organisation and account lists print."""

import io

from flask import flash, redirect, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from .. import credentials
from ..extensions import db
from ..forms import ActivationForm
from ..thai import format_be_date
from .base import selected
from .errors import on_refusal

ACTIVATION_FIELDS = ("first_name", "last_name", "position", "phone", "email", "password")


def sheet_response(cards):
    """Commit the codes just issued, then answer with their PDF; back to the list when nothing was due."""
    db.session.commit()
    if not cards:
        flash(_("Every selected organisation already has an active account; nothing was issued."), "info")
        return redirect(".")
    pdf = credentials.render_sheet(cards, credentials.issuer_name())
    name = "lec-credentials-%s.pdf" % format_be_date(cards[0].expires_on).replace("/", "-")
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name)


def issue_sheet(items, include_active=False):
    """Credential sheets for the selected organisations and everything below them."""
    cards = credentials.issue_credentials(items, include_active=include_active)
    return sheet_response(cards)


def sheet_for_accounts(accounts):
    """The account and issued-credential lists' action: fresh codes for chosen accounts, as a PDF."""
    accounts = list(dict.fromkeys(accounts))
    cards = credentials.reissue_for_accounts(accounts)
    return sheet_response(cards)


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
            account = credentials.activate(code, **{name: form[name].data for name in ACTIVATION_FIELDS})
            db.session.commit()
            login_user(account)
            flash(_l("Your account is active. Welcome to LEC."), "success")
            return redirect(self.appbuilder.get_url_for_index)
        return page(), 400 if form.errors else 200


class IssuesCredentials:
    """The organisation lists' actions: credential sheets for the selected organisations and
    everything below them."""

    @action(
        "issue_credentials",
        _l("Print credential sheet (QR)"),
        _l("Issue activation codes for the selected organisations, and those below them, that have no active account?"),
        "fa-qrcode",
        single=False,  # FAB's single-row action is a GET, which CSRF protection refuses
    )
    def issue_credentials(self, items):
        return issue_sheet(selected(items))

    @action(
        "reissue_all_credentials",
        _l("Re-issue credential sheet for all (QR)"),
        _l("Issue new activation codes for every account of the selected organisations and those below them? "
           "Earlier codes stop working."),
        "fa-refresh",
        single=False,
    )  # fmt: skip
    def reissue_all_credentials(self, items):
        return issue_sheet(selected(items), include_active=True)
