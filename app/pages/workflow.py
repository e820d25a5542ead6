"""The confirmation workflow's pages (app/workflow.py): the list actions' steps, the status board,
the forms that ask for a reason or a date, and the same steps for scripts."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, workflow
from ..extensions import db
from ..forms import ExceptionForm, ReasonForm
from ..models import AcademicYear
from ..scope import find_organisation, organisation_in_subtree, own_organisation
from .base import LecApi, iso_date, json_body, selected, whole_number
from .errors import each_alone, on_refusal

RETURNS = {"school": workflow.return_school, "lao": workflow.return_lao, "province": workflow.return_province}


def take_step(step, items, done):
    """Run a workflow step on each selected organisation; each succeeds or is refused on its own."""
    year = workflow.current_year()
    for item, refusal in each_alone(items, lambda item: step(item, year)):
        flash("%s: %s" % (item.name_th, refusal if refusal else done), "danger" if refusal else "success")
    return redirect(request.referrer or ".")


def ask_for(step, level, items):
    """Returns and exceptions need a reason (and a date): send the first selected row to the form."""
    return redirect(url_for("WorkflowView.give_reason", step=step, level=level, org_id=items[0].id))


class WorkflowView(BaseView):
    """The status board, and the forms that ask for a reason (returns) or a date (exceptions)."""

    route_base = "/workflow"
    default_view = "board"
    reads_replica = ("board", "board_of")  # app/replica.py

    @expose("/board")
    @has_access
    def board(self):
        """The board of the user's own node: the whole country for central."""
        return self._board(own_organisation())

    @expose("/board/<level>/<int:org_id>")
    @has_access
    @permission_name("board")
    def board_of(self, level, org_id):
        """The board of a node at or below the user's own (the drill-down)."""
        return self._board(organisation_in_subtree(level, org_id))

    def _board(self, organisation):
        board = workflow.board(workflow.current_year(), organisation)
        return self.render_template("lec/board.html", board=board)

    @expose("/changes/<level>/<int:org_id>")
    @has_access
    def changes(self, level, org_id):
        """What a returned organisation changed since it last confirmed."""
        organisation = organisation_in_subtree(level, org_id)
        confirmation = workflow.confirmation_of(organisation, workflow.current_year())
        history = audit.changes_since(confirmation)
        return self.render_template("lec/changes.html", organisation=organisation, history=history)

    @expose("/<step>/<level>/<int:org_id>", methods=["GET", "POST"])
    @has_access
    def give_reason(self, step, level, org_id):
        if step not in ("return", "exception"):
            abort(404)
        organisation = organisation_in_subtree(level, org_id)
        form = ExceptionForm() if step == "exception" else ReasonForm()
        title = _l("Grant an entry exception") if step == "exception" else _l("Return for correction")
        page = lambda: self.render_template(  # noqa: E731
            "lec/reason.html", form=form, organisation=organisation, title=title
        )
        on_refusal(page, form)
        if form.validate_on_submit():
            year = workflow.current_year()
            if step == "exception":
                workflow.grant_exception(organisation, year, form.until.data, form.reason.data)
            else:
                RETURNS[level](organisation, year, form.reason.data)
            db.session.commit()
            flash("%s: %s" % (organisation.name_th, _l("saved")), "success")
            return redirect(url_for("%sView.list" % type(organisation).__name__))
        return page(), 400 if form.errors else 200


WORKFLOW_BODY = """
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [org, year]
                  properties:
                    org: {type: string, description: "The organisation's code (school, LAO or province)"}
                    year: {type: integer, description: "The academic year, Buddhist era (2569)"}
%s          responses:
            200:
              $ref: '#/components/responses/lec_workflow'
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
REASON = "                    reason: {type: string, description: Why (required)}\n"


def workflow_spec(summary, extra=""):
    """An ``@expose`` docstring for a workflow step: its body and LEC's answers."""
    return "%s\n---\npost:%s" % (summary, WORKFLOW_BODY % extra)


class WorkflowApi(LecApi, BaseApi):
    """The confirmation steps for scripts: same rules and scope as the screens; refusals are 409."""

    resource_name = "workflow"
    allow_browser_login = True
    responses = {
        **LecApi.responses,
        "lec_workflow": {
            "description": "The organisation's confirmation now, and the steps open to the user",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "org": {"type": "string"}, "name": {"type": "string"}, "year": {"type": "integer"},
                "state": {"type": "string"}, "confirmed_on": {"type": "string", "nullable": True},
                "confirmed_by": {"type": "string", "nullable": True}, "entry_open": {"type": "boolean"},
                "deadline": {"type": "string", "format": "date"}, "days_left": {"type": "integer"},
                "history": {"type": "array", "items": {"type": "object"}}, "next": {"type": "object"},
            }}}},
        },
    }  # fmt: skip

    def _target(self, payload):
        code, year_value = payload.get("org"), whole_number(str(payload.get("year") or ""), AcademicYear.year.type)
        year = None
        if year_value is not None:
            year = db.session.scalar(select(AcademicYear).where(AcademicYear.year == year_value))
        organisation = find_organisation(str(code)) if code else None
        return organisation, year

    def _answer(self, payload, run=None):
        """The organisation's status after the step ``run`` takes (committed); without a step,
        read only."""
        organisation, year = self._target(payload)
        if organisation is None or year is None:
            return self.response_404()
        if run is not None:
            run(organisation, year)
            db.session.commit()
        return self.response(200, **workflow.status(organisation, year))

    @expose("/status", methods=["GET"])
    @protect()
    @permission_name("get")
    def status(self):
        """An organisation's confirmation in a year
        ---
        get:
          parameters:
          - {in: query, name: org, required: true, schema: {type: string}}
          - {in: query, name: year, required: true, schema: {type: integer}}
          responses:
            200:
              $ref: '#/components/responses/lec_workflow'
            400:
              $ref: '#/components/responses/lec_400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/lec_403'
            404:
              $ref: '#/components/responses/lec_404'
        """
        return self._answer(request.args)

    @expose("/confirm", methods=["POST"])
    @protect()
    @permission_name("post")
    def confirm(self):
        return self._answer(json_body(), lambda o, y: workflow.STEPS[type(o)]["confirm"](o, y))

    confirm.__doc__ = workflow_spec("Confirm an organisation's data for the year (school, LAO or province)")

    @expose("/take-back", methods=["POST"])
    @protect()
    @permission_name("post")
    def take_back(self):
        return self._answer(json_body(), workflow.take_back_school)

    take_back.__doc__ = workflow_spec("Take back a school's confirmation while its LAO has not confirmed")

    @expose("/return", methods=["POST"])
    @protect()
    @permission_name("post")
    def give_back(self):
        payload = json_body()
        return self._answer(payload, lambda o, y: workflow.STEPS[type(o)]["return"](o, y, payload.get("reason")))

    give_back.__doc__ = workflow_spec("Return a confirmation to the organisation below, with a reason", REASON)

    @expose("/exception", methods=["POST"])
    @protect()
    @permission_name("post")
    def exception(self):
        payload = json_body()
        until = iso_date(payload.get("until"), "until", required=True)
        return self._answer(payload, lambda o, y: workflow.grant_exception(o, y, until, payload.get("reason")))

    exception.__doc__ = workflow_spec(
        "Open entry again for an organisation after its deadline, until a date",
        REASON + "                    until: {type: string, format: date, description: ISO date (Christian era)}\n",
    )


# The list actions of each level's organisation list: the steps its row may take.
class SchoolSteps:
    @action("confirm_school", _l("Confirm the data"), _l("Confirm this school's data? It will be locked."),
            "fa-check", single=False)  # fmt: skip
    def confirm_school(self, items):
        return take_step(workflow.confirm_school, selected(items), _l("confirmed"))

    @action("take_back_school", _l("Take back the confirmation"), _l("Re-open this school's data?"), "fa-undo",
            single=False)  # fmt: skip
    def take_back_school(self, items):
        return take_step(workflow.take_back_school, selected(items), _l("re-opened"))

    @action("return_school", _l("Return for correction"), "", "fa-reply", single=False)
    def return_school(self, items):
        return ask_for("return", "school", selected(items))

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "school", selected(items))


class LaoSteps:
    @action("confirm_lao", _l("Confirm the data"), _l("Confirm this LAO's data? Every school must have confirmed."),
            "fa-check", single=False)  # fmt: skip
    def confirm_lao(self, items):
        return take_step(workflow.confirm_lao, selected(items), _l("confirmed"))

    @action("return_lao", _l("Return for correction"), "", "fa-reply", single=False)
    def return_lao(self, items):
        return ask_for("return", "lao", selected(items))

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "lao", selected(items))


class ProvinceSteps:
    @action("confirm_province", _l("Confirm the data"),
            _l("Confirm this province's data? Every LAO must have confirmed."), "fa-check", single=False)  # fmt: skip
    def confirm_province(self, items):
        return take_step(workflow.confirm_province, selected(items), _l("confirmed"))

    @action("return_province", _l("Return for correction"), "", "fa-reply", single=False)
    def return_province(self, items):
        return ask_for("return", "province", selected(items))

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "province", selected(items))
