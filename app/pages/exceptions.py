"""Exception requests' pages (app/exceptions.py): the organisation's own requests and the form to
ask, the granter's requests to answer with a grant or a refusal, and the same steps for scripts."""

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import exceptions, workflow
from ..choices import EXCEPTION_REQUEST_STATES
from ..extensions import db
from ..forms import AskExceptionForm, ExceptionForm, ReasonForm
from ..models import AcademicYear
from ..scope import LARGEST_ID, find_organisation, own_organisation
from .base import LecApi, iso_date, json_body, whole_number
from .errors import on_refusal

STATES = dict(EXCEPTION_REQUEST_STATES)


class ExceptionView(BaseView):
    """One page for both sides: the reader's own organisation (why it needs an exception, the form,
    its requests and their answers) and the requests waiting for the reader's answer."""

    route_base = "/exceptions"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        year, organisation = workflow.current_year(), own_organisation()
        own = {}
        if year is not None and organisation is not None:
            own = {
                "needs": exceptions.needs_exception(organisation, year),
                "pending": exceptions.pending_request(organisation, year),
                "requests": exceptions.requests_of(organisation, year),
            }
        to_answer = exceptions.requests_to_answer(year) if year is not None else []
        return self.render_template("lec/exceptions.html", year=year, organisation=organisation, own=own,
                                    to_answer=to_answer, states=STATES)  # fmt: skip

    @expose("/ask", methods=["GET", "POST"])
    @has_access
    def ask(self):
        """The organisation's own account asks; refusals show again on the form with their reasons."""
        year, organisation = workflow.current_year(), own_organisation()
        if year is None or organisation is None:
            flash(str(_l("Only the organisation's own accounts ask for its exception.")), "danger")
            return redirect(url_for("ExceptionView.index"))
        form = AskExceptionForm()
        page = lambda: self.render_template(  # noqa: E731
            "lec/exception_form.html", form=form, organisation=organisation, title=_l("Ask for an exception"),
            needs=exceptions.needs_exception(organisation, year), answering=None, form_id="exception-ask-form",
        )  # fmt: skip
        on_refusal(page, form)
        if form.validate_on_submit():
            exceptions.ask_for_exception(organisation, year, form.needed_until.data, form.reason.data)
            db.session.commit()
            flash(str(_l("Your request has been sent.")), "success")
            return redirect(url_for("ExceptionView.index"))
        return page(), 400 if form.errors else 200

    @expose("/<int:request_id>/grant", methods=["GET", "POST"])
    @has_access
    def grant(self, request_id):
        asked = exceptions.request_in_scope(request_id)
        form = ExceptionForm()
        if request.method == "GET":
            form.until.data = asked.needed_until
        return self._answer(asked, form, _l("Grant the exception"), "exception-grant-form",
                            lambda: exceptions.grant_request(asked, form.until.data, form.reason.data))  # fmt: skip

    @expose("/<int:request_id>/refuse", methods=["GET", "POST"])
    @has_access
    def refuse(self, request_id):
        asked = exceptions.request_in_scope(request_id)
        form = ReasonForm()
        return self._answer(asked, form, _l("Refuse the exception"), "exception-refuse-form",
                            lambda: exceptions.refuse_request(asked, form.reason.data))  # fmt: skip

    def _answer(self, asked, form, title, form_id, step):
        page = lambda: self.render_template(  # noqa: E731
            "lec/exception_form.html", form=form, organisation=asked.organisation, title=title, needs=None,
            answering=asked, form_id=form_id,
        )  # fmt: skip
        on_refusal(page, form)
        if form.validate_on_submit():
            step()
            db.session.commit()
            flash("%s: %s" % (asked.organisation.name_th, _l("saved")), "success")
            return redirect(url_for("ExceptionView.index"))
        return page(), 400 if form.errors else 200


def text(payload, field):
    """A text field of the JSON body; anything but text reads as missing (the domain then says so)."""
    value = payload.get(field)
    return value if isinstance(value, str) else None


REQUEST_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "org": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string"},
    "year": {"type": "integer"}, "reason": {"type": "string"}, "needed_until": {"type": "string", "format": "date"},
    "state": {"type": "string", "enum": list(STATES)},
    "requested_on": {"type": "string"}, "requested_by": {"type": "string", "nullable": True},
    "granted_until": {"type": "string", "format": "date", "nullable": True},
    "answer_reason": {"type": "string", "nullable": True}, "answered_on": {"type": "string", "nullable": True},
    "answered_by": {"type": "string", "nullable": True}, "granted_by_level": {"type": "string"},
}}  # fmt: skip
ANSWERS = """          responses:
            200:
              $ref: '#/components/responses/lec_exception'
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


class ExceptionApi(LecApi, BaseApi):
    """Exception requests for scripts: the same rules and scope as the screens; a refusal is 409,
    bad input 400, a request outside the user's area 404."""

    resource_name = "exceptions"
    allow_browser_login = True
    responses = {
        **LecApi.responses,
        "lec_exception": {
            "description": "The request as it stands now",
            "content": {"application/json": {"schema": REQUEST_SCHEMA}},
        },
        "lec_exceptions": {
            "description": "The requests of the year in the user's area, newest first",
            "content": {"application/json": {"schema": {
                "type": "object", "properties": {"result": {"type": "array", "items": REQUEST_SCHEMA}},
            }}},
        },
    }  # fmt: skip

    def _year(self, value):
        number = whole_number(str(value or ""), AcademicYear.year.type)
        if number is None:
            return None
        return db.session.scalar(select(AcademicYear).where(AcademicYear.year == number))

    def _request(self, request_id):
        return exceptions.request_in_scope(request_id) if 0 < request_id <= LARGEST_ID else None

    @expose("/", methods=["GET"])
    @protect()
    @permission_name("get")
    def list_requests(self):
        """The exception requests of a year in the user's area
        ---
        get:
          parameters:
          - {in: query, name: year, required: true, schema: {type: integer}}
          - {in: query, name: state, required: false, schema: {type: string, enum: [requested, granted, refused]}}
          responses:
            200:
              $ref: '#/components/responses/lec_exceptions'
            400:
              $ref: '#/components/responses/lec_400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/lec_403'
            404:
              $ref: '#/components/responses/lec_404'
        """
        year, state = self._year(request.args.get("year")), request.args.get("state")
        if state is not None and state not in STATES:
            return self.response_400(message={"state": str(_l("Unknown state of a request."))})
        if year is None:
            return self.response_404()
        return self.response(200, result=[exceptions.as_dict(r) for r in exceptions.requests_in_area(year, state)])

    @expose("/ask", methods=["POST"])
    @protect()
    @permission_name("post")
    def ask(self):
        """Ask for an exception for one's own organisation past its deadline
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [org, year, needed_until, reason]
                  properties:
                    org: {type: string, description: "One's own organisation's code"}
                    year: {type: integer, description: "The academic year, Buddhist era (2569)"}
                    needed_until: {type: string, format: date, description: ISO date (Christian era)}
                    reason: {type: string, description: Why (required)}
        """
        payload = json_body()
        needed_until = iso_date(payload.get("needed_until"), "needed_until", required=True)
        code, year = payload.get("org"), self._year(payload.get("year"))
        organisation = find_organisation(str(code)) if code else None
        if organisation is None or year is None:
            return self.response_404()
        asked = exceptions.ask_for_exception(organisation, year, needed_until, text(payload, "reason"))
        db.session.commit()
        return self.response(200, **exceptions.as_dict(asked))

    ask.__doc__ = ask.__doc__.rstrip() + "\n" + ANSWERS

    @expose("/<int:request_id>/grant", methods=["POST"])
    @protect()
    @permission_name("post")
    def grant(self, request_id):
        """Grant a request: entry opens for the organisation until a date
        ---
        post:
          parameters:
          - {in: path, name: request_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [until, reason]
                  properties:
                    until: {type: string, format: date, description: ISO date (Christian era)}
                    reason: {type: string, description: Why (required)}
        """
        payload = json_body()
        until = iso_date(payload.get("until"), "until", required=True)
        asked = self._request(request_id)
        if asked is None:
            return self.response_404()
        exceptions.grant_request(asked, until, text(payload, "reason"))
        db.session.commit()
        return self.response(200, **exceptions.as_dict(asked))

    grant.__doc__ = grant.__doc__.rstrip() + "\n" + ANSWERS

    @expose("/<int:request_id>/refuse", methods=["POST"])
    @protect()
    @permission_name("post")
    def refuse(self, request_id):
        """Refuse a request, with a reason the organisation reads
        ---
        post:
          parameters:
          - {in: path, name: request_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reason]
                  properties:
                    reason: {type: string, description: Why (required)}
        """
        asked = self._request(request_id)
        if asked is None:
            return self.response_404()
        exceptions.refuse_request(asked, text(json_body(), "reason"))
        db.session.commit()
        return self.response(200, **exceptions.as_dict(asked))

    refuse.__doc__ = refuse.__doc__.rstrip() + "\n" + ANSWERS
