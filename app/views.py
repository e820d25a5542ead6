"""What a user sees: the generated screens, the REST API and the menu, as declarations."""

import io
from datetime import date

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_appbuilder import BaseView, IndexView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi, protect
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import literal, select
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from . import audit, charts, choices, credentials, labels, learners, manual, quality, spotcheck, workflow
from .assets import PLOTLY_VERSION
from .audit import HistoryEntry
from .base_views import LecApi, LecInterface, LecModelApi, LecModelView, whole_number
from .errors import Conflict, Invalid, OutOfScope
from .exports import download
from .extensions import db
from .forms import (
    ActivationForm,
    ExceptionForm,
    ImportCommitForm,
    ImportForm,
    ReasonForm,
    RemovalForm,
    Rule,
    SpotCheckForm,
    SpotCheckResultsForm,
    choice_field,
    count_field,
    date_field,
    flag_field,
)
from .importer import AlreadyImported, commit_upload, preview_upload, store_upload, template_workbook
from .models import (
    PROFILE_COUNTS,
    AcademicYear,
    AuditEvent,
    BudgetRate,
    Credential,
    ImportUpload,
    Lao,
    NoOtherSchools,
    OtherSchool,
    Province,
    School,
    SchoolBuilding,
    SchoolProfile,
    SpotCheck,
    SpotCheckItem,
    Student,
)
from .pages import sheets
from .reports import (
    BASES,
    COUNTRY,
    ENTERED,
    baht,
    budget,
    budget_file,
    head_count,
    head_count_file,
    head_count_pdf,
)
from .scope import ORGANISATIONS, current_node, find_organisation, organisation_in_subtree, readable
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
        return sheets.sheet_response(credentials.issue_credentials(items), ", ".join(i.name_th for i in items[:3]))

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
        return sheets.sheet_response(cards, ", ".join(i.name_th for i in items[:3]))


class StudentView(LecModelView):
    """The learners in the count. Nobody deletes one (app/learners.py): a learner who left is
    removed with a reason, and listed by RemovedStudentView."""

    datamodel = LecInterface(Student)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_download"]
    base_filters = [["status", FilterEqual, learners.ACTIVE]]
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

    @action("remove_learners", _l("Remove from the count"), "", "fa-user-times", single=False)
    def remove_learners(self, items):
        """Removal needs a reason, a date and a note: the selected learners go to its form."""
        items = items if isinstance(items, list) else [items]
        return redirect(url_for("LearnersView.remove", ids=",".join(str(item.id) for item in items)))

    def post_add(self, item):
        """The clerk sees at once what the data-quality checks find in the learner just saved."""
        for finding in quality.findings_of(item.academic_year, select(literal(item.school_id)), student_id=item.id):
            text = finding.check.message
            if finding.other_school:
                text = "%s %s" % (text, _l("Also active in %(school)s (%(lao)s)", school=finding.other_school.name_th,
                                             lao=finding.other_lao.name_th))  # fmt: skip
            flash(text, "danger" if finding.check.severity == quality.ERROR else "warning")

    post_update = post_add


class RemovedStudentView(LecModelView):
    """Learners taken out of the count, with why, when and by whom; read only. The school (while
    its data is open) or its LAO restores them (app/learners.py)."""

    datamodel = LecInterface(Student)
    base_permissions = ["can_list", "can_show"]
    base_filters = [["status", FilterEqual, learners.REMOVED]]
    list_title = _l("Removed learners")
    show_title = _l("Removed learner")
    label_columns = labels.STUDENT
    list_columns = [
        "id_number", "first_name", "last_name", "class_level", "school", "removal_reason", "removed_on", "removed_by",
        "removal_note",
    ]  # fmt: skip
    search_columns = ["id_number", "first_name", "last_name", "class_level", "school", "academic_year", "removed_by"]
    show_columns = StudentView.add_columns + ["status", "removal_reason", "removed_on", "removal_note", "removed_by"]
    show_columns += AUDIT_COLUMNS
    order_columns = ["id_number", "first_name", "last_name", "class_level"]
    formatters_columns = {
        **StudentView.formatters_columns,
        "removal_reason": choices.label_of(choices.REMOVAL_REASONS),
        "removed_on": format_be_date,
    }

    @action("restore_learners", _l("Restore to the count"), _l("Restore the selected learners to the count?"),
            "fa-undo", single=False)  # fmt: skip
    def restore_learners(self, items):
        items = items if isinstance(items, list) else [items]
        try:
            learners.restore_learners(items)
            db.session.commit()
            flash(_l("Learners restored to the count: %(count)d.", count=len(items)), "success")
        except (workflow.Refused, workflow.Locked, Invalid) as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
        return redirect(url_for("RemovedStudentView.list"))


def learners_or_404(ids):
    """The learners named in ``ids`` ("12,15"): 400 when it is not a list of numbers, 404 when one is
    unknown or outside the user's subtree."""
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError:
        abort(400)
    if not wanted:
        abort(400)
    try:
        return learners.learners_by_id(wanted)
    except OutOfScope:
        abort(404)


def chosen_or_404(options, wanted, key):
    """The option whose ``key`` is ``wanted`` (404 when there is none), or the first when nothing was asked."""
    if not wanted:
        return options[0] if options else None
    found = next((option for option in options if str(key(option)) == wanted), None)
    if found is None:
        abort(404)
    return found


class LearnersView(BaseView):
    """The removal form behind StudentView's action, and the new-year wizard (app/learners.py)."""

    route_base = "/learners"
    default_view = "rollover"

    @expose("/remove", methods=["GET", "POST"])
    @has_access
    def remove(self):
        chosen = learners_or_404(request.args.get("ids", ""))
        form = RemovalForm()
        code = 400 if request.method == "POST" else 200
        if form.validate_on_submit():
            try:
                learners.remove_learners(chosen, form.reason.data, form.removed_on.data, form.note.data)
                db.session.commit()
                flash(_l("Learners taken out of the count: %(count)d.", count=len(chosen)), "success")
                return redirect(url_for("StudentView.list"))
            except Invalid as error:
                db.session.rollback()
                for name, message in error.errors.items():
                    form[name].errors.append(message)
            except (workflow.Refused, workflow.Locked) as refusal:
                db.session.rollback()
                flash(str(refusal), "danger")
                code = 409
        page = self.render_template("lec/remove.html", form=form, learners=chosen, levels=dict(choices.CLASS_LEVELS))
        return page, code

    @expose("/rollover", methods=["GET", "POST"])
    @has_access
    def rollover(self):
        to_year = workflow.current_year()
        schools = learners.schools_to_roll_over()
        school = chosen_or_404(schools, request.args.get("school"), lambda school: school.id)
        years = learners.earlier_years(school, to_year) if school and to_year else []
        default_first = [year for year in years if year.year == to_year.year - 1] + years  # the year before
        from_year = chosen_or_404(default_first, request.args.get("from"), lambda year: year.year)
        proposal = learners.roll_over(school, from_year, to_year) if from_year else None
        form, code = FlaskForm(), 200
        if proposal is not None and form.validate_on_submit():
            chosen = [int(value) for value in request.form.getlist("carry") if value.isdigit()]
            try:
                learners.carry_over(school, from_year, to_year, chosen)
                db.session.commit()
                left = len(proposal.leaving) + len(proposal.carried) - len(chosen)
                flash(_l("Carried over into %(year)s: %(count)d learners; not carried over: %(left)d.",
                         year=to_year.year, count=len(chosen), left=left), "success")  # fmt: skip
                return redirect(url_for("StudentView.list"))
            except (workflow.Refused, workflow.Locked, Invalid) as refusal:
                db.session.rollback()
                flash(str(refusal), "danger")
                code = 400 if isinstance(refusal, Invalid) else 409
        page = self.render_template(
            "lec/rollover.html", schools=schools, school=school, years=years, from_year=from_year, to_year=to_year,
            proposal=proposal, form=form, levels=dict(choices.CLASS_LEVELS),
        )  # fmt: skip
        return page, code


def iso_date(value, field):
    """A date the API received (ISO, Christian era); None when none was given."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        message = _l("Not a valid date; the API takes ISO dates (yyyy-mm-dd, Christian era).")
        raise Invalid({field: str(message)}) from None


class LearnerApi(LecApi, BaseApi):
    """Removal and restoring for scripts, with the screens' rules and scope: POST /remove
    {ids, reason, removed_on (ISO), note} and /restore {ids}. Bad input is a 400 by field, a
    learner outside the user's subtree a 404, a refusal (already removed, locked) a 409."""

    resource_name = "learners"
    allow_browser_login = True

    @expose("/remove", methods=["POST"])
    @protect()
    @permission_name("remove")
    def remove(self):
        """Take learners out of the count
        ---
        post:
          description: >-
            Removes the learners (ids) with a reason and the date they left; the school's own
            learners while its data is open, or its LAO's.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [ids, reason, removed_on]
                  properties:
                    ids: {type: array, minItems: 1, items: {type: integer}}
                    reason: {type: string, description: "moved, dropped_out, died, duplicate or other"}
                    removed_on: {type: string, format: date, description: ISO date (Christian era)}
                    note: {type: string, nullable: true}
          responses:
            200:
              $ref: '#/components/responses/lec_learners'
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
        return self._answer(
            lambda chosen, payload: learners.remove_learners(
                chosen, payload.get("reason"), iso_date(payload.get("removed_on"), "removed_on"), payload.get("note")
            )
        )

    @expose("/restore", methods=["POST"])
    @protect()
    @permission_name("restore")
    def restore(self):
        """Bring removed learners back into the count
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [ids]
                  properties:
                    ids: {type: array, minItems: 1, items: {type: integer}}
          responses:
            200:
              $ref: '#/components/responses/lec_learners'
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
        return self._answer(lambda chosen, payload: learners.restore_learners(chosen))

    responses = {
        **LecApi.responses,
        "lec_learners": {
            "description": "The learners changed, and their status now",
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "ids": {"type": "array", "items": {"type": "integer"}}, "status": {"type": "string"},
            }}}},
        },
    }  # fmt: skip

    def _answer(self, step):
        payload = request.get_json(silent=True)
        payload = payload if isinstance(payload, dict) else {}
        ids = payload.get("ids")
        keys = ids if isinstance(ids, list) else []
        if not keys or any(type(key) is not int or whole_number(key, Student.id.type) is None for key in keys):
            return self.response_400(message={"ids": str(_l("Give the learners' ids as a list of numbers."))})
        try:
            done = step(learners.learners_by_id(ids), payload)
            db.session.commit()
        except Invalid as error:
            db.session.rollback()
            return self.response_400(message=error.errors)
        except OutOfScope:
            db.session.rollback()
            return self.response_404()
        except (workflow.Refused, workflow.Locked) as refusal:
            db.session.rollback()
            return self.response(409, message=getattr(refusal, "reasons", [str(refusal)]))
        return self.response(200, ids=[student.id for student in done], status=done[0].status)


# -- other-affiliation counts (the LAO's) and school profiles (the school's) ----------------------


def _counts_of(*levels):
    return ["%s_%s" % (level, sex) for level in levels for sex, _label in choices.COUNT_SEXES]


OTHER_SCHOOL_FIELDS = ["academic_year", "lao", "name", "affiliation", "note"]
OTHER_SCHOOL_FIELDSETS = [
    (_l("School of another affiliation"), {"fields": OTHER_SCHOOL_FIELDS}),
    (_l("Kindergarten"), {"fields": _counts_of("k1", "k2", "k3")}),
    (_l("Primary"), {"fields": _counts_of("p1", "p2", "p3", "p4", "p5", "p6")}),
    (_l("Lower secondary"), {"fields": _counts_of("m1", "m2", "m3")}),
    (_l("Upper secondary"), {"fields": _counts_of("m4", "m5", "m6")}),
    (_l("Vocational"), {"fields": _counts_of("v1", "v2", "v3")}),
]


class OtherSchoolView(LecModelView):
    """The schools in an LAO's area that it does not run, with their learners by level and sex,
    one form per school (จำนวนนักเรียนสังกัดอื่น). Locked with the LAO's confirmation."""

    datamodel = LecInterface(OtherSchool)
    list_title = _l("Schools of other affiliations")
    show_title = add_title = edit_title = _l("School of another affiliation")
    label_columns = labels.OTHER_SCHOOL
    list_columns = ["academic_year", "lao", "name", "affiliation", "male", "female", "total"]
    search_columns = ["academic_year", "lao", "name", "affiliation"]
    order_columns = ["name", "affiliation"]
    add_fieldsets = edit_fieldsets = OTHER_SCHOOL_FIELDSETS
    show_fieldsets = OTHER_SCHOOL_FIELDSETS + [(_l("Recorded"), {"fields": AUDIT_COLUMNS})]
    formatters_columns = {"affiliation": choices.label_of(choices.AFFILIATIONS)}
    form_extra_fields = {
        "affiliation": choice_field(_l("Affiliation"), choices.AFFILIATIONS, DataRequired()),
        **{field: count_field(labels.OTHER_SCHOOL[field]) for field in choices.OTHER_SCHOOL_COUNTS},
    }


class NoOtherSchoolsView(LecModelView):
    """An LAO states, per year, that no school of another affiliation lies in its area, so that
    it can confirm without recording one."""

    datamodel = LecInterface(NoOtherSchools)
    list_title = show_title = add_title = edit_title = _l("No school of another affiliation in the area")
    label_columns = labels.OTHER_SCHOOL
    list_columns = ["academic_year", "lao", "note"]
    add_columns = edit_columns = ["academic_year", "lao", "note"]
    show_columns = add_columns + AUDIT_COLUMNS
    search_columns = ["academic_year", "lao"]
    order_columns = ["id"]  # FAB sorts by every column when the list is empty; only id is indexed here


class SchoolBuildingView(LecModelView):
    datamodel = LecInterface(SchoolBuilding)
    list_title = _l("School buildings")
    show_title = add_title = edit_title = _l("Building")
    label_columns = labels.SCHOOL_BUILDING
    list_columns = ["profile", "kind", "built_year_be", "condition"]
    add_columns = edit_columns = ["profile", "kind", "built_year_be", "condition", "note"]
    show_columns = add_columns + AUDIT_COLUMNS
    search_columns = ["profile", "kind", "condition"]
    order_columns = ["kind", "built_year_be", "condition"]
    formatters_columns = {
        "kind": choices.label_of(choices.BUILDING_KINDS),
        "condition": choices.label_of(choices.BUILDING_CONDITIONS),
    }
    form_extra_fields = {
        "kind": choice_field(_l("Kind of building"), choices.BUILDING_KINDS, DataRequired()),
        "built_year_be": IntegerField(
            _l("Year built (B.E.)"),
            [Optional(), NumberRange(min=2400, max=2700, message=_l("A Buddhist-era year, e.g. 2545."))],
        ),
        "condition": choice_field(_l("Condition"), choices.BUILDING_CONDITIONS, DataRequired()),
    }


class SchoolProfileView(LecModelView):
    """A school's or centre's basic data for a year: personnel, classrooms, and its buildings
    (ข้อมูลพื้นฐานสถานศึกษา). Locked with the school's confirmation, like its learners."""

    datamodel = LecInterface(SchoolProfile)
    list_title = _l("School profiles")
    show_title = add_title = edit_title = _l("School profile")
    label_columns = labels.SCHOOL_PROFILE
    list_columns = ["academic_year", "school", "teachers_male", "teachers_female", "classrooms"]
    add_columns = edit_columns = ["academic_year", "school"] + PROFILE_COUNTS
    show_columns = add_columns + AUDIT_COLUMNS
    search_columns = ["academic_year", "school"]
    order_columns = ["id"]  # FAB sorts by every column when the list is empty; only id is indexed here
    form_extra_fields = {field: count_field(labels.SCHOOL_PROFILE[field]) for field in PROFILE_COUNTS}
    related_views = [SchoolBuildingView]


class OtherSchoolApi(LecModelApi):
    label_columns = labels.OTHER_SCHOOL
    resource_name = "other_school"
    datamodel = LecInterface(OtherSchool)
    add_columns = edit_columns = OTHER_SCHOOL_FIELDS + choices.OTHER_SCHOOL_COUNTS
    list_columns = show_columns = [
        "id", "academic_year.id", "academic_year.year", "lao.id", "lao.name_th", "name", "affiliation", "note",
    ] + choices.OTHER_SCHOOL_COUNTS  # fmt: skip


class NoOtherSchoolsApi(LecModelApi):
    label_columns = labels.OTHER_SCHOOL
    resource_name = "no_other_schools"
    datamodel = LecInterface(NoOtherSchools)
    add_columns = edit_columns = ["academic_year", "lao", "note"]
    list_columns = show_columns = ["id", "academic_year.id", "academic_year.year", "lao.id", "lao.name_th", "note"]


class SchoolProfileApi(LecModelApi):
    label_columns = labels.SCHOOL_PROFILE
    resource_name = "school_profile"
    datamodel = LecInterface(SchoolProfile)
    add_columns = edit_columns = ["academic_year", "school"] + PROFILE_COUNTS
    list_columns = show_columns = [
        "id", "academic_year.id", "academic_year.year", "school.id", "school.name_th",
    ] + PROFILE_COUNTS  # fmt: skip


class SchoolBuildingApi(LecModelApi):
    label_columns = labels.SCHOOL_BUILDING
    resource_name = "school_building"
    datamodel = LecInterface(SchoolBuilding)
    add_columns = edit_columns = ["profile", "kind", "built_year_be", "condition", "note"]
    list_columns = show_columns = ["id", "profile.id", "kind", "built_year_be", "condition", "note"]


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
    related_views = [StudentView, SchoolProfileView]


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
    related_views = [SchoolView, OtherSchoolView, NoOtherSchoolsView]


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
        name: date_field(labels.ACADEMIC_YEAR[name], InputRequired(), *([Rule(quality.check_year_date, earlier)]
                                                                        if earlier else []))
        for earlier, name in zip([None, *quality.YEAR_DATES], quality.YEAR_DATES, strict=False)
    }  # fmt: skip
    validators_columns = {"is_current": [Rule(quality.check_one_current_year, "year")]}


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
    """Every learner, removed ones included (``status``); removal and restoring are LearnerApi's."""

    label_columns = labels.STUDENT
    resource_name = "student"
    datamodel = LecInterface(Student)
    base_permissions = ["can_get", "can_info", "can_post", "can_put"]  # never can_delete (app/learners.py)
    add_columns = edit_columns = StudentView.add_columns
    list_columns = show_columns = ["id"] + [
        c if c not in ("academic_year", "school") else c + ".id" for c in add_columns
    ] + ["school.name_th", "academic_year.year", "status", "removal_reason", "removed_on", "removal_note",
         "removed_by.username"]  # fmt: skip


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
        return sheets.sheet_for_accounts(item.user for item in (items if isinstance(items, list) else [items]))


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
                account = credentials.activate(code, **{name: form[name].data for name in ACTIVATION_FIELDS})
                db.session.commit()
                login_user(account)
                flash(_l("Your account is active. Welcome to LEC."), "success")
                return redirect(self.appbuilder.get_url_for_index)
        except credentials.UnusableCode:
            return self.render_template("lec/activate.html", form=None), 404
        except Invalid as error:
            for field, message in error.errors.items():
                form[field].errors.append(message)
        page = self.render_template("lec/activate.html", form=form, account=account)
        return page, 400 if form.errors else 200


class ImportView(BaseView):
    """Spreadsheet import of learners (app/importer.py): upload a file for a school the user may
    write, read the preview with every row's errors, import the valid rows. An upload outside the
    user's scope does not exist for them (404)."""

    route_base = "/import"
    default_view = "upload"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def create_blueprint(self, appbuilder, *args, **kwargs):
        """A request above MAX_CONTENT_LENGTH is refused before the view runs: say so in Thai."""
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.register_error_handler(413, self.too_large)
        return blueprint

    def too_large(self, error):
        self.appbuilder.sm.before_request()  # the refusal came before FAB's own hook named the user
        limit = current_app.config["LEC_IMPORT_MAX_BYTES"] // (1024 * 1024)
        message = _l("The file is larger than %(size)d MB.", size=limit)
        return self.render_template("lec/import_upload.html", form=None, message=message), 413

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        year = workflow.current_year()
        schools = db.session.execute(
            select(School.id, School.name_th, School.code).where(readable(School)).order_by(School.code)
        ).all()
        form = ImportForm()
        blank = [("", "")] if len(schools) > 1 else []
        form.school.choices = blank + [(row_id, "%s (%s)" % (name, code)) for row_id, name, code in schools]
        message = None if year is not None else _l("There is no current academic year.")
        if year is not None and form.validate_on_submit():
            try:
                upload = store_upload(
                    db.session.get(School, form.school.data), year, form.file.data.filename, form.file.data.read()
                )
                db.session.commit()
                return redirect(url_for(".preview", upload_id=upload.id))
            except (Invalid, OutOfScope) as refusal:
                db.session.rollback()
                message = str(refusal)
        page = self.render_template("lec/import_upload.html", form=form, message=message, year=year)
        return page, 400 if request.method == "POST" else 200

    @expose("/template")
    @has_access
    def template(self):
        name = "%s.xlsx" % _l("learner import template")
        return send_file(io.BytesIO(template_workbook()), self.XLSX, as_attachment=True, download_name=name)

    @expose("/<int:upload_id>")
    @has_access
    def preview(self, upload_id):
        return self._preview_page(self._upload(upload_id))

    @expose("/<int:upload_id>/commit", methods=["POST"])
    @has_access
    def commit(self, upload_id):
        upload = self._upload(upload_id)
        if not ImportCommitForm().validate_on_submit():
            return self._preview_page(upload, _l("The form has expired; open the preview and import again."), 400)
        try:
            done = commit_upload(upload).counts
            db.session.commit()
        except (workflow.Locked, AlreadyImported) as refusal:
            return self._preview_page(self._upload(upload_id), str(refusal), 409)
        except (Invalid, OutOfScope, Conflict) as refusal:
            return self._preview_page(self._upload(upload_id), str(refusal), 400)
        flash(_l("Imported: %(new)d new learners, %(update)d updated, %(unchanged)d unchanged.", **done), "success")
        return redirect(url_for("StudentView.list"))

    @staticmethod
    def _upload(upload_id):
        upload = db.session.scalar(select(ImportUpload).where(ImportUpload.id == upload_id, readable(ImportUpload)))
        if upload is None:
            abort(404)
        return upload

    def _preview_page(self, upload, message=None, status=200):
        try:
            preview = preview_upload(upload)
        except Invalid as error:
            preview, message, status = None, str(error), 400
        page = self.render_template(
            "lec/import_preview.html", upload=upload, preview=preview, form=ImportCommitForm(), message=message
        )
        return page, status


def organisation_or_404(level, org_id):
    """The school, LAO or province a page names, by the one rule (own node or below), or a 404."""
    try:
        return organisation_in_subtree(level, org_id)
    except OutOfScope:
        abort(404)


RETURNS = {"school": workflow.return_school, "lao": workflow.return_lao, "province": workflow.return_province}


class HistoryView(LecModelView):
    """The change history, for central to search by person, organisation and date; read only."""

    datamodel = LecInterface(HistoryEntry)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("Change history")
    label_columns = labels.HISTORY
    list_columns = ["occurred_on", "actor", "record", "action", "summary", "reason"]
    show_columns = list_columns + ["table_name", "row_id", "province_id", "lao_id", "school_id"]
    search_columns = ["actor", "occurred_on", "province_id", "lao_id", "school_id"]
    order_columns = ["occurred_on"]
    base_order = ("occurred_on", "desc")
    formatters_columns = {"occurred_on": format_be_datetime, "action": choices.label_of(choices.HISTORY_ACTIONS)}


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
        """The board of the user's own node: the whole country for central."""
        node = current_node()
        return self._board(organisation_or_404(node.level, node.id) if node.level in ORGANISATIONS else None)

    @expose("/board/<level>/<int:org_id>")
    @has_access
    @permission_name("board")
    def board_of(self, level, org_id):
        """The board of a node at or below the user's own (the drill-down)."""
        return self._board(organisation_or_404(level, org_id))

    def _board(self, organisation):
        try:
            board = workflow.board(workflow.current_year(), organisation)
        except OutOfScope:
            abort(404)
        return self.render_template("lec/board.html", board=board)

    @expose("/changes/<level>/<int:org_id>")
    @has_access
    def changes(self, level, org_id):
        """What a returned organisation changed since it last confirmed."""
        organisation = organisation_or_404(level, org_id)
        confirmation = workflow.confirmation_of(organisation, workflow.current_year())
        history = audit.changes_since(confirmation)
        return self.render_template("lec/changes.html", organisation=organisation, history=history)

    @expose("/<step>/<level>/<int:org_id>", methods=["GET", "POST"])
    @has_access
    def give_reason(self, step, level, org_id):
        if step not in ("return", "exception"):
            abort(404)
        organisation = organisation_or_404(level, org_id)
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


class QualityView(BaseView):
    """The data-quality report: counts per check for an organisation and its parts, the learners
    behind each count with a link to fix them, and the school's explanations of its warnings."""

    route_base = "/quality"
    default_view = "mine"

    @expose("/")
    @has_access
    @permission_name("report")
    def mine(self):
        node = current_node()
        level = node.level if node.level in ORGANISATIONS else "country"
        return redirect(url_for("QualityView.report", level=level, org_id=node.id or 0))

    @expose("/<level>/<int:org_id>")
    @has_access
    def report(self, level, org_id):
        organisation, year = self._organisation(level, org_id), workflow.current_year()
        rows, children = quality.report(self._level(level), org_id, year)
        found = quality.findings_of(year, quality.schools_of(level, org_id)) if level == "school" else []
        return self._page(level, organisation, rows=rows, children=children, found=found)

    @expose("/<level>/<int:org_id>/<rule>")
    @has_access
    @permission_name("report")
    def learners(self, level, org_id, rule):
        organisation, year = self._organisation(level, org_id), workflow.current_year()
        if rule not in quality.CHECK:
            abort(404)
        found = quality.findings_of(year, quality.schools_of(self._level(level), org_id), codes={rule})
        return self._page(level, organisation, found=found, check=quality.CHECK[rule])

    @expose("/explain/<int:school_id>", methods=["POST"])
    @has_access
    def explain(self, school_id):
        school = organisation_or_404("school", school_id)
        texts = {
            tuple(name.split("|")[1:]): value for name, value in request.form.items() if name.startswith("explain|")
        }
        try:
            quality.explain_warnings(school, workflow.current_year(), texts)
            db.session.commit()
            flash(_l("The explanations are saved."), "success")
        except Invalid as refusal:
            db.session.rollback()
            flash(" ".join(refusal.errors.values()), "danger")
        except (OutOfScope, workflow.Locked) as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
        return redirect(url_for("QualityView.report", level="school", org_id=school.id))

    @staticmethod
    def _level(level):
        return None if level == "country" else level

    @staticmethod
    def _organisation(level, org_id):
        if level == "country":
            if current_node().level != "central":
                abort(404)
            return None
        return organisation_or_404(level, org_id)

    def _page(self, level, organisation, **context):
        year = workflow.current_year()
        explained = quality.explanations_of(organisation, year) if level == "school" else {}
        return self.render_template(
            "lec/quality.html", level=level, organisation=organisation, year=year, explained=explained,
            may_explain=current_node().level == "school", subject_of=quality.subject_of, **context,
        )  # fmt: skip


class ChartView(BaseView):
    """The charts of app/charts.py over the user's scope, each with a table of its numbers."""

    route_base = "/charts"
    default_view = "index"

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
        node = current_node()
        scope = _l("The whole country") if node.level not in ORGANISATIONS else organisation_or_404(node.level, node.id)
        return self.render_template(
            "lec/chart.html", charts=charts.CHARTS, scope=scope, year=workflow.current_year(),
            plotly_version=PLOTLY_VERSION, **{"chart": None, **context},
        )  # fmt: skip


class ReportView(BaseView):
    """Head-count reports and the budget estimate of an organisation (app/reports.py), with links
    to its parts one level down, and their downloads (CSV, Excel, the printable PDF summary)."""

    route_base = "/reports"
    default_view = "mine"

    @expose("/")
    @has_access
    @permission_name("report")
    def mine(self):
        return redirect(url_for("ReportView.report", **self._own_node()))

    @expose("/<level>/<int:org_id>")
    @has_access
    @permission_name("report")
    def report(self, level, org_id):
        report = self._run(head_count, level, org_id, self._basis())
        return self.render_template("lec/reports.html", report=report, bases=BASES, baht=baht)

    @expose("/<level>/<int:org_id>/<fmt>")
    @has_access
    @permission_name("report")
    def report_download(self, level, org_id, fmt):
        if fmt not in ("csv", "xlsx", "pdf"):
            abort(404)
        report = self._run(head_count, level, org_id, self._basis())
        if fmt == "pdf":
            name, pdf = head_count_pdf(report)
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name)
        return download(fmt, *head_count_file(report))

    @expose("/budget/")
    @has_access
    @permission_name("report")
    def my_budget(self):
        return redirect(url_for("ReportView.budget", **self._own_node()))

    @expose("/budget/<level>/<int:org_id>")
    @has_access
    @permission_name("report")
    def budget(self, level, org_id):
        report = self._run(budget, level, org_id)
        return self.render_template("lec/budget.html", report=report, groups=dict(choices.LEVEL_GROUPS), baht=baht)

    @expose("/budget/<level>/<int:org_id>/<fmt>")
    @has_access
    @permission_name("report")
    def budget_download(self, level, org_id, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        return download(fmt, *budget_file(self._run(budget, level, org_id)))

    @staticmethod
    def _own_node():
        node = current_node()
        return {"level": node.level if node.level in ORGANISATIONS else COUNTRY, "org_id": node.id or 0}

    @staticmethod
    def _basis():
        basis = request.args.get("basis", ENTERED)
        if basis not in dict(BASES):
            abort(404)
        return basis

    @staticmethod
    def _run(compute, level, org_id, *args):
        try:
            return compute(level, org_id, workflow.current_year(), *args)
        except OutOfScope:
            abort(404)


class BudgetRateView(LecModelView):
    """The per-head rates of each year's budget items: central sets them, every level reads them."""

    datamodel = LecInterface(BudgetRate)
    list_title = _l("Budget rates")
    show_title = add_title = edit_title = _l("Budget rate")
    label_columns = labels.BUDGET_RATE
    list_columns = ["academic_year", "item", "level_group", "per_head", "per_day", "days", "yearly", "example"]
    add_columns = edit_columns = ["academic_year", "item", "level_group", "per_head", "per_day", "days", "example"]
    show_columns = list_columns + AUDIT_COLUMNS
    # A dozen rows a year: searched and sorted by year only, the one indexed column.
    search_columns = order_columns = ["academic_year"]
    base_order = ("academic_year_id", "desc")
    formatters_columns = {
        "level_group": choices.label_of(choices.LEVEL_GROUPS),
        "example": choices.label_of(choices.YES_NO),
    }
    form_extra_fields = {
        "level_group": choice_field(_l("Level group"), choices.LEVEL_GROUPS, DataRequired()),
        "example": flag_field(_l("Example figure")),
    }


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


def json_body():
    """The request's JSON object; anything else reads as an empty one (each field then missing)."""
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


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
        return self._answer(request.args, lambda organisation, year: None)

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
        try:
            until = date.fromisoformat(str(payload.get("until") or ""))
        except ValueError:
            message = _l("Not a valid date; the API takes ISO dates (yyyy-mm-dd, Christian era).")
            return self.response_400(message={"until": str(message)})
        return self._answer(payload, lambda o, y: workflow.grant_exception(o, y, until, payload.get("reason")))

    exception.__doc__ = workflow_spec(
        "Open entry again for an organisation after its deadline, until a date",
        REASON + "                    until: {type: string, format: date, description: ISO date (Christian era)}\n",
    )


class SpotCheckView(LecModelView):
    """The spot checks in the user's scope, newest first, with their not-found rate; each opens
    its own page (SpotCheckPage)."""

    datamodel = LecInterface(SpotCheck)
    base_permissions = ["can_list", "can_show"]
    list_template = "lec/spotcheck_list.html"
    list_title = _l("Spot checks")
    label_columns = labels.SPOT_CHECK
    list_columns = [
        "created_on", "lao", "school", "sample_count", "sample_percent", "population", "items", "created_by",
    ]  # fmt: skip
    search_columns = ["academic_year", "lao", "school"]
    order_columns = ["id"]  # newest first: lists sort only on indexed columns, and spot_check's are its keys
    base_order = ("id", "desc")
    formatters_columns = {"items": spotcheck.rate_shown}

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("SpotCheckPage.show", spot_check_id=pk))


class SpotCheckItemView(LecModelView):
    """Spot-check results learner by learner, read only: an LAO sees its schools' learners, a
    school its own."""

    datamodel = LecInterface(SpotCheckItem)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("Spot-check results")
    label_columns = labels.SPOT_CHECK_ITEM
    list_columns = ["spot_check.created_on", "school", "student", "student.id_number", "result", "note", "checked_on"]
    show_columns = list_columns + ["checked_by"]
    search_columns = ["school", "result"]
    order_columns = ["result"]
    base_order = ("id", "desc")
    formatters_columns = {
        "spot_check.created_on": format_be_datetime,
        "checked_on": format_be_datetime,
        "result": choices.label_of(choices.SPOT_CHECK_RESULTS),
    }


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
        if form.validate_on_submit():
            try:
                drawn = spotcheck.draw_spot_check(
                    form.target(), workflow.current_year(), form.count.data, form.percent.data
                )
                db.session.commit()
                return redirect(url_for("SpotCheckPage.show", spot_check_id=drawn.id))
            except workflow.Refused as refusal:
                db.session.rollback()
                for reason in refusal.reasons:
                    flash(reason, "danger")
        page = self.render_template("lec/spotcheck_new.html", form=form)
        return page, 400 if request.method == "POST" else 200

    @expose("/<int:spot_check_id>")
    @has_access
    def show(self, spot_check_id):
        spot_check = self._spot_check(spot_check_id)
        items = spotcheck.items_of(spot_check)
        rows = [{"item_id": item.id, "result": item.result or "", "note": item.note or ""} for item in items]
        return self._page(spot_check, items, SpotCheckResultsForm(data={"rows": rows}))

    @expose("/<int:spot_check_id>/results", methods=["POST"])
    @has_access
    def record(self, spot_check_id):
        spot_check = self._spot_check(spot_check_id)
        form = SpotCheckResultsForm()
        if form.validate_on_submit():
            results = {row.item_id.data: (row.result.data, row.note.data) for row in form.rows}
            try:
                spotcheck.record_results(spot_check, results)
                db.session.commit()
                flash(_l("The results are saved."), "success")
                return redirect(url_for("SpotCheckPage.show", spot_check_id=spot_check.id))
            except OutOfScope:
                db.session.rollback()
                abort(404)
            except workflow.Refused as refusal:
                db.session.rollback()
                for reason in refusal.reasons:
                    flash(reason, "danger")
        return self._page(spot_check, spotcheck.items_of(spot_check), form), 400

    @staticmethod
    def _spot_check(spot_check_id):
        found = db.session.scalar(select(SpotCheck).where(SpotCheck.id == spot_check_id, readable(SpotCheck)))
        if found is None:
            abort(404)
        return found

    def _page(self, spot_check, items, form):
        return self.render_template(
            "lec/spotcheck.html", spot_check=spot_check, items=items, summary=spotcheck.summary(spot_check),
            accountable=spotcheck.accountability(spot_check), intact=spotcheck.sample_is_intact(spot_check),
            form=form, rows={row.item_id.data: row for row in form.rows},
            results=dict(choices.SPOT_CHECK_RESULTS), levels=dict(choices.CLASS_LEVELS),
        )  # fmt: skip


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


def not_found(error):
    """A Thai page for an address that leads nowhere, or to a record outside the reader's area
    (scoped fetches answer 404 alike, so as not to tell what exists); the REST API answers JSON."""
    message = _l("The page or record was not found.")
    if request.path.startswith("/api/"):
        return {"message": str(message)}, 404
    appbuilder = current_app.appbuilder
    page = render_template("lec/not_found.html", appbuilder=appbuilder, base_template=appbuilder.base_template,
                           message=message)  # fmt: skip
    return page, 404


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
    appbuilder.add_view(ImportView, "Import learners", label=_l("Import learners"), icon="fa-upload")
    appbuilder.add_view(RemovedStudentView, "Removed learners", label=_l("Removed learners"), icon="fa-user-times")
    appbuilder.add_view(
        LearnersView, "Start the new year", label=_l("Start the new year"), icon="fa-forward", href="/learners/rollover"
    )
    appbuilder.add_api(LearnerApi)
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
    appbuilder.add_view(QualityView, "Data quality", label=_l("Data quality"), icon="fa-stethoscope")
    reports = dict(category="Reports", category_label=_l("Reports"))
    appbuilder.add_view(ReportView, "Head-count report", label=_l("Head-count report"), icon="fa-table",
                        href="/reports/", **reports)  # fmt: skip
    appbuilder.add_link("Budget estimate", label=_l("Budget estimate"), href="/reports/budget/",
                        icon="fa-money", **reports)  # fmt: skip
    appbuilder.add_view(BudgetRateView, "Budget rates", label=_l("Budget rates"), icon="fa-calculator",
                        **reports)  # fmt: skip
    appbuilder.add_view(ChartView, "Charts", label=_l("Charts"), icon="fa-bar-chart")
    spot_checks = dict(category="Spot checking", category_label=_l("Spot checks"))
    appbuilder.add_view(SpotCheckView, "Spot checks", label=_l("Spot-check list"), icon="fa-search", **spot_checks)
    appbuilder.add_view(
        SpotCheckPage, "Draw a spot check", label=_l("Draw a spot check"), icon="fa-random", href="/spotcheck/new",
        **spot_checks,
    )  # fmt: skip
    appbuilder.add_view(
        SpotCheckItemView, "Spot-check results", label=_l("Spot-check results"), icon="fa-check-square-o",
        **spot_checks,
    )  # fmt: skip
    basic_data = dict(category="Basic data", category_label=_l("Basic data"))
    appbuilder.add_view(
        OtherSchoolView, "Schools of other affiliations", label=_l("Schools of other affiliations"),
        icon="fa-university", **basic_data,
    )  # fmt: skip
    appbuilder.add_view(
        NoOtherSchoolsView, "No school of another affiliation", label=_l("No school of another affiliation"),
        icon="fa-ban", **basic_data,
    )  # fmt: skip
    appbuilder.add_view(
        SchoolProfileView, "School profiles", label=_l("School profiles"), icon="fa-id-card", **basic_data
    )
    appbuilder.add_view(
        SchoolBuildingView, "School buildings", label=_l("School buildings"), icon="fa-building-o", **basic_data
    )
    appbuilder.add_view_no_menu(HelpView)
    current_app.register_error_handler(404, not_found)
    activation = appbuilder.add_view_no_menu(ActivationView)
    appbuilder.sm.limiter.limit(current_app.config["LEC_ACTIVATION_RATE_LIMIT"])(activation.blueprint)
    for api in (
        ProvinceApi, LaoApi, SchoolApi, AcademicYearApi, StudentApi,
        OtherSchoolApi, NoOtherSchoolsApi, SchoolProfileApi, SchoolBuildingApi,
    ):  # fmt: skip
        appbuilder.add_api(api)
