"""Accounts' pages (app/credentials.py, app/resets.py): the page a QR code opens, the credential
sheets the organisation and account lists print, password resets by the level above (screens and
API), the sign-in page's "forgot password", and the guard that keeps a temporary password's holder
on the change-password form."""

import io

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_login import current_user, login_user
from sqlalchemy import select

from .. import credentials, resets
from ..errors import Invalid
from ..extensions import db
from ..forms import ActivationForm, ForgotPasswordForm, NewPasswordForm
from ..models import LecUser
from ..scope import LARGEST_ID, readable
from ..thai import format_be_date
from .base import LecApi, json_body, selected
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


# -- resets by the level above --------------------------------------------------------------------


def no_store(response):
    """A page that shows a secret once: no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


class ResetsPasswords:
    """The account list's and account page's actions: a new activation code (one card per account,
    as a PDF) or a temporary password shown once. The same functions as the API (app/resets.py)."""

    @action(
        "reset_with_code",
        _l("Reset password: new activation code (QR)"),
        _l("Issue a new activation code for the selected accounts? Their passwords stop working now."),
        "fa-qrcode",
    )
    def reset_with_code(self, items):
        accounts = list(dict.fromkeys(selected(items)))
        cards = [resets.reset_with_code(account) for account in accounts]
        return sheet_response(cards)

    @action(
        "reset_with_temporary_password",
        _l("Reset password: temporary password"),
        _l("Give the selected accounts a temporary password? Their passwords stop working now, and they must "
           "choose their own at their next sign-in."),
        "fa-key",
    )  # fmt: skip
    def reset_with_temporary_password(self, items):
        accounts = list(dict.fromkeys(selected(items)))
        shown = [(account, resets.reset_with_temporary_password(account)) for account in accounts]
        db.session.commit()
        page = self.render_template("lec/temporary_passwords.html", shown=shown)
        return no_store(current_app.make_response(page))


class AccountApi(LecApi, BaseApi):
    """Resetting the password of an account of one's subtree that stands below one's own."""

    resource_name = "account"
    allow_browser_login = True
    responses = {
        **LecApi.responses,
        "lec_reset": {
            "description": "The new secret, shown this once: an activation code or a temporary password",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "username": {"type": "string"}, "mode": {"type": "string"},
                "activation_code": {"type": "string"}, "url": {"type": "string"},
                "expires_on": {"type": "string"}, "password": {"type": "string"},
            }}}},
        },
    }  # fmt: skip

    @expose("/<int:pk>/reset", methods=["POST"])
    @protect()
    @permission_name("reset")
    def reset(self, pk):
        """Reset an account's password
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    mode: {type: string, enum: [code, temporary], description: "A new activation code, or a
                      temporary password the person must replace at their next sign-in"}
          responses:
            200:
              $ref: '#/components/responses/lec_reset'
            400:
              $ref: '#/components/responses/lec_400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/lec_403'
            404:
              $ref: '#/components/responses/lec_404'
            409:
              $ref: '#/components/responses/lec_409'
        """
        mode = json_body().get("mode")
        if mode not in ("code", "temporary"):
            raise Invalid({"mode": _("Choose code or temporary.")})
        account = None
        if 0 < pk <= LARGEST_ID:
            account = db.session.scalar(select(LecUser).where(LecUser.id == pk, readable(LecUser)))
        if account is None:
            return self.response_404()
        if mode == "code":
            card = resets.reset_with_code(account)
            answer = {"activation_code": card.code, "url": card.url, "expires_on": card.expires_on.isoformat()}
        else:
            answer = {"password": resets.reset_with_temporary_password(account)}
        db.session.commit()
        return no_store(self.response(200, username=account.username, mode=mode, **answer))


# -- a temporary password must be replaced first --------------------------------------------------

MUST_CHANGE = _l("You signed in with a temporary password: choose your own password before you continue.")
MUST_CHANGE_API = _l("This account has a temporary password: sign in on the web page and choose your own "
                     "password first.")  # fmt: skip
OPEN_WHILE_TEMPORARY = {
    "ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post", "AuthDBView.logout",
    "AuthDBView.login", "LocaleView.index", "SecurityApi.login", "SecurityApi.refresh",
    "HelpView.index", "HelpView.show", "HelpView.image", "HelpView.pdf",
}  # fmt: skip


def _api_user():
    if current_user.is_authenticated:
        return current_user
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # an expired or broken token: the API's own protection answers it
        return None
    return db.session.get(LecUser, int(identity)) if identity and str(identity).isdigit() else None


def require_own_password():
    """Before every request: the holder of a temporary password (app/resets.py) reaches only the
    change-password form and signing out; the API refuses them in Thai."""
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WHILE_TEMPORARY or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if request.path.startswith("/api/"):
        user = _api_user()
        if user is not None and getattr(user, "must_change_password", False):
            return {"message": str(MUST_CHANGE_API)}, 403
        return None
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        flash(str(MUST_CHANGE), "warning")
        return redirect(url_for("ResetMyPasswordView.this_form_get"))
    return None


# -- "forgot password" ----------------------------------------------------------------------------


class ForgotPasswordView(BaseView):
    """The sign-in page's "forgot password": public, rate-limited like the sign-in, and the same
    answer whether an account was found, had an address, or the mail went out."""

    route_base = "/forgot"
    default_view = "ask"

    @expose("/", methods=["GET", "POST"])
    def ask(self):
        form = ForgotPasswordForm()
        if form.validate_on_submit():
            base_url = current_app.config["LEC_BASE_URL"].rstrip("/")  # never the request's Host header

            def link_for(token):
                return base_url + url_for("ForgotPasswordView.choose", token=token)

            resets.request_reset(form.identifier.data, link_for)
            db.session.commit()
            return self.render_template("lec/forgot.html", form=None, minutes=resets.link_minutes())
        return self.render_template("lec/forgot.html", form=form), 400 if form.errors else 200

    @expose("/<token>", methods=["GET", "POST"])
    def choose(self, token):
        unusable = lambda: self.render_template("lec/new_password.html", form=None)  # noqa: E731
        on_refusal(unusable, status=400)
        account = resets.account_for_token(token)
        form = NewPasswordForm()
        page = lambda: self.render_template("lec/new_password.html", form=form, account=account)  # noqa: E731
        on_refusal(page, form, status=400)
        if form.validate_on_submit():
            resets.complete_reset(token, form.password.data)
            db.session.commit()
            flash(_l("Your new password is set. Sign in with it."), "success")
            return redirect(self.appbuilder.get_url_for_login)
        return no_store(current_app.make_response((page(), 400 if form.errors else 200)))
