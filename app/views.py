"""What a user sees: the generated screens, the REST API and the menu, as declarations."""

from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, IndexView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from sqlalchemy import select
from wtforms.validators import DataRequired, InputRequired, Optional

from . import audit, choices, credentials, db, labels, quality, workflow
from .base_views import LecInterface, LecModelApi, LecModelView
from .cli import find_organisation
from .errors import Invalid, OutOfScope
from .forms import ActivationForm, ExceptionForm, ReasonForm, Rule, choice_field, date_field
from .models import AcademicYear, AuditEvent, Credential, HistoryEntry, Lao, Province, School, Student
from .scope import readable
from .thai import format_be_date, format_be_datetime

AUDIT_COLUMNS = ["created_by", "created_on", "changed_by", "changed_on"]


class HomeView(IndexView):
    index_template = "lec/index.html"


def take_step(step, items, done):
    """Run a workflow step on each selected organisation; each succeeds or is refused on its own."""
    year = workflow.current_year()
    for item in items if isinstance(items, list) else [items]:
        try:
            step(item, year)
            db.session.commit()
            flash("%s: %s" % (item.name_th, done), "success")
        except (workflow.Refused, OutOfScope) as refusal:
            db.session.rollback()
            flash("%s: %s" % (item.name_th, str(refusal)), "danger")
    return redirect(request.referrer or ".")


def ask_for(step, level, items):
    """Returns and exceptions need a reason (and a date): send the first selected row to the form."""
    item = items[0] if isinstance(items, list) else items
    return redirect(url_for("WorkflowView.give_reason", step=step, level=level, org_id=item.id))


class SchoolSteps:
    @action("confirm_school", _l("Confirm the data"), _l("Confirm this school's data? It will be locked."),
            "fa-check", single=False)  # fmt: skip
    def confirm_school(self, items):
        return take_step(workflow.confirm_school, items, _l("confirmed"))

    @action("take_back_school", _l("Take back the confirmation"), _l("Re-open this school's data?"), "fa-undo",
            single=False)  # fmt: skip
    def take_back_school(self, items):
        return take_step(workflow.take_back_school, items, _l("re-opened"))

    @action("return_school", _l("Return for correction"), "", "fa-reply", single=False)
    def return_school(self, items):
        return ask_for("return", "school", items)

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "school", items)


class LaoSteps:
    @action("confirm_lao", _l("Confirm the data"), _l("Confirm this LAO's data? Every school must have confirmed."),
            "fa-check", single=False)  # fmt: skip
    def confirm_lao(self, items):
        return take_step(workflow.confirm_lao, items, _l("confirmed"))

    @action("return_lao", _l("Return for correction"), "", "fa-reply", single=False)
    def return_lao(self, items):
        return ask_for("return", "lao", items)

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "lao", items)


class ProvinceSteps:
    @action("confirm_province", _l("Confirm the data"),
            _l("Confirm this province's data? Every LAO must have confirmed."), "fa-check", single=False)  # fmt: skip
    def confirm_province(self, items):
        return take_step(workflow.confirm_province, items, _l("confirmed"))

    @action("return_province", _l("Return for correction"), "", "fa-reply", single=False)
    def return_province(self, items):
        return ask_for("return", "province", items)

    @action("grant_exception", _l("Grant an entry exception"), "", "fa-clock-o", single=False)
    def grant_exception(self, items):
        return ask_for("exception", "province", items)


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
        items = items if isinstance(items, list) else [items]
        return credentials.sheet_response(credentials.issue_credentials(items), ", ".join(i.name_th for i in items[:3]))

    @action(
        "reissue_all_credentials",
        _l("Re-issue credential sheet for all (QR)"),
        _l("Issue new activation codes for every account of the selected organisations and those below them? "
           "Earlier codes stop working."),
        "fa-refresh",
        single=False,
    )  # fmt: skip
    def reissue_all_credentials(self, items):
        items = items if isinstance(items, list) else [items]
        cards = credentials.issue_credentials(items, include_active=True)
        return credentials.sheet_response(cards, ", ".join(i.name_th for i in items[:3]))


class StudentView(LecModelView):
    datamodel = LecInterface(Student)
    list_title = _l("Learners")
    show_title = add_title = edit_title = _l("Learner")
    label_columns = labels.STUDENT
    list_columns = ["id_number", "prefix", "first_name", "last_name", "class_level", "school", "status"]
    search_columns = ["id_number", "first_name", "last_name", "class_level", "school", "academic_year", "status"]
    add_columns = edit_columns = [
        "academic_year", "school", "id_kind", "id_number", "prefix", "first_name", "last_name",
        "sex", "birth_date", "nationality", "religion", "class_level", "room", "disadvantage",
        "disability", "guardian_name", "guardian_phone",
    ]  # fmt: skip
    show_columns = add_columns + ["status"] + AUDIT_COLUMNS
    order_columns = ["id_number", "first_name", "last_name", "class_level", "status"]
    base_order = ("id", "asc")
    formatters_columns = {
        "birth_date": format_be_date,
        "class_level": choices.label_of(choices.CLASS_LEVELS),
        "id_kind": choices.label_of(choices.ID_KINDS),
        "sex": choices.label_of(choices.SEXES),
        "status": choices.label_of(choices.STUDENT_STATUSES),
        "disadvantage": choices.label_of(choices.DISADVANTAGES),
        "disability": choices.label_of(choices.DISABILITIES),
    }
    form_extra_fields = {
        "id_kind": choice_field(_l("Identifier kind"), choices.ID_KINDS, DataRequired()),
        "prefix": choice_field(_l("Prefix"), choices.PREFIXES, Optional()),
        "sex": choice_field(_l("Sex"), choices.SEXES, DataRequired()),
        "birth_date": date_field(_l("Birth date"), InputRequired(), Rule(quality.check_birth_date)),
        "class_level": choice_field(_l("Class level"), choices.CLASS_LEVELS, DataRequired()),
        "disadvantage": choice_field(_l("Disadvantage"), choices.DISADVANTAGES, Optional()),
        "disability": choice_field(_l("Disability"), choices.DISABILITIES, Optional()),
    }
    validators_columns = {"id_number": [Rule(quality.clean_identifier, "id_kind")]}


class SchoolView(SchoolSteps, IssuesCredentials, LecModelView):
    datamodel = LecInterface(School)
    list_title = _l("Schools and centres")
    show_title = add_title = edit_title = _l("School or centre")
    label_columns = labels.ORGANISATION
    list_columns = ["code", "name_th", "kind", "lao"]
    search_columns = ["code", "name_th", "kind", "lao"]
    add_columns = edit_columns = ["code", "name_th", "kind", "lao", "address", "phone", "head_name", "levels"]
    show_columns = add_columns + AUDIT_COLUMNS
    order_columns = ["code", "name_th", "kind"]
    formatters_columns = {"kind": choices.label_of(choices.SCHOOL_KINDS)}
    form_extra_fields = {"kind": choice_field(_l("Kind"), choices.SCHOOL_KINDS, DataRequired())}
    related_views = [StudentView]


class LaoView(LaoSteps, IssuesCredentials, LecModelView):
    datamodel = LecInterface(Lao)
    list_title = _l("Local administrative organisations")
    show_title = add_title = edit_title = _l("Local administrative organisation")
    label_columns = labels.ORGANISATION
    list_columns = ["code", "name_th", "kind", "province"]
    search_columns = ["code", "name_th", "kind", "province"]
    add_columns = edit_columns = ["code", "name_th", "kind", "province"]
    show_columns = add_columns + AUDIT_COLUMNS
    order_columns = ["code", "name_th", "kind"]
    formatters_columns = {"kind": choices.label_of(choices.LAO_KINDS)}
    form_extra_fields = {"kind": choice_field(_l("Kind"), choices.LAO_KINDS, DataRequired())}
    related_views = [SchoolView]


class ProvinceView(ProvinceSteps, IssuesCredentials, LecModelView):
    datamodel = LecInterface(Province)
    list_title = _l("Provinces")
    show_title = add_title = edit_title = _l("Province")
    label_columns = labels.ORGANISATION
    list_columns = ["code", "name_th", "name_en"]
    search_columns = ["code", "name_th", "name_en"]
    add_columns = edit_columns = ["code", "name_th", "name_en"]
    show_columns = add_columns + AUDIT_COLUMNS
    order_columns = ["code", "name_th", "name_en"]
    base_order = ("code", "asc")
    related_views = [LaoView]


class AcademicYearView(LecModelView):
    datamodel = LecInterface(AcademicYear)
    list_title = _l("Academic years")
    show_title = add_title = edit_title = _l("Academic year")
    label_columns = labels.ACADEMIC_YEAR
    list_columns = ["year", "entry_opens", "school_deadline", "lao_deadline", "province_deadline", "is_current"]
    add_columns = edit_columns = list_columns
    show_columns = list_columns + AUDIT_COLUMNS
    search_columns = order_columns = ["year"]
    base_order = ("year", "desc")
    formatters_columns = {
        **dict.fromkeys(["entry_opens", "school_deadline", "lao_deadline", "province_deadline"], format_be_date),
        "is_current": choices.label_of(choices.YES_NO),
    }
    form_extra_fields = {
        name: date_field(labels.ACADEMIC_YEAR[name], InputRequired())
        for name in ["entry_opens", "school_deadline", "lao_deadline", "province_deadline"]
    }


class ProvinceApi(LecModelApi):
    label_columns = labels.ORGANISATION
    resource_name = "province"
    datamodel = LecInterface(Province)
    list_columns = show_columns = ["id", "code", "name_th", "name_en"]
    add_columns = edit_columns = ["code", "name_th", "name_en"]


class LaoApi(LecModelApi):
    label_columns = labels.ORGANISATION
    resource_name = "lao"
    datamodel = LecInterface(Lao)
    list_columns = show_columns = ["id", "code", "name_th", "kind", "province.id", "province.name_th"]
    add_columns = edit_columns = ["code", "name_th", "kind", "province"]


class SchoolApi(LecModelApi):
    label_columns = labels.ORGANISATION
    resource_name = "school"
    datamodel = LecInterface(School)
    list_columns = show_columns = [
        "id", "code", "name_th", "kind", "lao.id", "lao.name_th", "address", "phone", "head_name", "levels",
    ]  # fmt: skip
    add_columns = edit_columns = ["code", "name_th", "kind", "lao", "address", "phone", "head_name", "levels"]


class AcademicYearApi(LecModelApi):
    label_columns = labels.ACADEMIC_YEAR
    resource_name = "academic_year"
    datamodel = LecInterface(AcademicYear)
    list_columns = show_columns = [
        "id", "year", "entry_opens", "school_deadline", "lao_deadline", "province_deadline", "is_current",
    ]  # fmt: skip
    add_columns = edit_columns = list_columns[1:]


class StudentApi(LecModelApi):
    label_columns = labels.STUDENT
    resource_name = "student"
    datamodel = LecInterface(Student)
    add_columns = edit_columns = StudentView.add_columns
    list_columns = show_columns = ["id"] + [
        c if c not in ("academic_year", "school") else c + ".id" for c in add_columns
    ] + ["school.name_th", "academic_year.year", "status"]


class CredentialView(LecModelView):
    """Who was issued a code, by whom and when, and who has registered: a province sees who has not
    activated yet and re-issues from the account list."""

    datamodel = LecInterface(Credential)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("Issued credentials")
    label_columns = labels.CREDENTIAL
    list_columns = ["user.username", "user", "issued_on", "issued_by", "expires_on", "activated_on", "status"]
    show_columns = list_columns + ["revoked_on"]
    search_columns = ["user", "issued_on", "activated_on"]
    order_columns = ["issued_on", "expires_on", "activated_on"]
    base_order = ("issued_on", "desc")
    formatters_columns = {
        **dict.fromkeys(["issued_on", "expires_on", "activated_on", "revoked_on"], format_be_datetime),
        "status": choices.label_of(choices.CREDENTIAL_STATUSES),
    }

    @action(
        "reissue_credentials",
        _l("Print credential sheet (QR)"),
        _l("Issue new activation codes for the selected accounts? Earlier codes stop working."),
        "fa-qrcode",
        single=False,
    )
    def reissue_credentials(self, items):
        return credentials.sheet_for_accounts(item.user for item in (items if isinstance(items, list) else [items]))


class ActivationView(BaseView):
    """The page a QR code opens: public, rate-limited, the same answer for every unusable code."""

    route_base = "/activate"
    default_view = "activate"

    @expose("/<code>", methods=["GET", "POST"])
    def activate(self, code):
        form = ActivationForm()
        try:
            account = credentials.usable_credential(code).user
            if form.validate_on_submit():
                login_user(credentials.activate(code, **{name: form[name].data for name in ACTIVATION_FIELDS}))
                flash(_l("Your account is active. Welcome to LEC."), "success")
                return redirect(self.appbuilder.get_url_for_index)
        except credentials.UnusableCode:
            return self.render_template("lec/activate.html", form=None), 404
        except Invalid as error:
            for field, message in error.errors.items():
                form[field].errors.append(message)
        page = self.render_template("lec/activate.html", form=form, account=account)
        return page, 400 if form.errors else 200


ORGANISATIONS = {"school": School, "lao": Lao, "province": Province}
RETURNS = {"school": workflow.return_school, "lao": workflow.return_lao, "province": workflow.return_province}


class HistoryView(LecModelView):
    """The change history, for central to search by person, organisation and date; read only."""

    datamodel = LecInterface(HistoryEntry)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("Change history")
    label_columns = labels.HISTORY
    list_columns = ["occurred_on", "actor", "table_name", "row_id", "action", "changes", "reason"]
    show_columns = list_columns + ["province_id", "lao_id", "school_id"]
    search_columns = ["actor", "occurred_on", "province_id", "lao_id", "school_id"]
    order_columns = ["occurred_on"]
    base_order = ("occurred_on", "desc")
    formatters_columns = {"occurred_on": format_be_datetime}


class AuditEventView(LecModelView):
    """Sign-ins, failed sign-ins, account changes and credential issues, for central to search."""

    datamodel = LecInterface(AuditEvent)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("Sign-ins and account events")
    label_columns = labels.AUDIT_EVENT
    list_columns = ["occurred_on", "actor", "action", "target", "ip"]
    show_columns = list_columns + ["detail"]
    search_columns = ["occurred_on", "actor", "action"]
    order_columns = ["occurred_on"]
    base_order = ("occurred_on", "desc")
    formatters_columns = {"occurred_on": format_be_datetime}


class WorkflowView(BaseView):
    """The status board, and the forms that ask for a reason (returns) or a date (exceptions)."""

    route_base = "/workflow"
    default_view = "board"

    @expose("/board")
    @has_access
    def board(self):
        year = workflow.current_year()
        names = ("school_deadline", "lao_deadline", "province_deadline")
        deadlines = {name: format_be_date(getattr(year, name)) for name in names}
        return self.render_template("lec/board.html", year=year, rows=workflow.board(year), **deadlines)

    @expose("/changes/<level>/<int:org_id>")
    @has_access
    def changes(self, level, org_id):
        """What a returned organisation changed since it last confirmed."""
        organisation = self._organisation(level, org_id)
        confirmation = workflow.confirmation_of(organisation, workflow.current_year())
        history = audit.changes_since(confirmation)
        return self.render_template("lec/changes.html", organisation=organisation, history=history)

    @staticmethod
    def _organisation(level, org_id):
        model = ORGANISATIONS.get(level)
        organisation = model and db.session.scalar(select(model).where(model.id == org_id, readable(model)))
        if organisation is None:
            abort(404)
        return organisation

    @expose("/<step>/<level>/<int:org_id>", methods=["GET", "POST"])
    @has_access
    def give_reason(self, step, level, org_id):
        if step not in ("return", "exception"):
            abort(404)
        organisation = self._organisation(level, org_id)
        model = type(organisation)
        form = ExceptionForm() if step == "exception" else ReasonForm()
        if form.validate_on_submit():
            year = workflow.current_year()
            try:
                if step == "exception":
                    workflow.grant_exception(organisation, year, form.until.data, form.reason.data)
                else:
                    RETURNS[level](organisation, year, form.reason.data)
                db.session.commit()
                flash("%s: %s" % (organisation.name_th, _l("saved")), "success")
                return redirect(url_for("%sView.list" % model.__name__))
            except (workflow.Refused, OutOfScope) as refusal:
                db.session.rollback()
                flash(str(refusal), "danger")
        title = _l("Grant an entry exception") if step == "exception" else _l("Return for correction")
        page = self.render_template("lec/reason.html", form=form, organisation=organisation, title=title)
        return page, 400 if form.errors else 200


class WorkflowApi(BaseApi):
    """The confirmation steps for scripts: same rules and scope as the screens; refusals are 409."""

    resource_name = "workflow"
    allow_browser_login = True

    def _target(self, payload):
        code, year_value = payload.get("org"), str(payload.get("year") or "")
        year = None
        if year_value.isdigit():
            year = db.session.scalar(select(AcademicYear).where(AcademicYear.year == int(year_value)))
        organisation = find_organisation(str(code)) if code else None
        return organisation, year

    def _answer(self, payload, run):
        organisation, year = self._target(payload)
        if organisation is None or year is None:
            return self.response_404()
        try:
            run(organisation, year)
            db.session.commit()
        except workflow.Refused as refusal:
            db.session.rollback()
            return self.response(409, message=refusal.reasons)
        except OutOfScope:
            db.session.rollback()
            return self.response_404()
        return self.response(200, **workflow.status(organisation, year))

    @expose("/status", methods=["GET"])
    @protect()
    @permission_name("get")
    def status(self):
        return self._answer(request.args, lambda organisation, year: None)

    @expose("/confirm", methods=["POST"])
    @protect()
    @permission_name("post")
    def confirm(self):
        return self._answer(request.get_json(silent=True) or {}, lambda o, y: workflow.STEPS[type(o)]["confirm"](o, y))

    @expose("/take-back", methods=["POST"])
    @protect()
    @permission_name("post")
    def take_back(self):
        return self._answer(request.get_json(silent=True) or {}, workflow.take_back_school)

    @expose("/return", methods=["POST"])
    @protect()
    @permission_name("post")
    def give_back(self):
        payload = request.get_json(silent=True) or {}
        return self._answer(payload, lambda o, y: workflow.STEPS[type(o)]["return"](o, y, payload.get("reason")))

    @expose("/exception", methods=["POST"])
    @protect()
    @permission_name("post")
    def exception(self):
        payload = request.get_json(silent=True) or {}
        try:
            until = date.fromisoformat(payload.get("until") or "")
        except ValueError:
            message = _l("Not a valid date; the API takes ISO dates (yyyy-mm-dd, Christian era).")
            return self.response_400(message={"until": str(message)})
        return self._answer(payload, lambda o, y: workflow.grant_exception(o, y, until, payload.get("reason")))


ACTIVATION_FIELDS = ("first_name", "last_name", "position", "phone", "email", "password")


def register(appbuilder):
    organisations = dict(category="Organisations", category_label=_l("Organisations"))
    appbuilder.add_view(ProvinceView, "Provinces", label=_l("Provinces"), icon="fa-map", **organisations)
    appbuilder.add_view(
        LaoView,
        "Local administrative organisations",
        label=_l("Local administrative organisations"),
        icon="fa-building",
        **organisations,
    )
    appbuilder.add_view(
        SchoolView, "Schools and centres", label=_l("Schools and centres"), icon="fa-school", **organisations
    )
    appbuilder.add_view(
        AcademicYearView, "Academic years", label=_l("Academic years"), icon="fa-calendar", **organisations
    )
    appbuilder.add_view(StudentView, "Learners", label=_l("Learners"), icon="fa-users")
    appbuilder.add_view(
        CredentialView,
        "Issued credentials",
        label=_l("Issued credentials"),
        icon="fa-qrcode",
        category="Security",
        category_label=_l("Security"),
    )
    appbuilder.add_view(
        WorkflowView, "Confirmation status", label=_l("Confirmation status"), icon="fa-tasks", href="/workflow/board"
    )
    appbuilder.add_api(WorkflowApi)
    appbuilder.add_view(
        AuditEventView, "Sign-ins and account events", label=_l("Sign-ins and account events"), icon="fa-sign-in",
        category="Security", category_label=_l("Security"),
    )  # fmt: skip
    appbuilder.add_view(
        HistoryView, "Change history", label=_l("Change history"), icon="fa-history",
        category="Security", category_label=_l("Security"),
    )  # fmt: skip
    activation = appbuilder.add_view_no_menu(ActivationView)
    appbuilder.sm.limiter.limit(current_app.config["LEC_ACTIVATION_RATE_LIMIT"])(activation.blueprint)
    for api in (ProvinceApi, LaoApi, SchoolApi, AcademicYearApi, StudentApi):
        appbuilder.add_api(api)
