"""What a user sees, as declarations: the generated screens, the REST APIs and the menu; the
hand-written pages they lead to are app/pages, by domain."""

from flask import current_app, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from . import choices, labels, learners, quality, spotcheck
from . import permissions as P
from .audit import HistoryEntry
from .forms import Rule, choice_field, count_field, date_field, flag_field, identifier_field, phone_field
from .models import (
    BUILT_YEARS_BE,
    PROFILE_COUNTS,
    AcademicYear,
    AuditEvent,
    BudgetRate,
    Credential,
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
from .pages import errors
from .pages.accounts import (
    AccountApi,
    ActivationView,
    ForgotPasswordView,
    IssuesCredentials,
    require_own_password,
    sheet_for_accounts,
)
from .pages.base import LecInterface, LecModelApi, LecModelView, selected
from .pages.charts import ChartView
from .pages.exceptions import ExceptionApi, ExceptionView
from .pages.help import HelpView
from .pages.home import HomeView  # noqa: F401  (config.py's FAB_INDEX_VIEW)
from .pages.imports import ImportView
from .pages.learners import LearnerApi, LearnersView, ask_to_remove, restore_removed, show_findings
from .pages.notifications import NotificationView
from .pages.quality import QualityView
from .pages.reports import ReportView
from .pages.spotchecks import SpotCheckPage
from .pages.transfers import OffersTransfers, RefusesLearnersActiveElsewhere, TransferApi, TransfersView
from .pages.workflow import LaoSteps, ProvinceSteps, SchoolSteps, WorkflowApi, WorkflowView
from .thai import format_be_date, format_be_datetime

AUDIT_COLUMNS = ["created_by", "created_on", "changed_by", "changed_on"]


class StudentView(OffersTransfers, LecModelView):
    """The learners in the count. Nobody deletes one (app/learners.py): a learner who left is
    removed with a reason, and listed by RemovedStudentView; one active in another school this year
    is asked for by a transfer (app/transfers.py), not entered twice."""

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
        "id_number": identifier_field(_l("National ID / G code"), Rule(quality.clean_identifier, "id_kind")),
        "prefix": choice_field(_l("Prefix"), choices.PREFIXES, Optional()),
        "sex": choice_field(_l("Sex"), choices.SEXES, DataRequired()),
        "birth_date": date_field(_l("Birth date"), InputRequired(), Rule(quality.check_birth_date)),
        "class_level": choice_field(_l("Class level"), choices.CLASS_LEVELS, DataRequired(),
                                    default=learners.default_class_level),
        "disadvantage": choice_field(_l("Disadvantage"), choices.DISADVANTAGES, Optional()),
        "disability": choice_field(_l("Disability"), choices.DISABILITIES, Optional()),
        "guardian_phone": phone_field(_l("Guardian's telephone")),
    }

    @action("remove_learners", _l("Remove from the count"), "", "fa-user-times", single=False)
    def remove_learners(self, items):
        return ask_to_remove(selected(items))

    def post_add(self, item):
        super().post_add(item)
        show_findings(item)

    def post_update(self, item):
        show_findings(item)


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
        return restore_removed(selected(items))


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
            [Optional(), NumberRange(*BUILT_YEARS_BE, message=_l("A Buddhist-era year, e.g. 2545."))],
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


class StudentApi(RefusesLearnersActiveElsewhere, LecModelApi):
    """Every learner, removed ones included (``status``); removal and restoring are LearnerApi's, a
    learner active in another school is asked for by TransferApi."""

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
        return sheet_for_accounts(item.user for item in selected(items))


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
    formatters_columns = {"occurred_on": format_be_datetime, "action": choices.label_of(choices.AUDIT_ACTIONS)}


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


NO_CATEGORY = ("", "")
IN_ORGANISATIONS = (P.MENU_ORGANISATIONS, _l("Organisations"))
IN_SECURITY = (P.MENU_SECURITY, _l("Security"))
IN_REPORTS = (P.MENU_REPORTS, _l("Reports"))
IN_SPOT_CHECKS = (P.MENU_SPOT_CHECKING, _l("Spot checks"))
IN_BASIC_DATA = (P.MENU_BASIC_DATA, _l("Basic data"))
# The menu in its order: view (None: a link), name in the permissions, label, icon, category, href ("": the view's).
MENU = [
    (ProvinceView, P.MENU_PROVINCES, _l("Provinces"), "fa-map", IN_ORGANISATIONS, ""),
    (LaoView, P.MENU_LAOS, _l("Local administrative organisations"), "fa-building",
     IN_ORGANISATIONS, ""),
    (SchoolView, P.MENU_SCHOOLS, _l("Schools and centres"), "fa-school", IN_ORGANISATIONS, ""),
    (AcademicYearView, P.MENU_ACADEMIC_YEARS, _l("Academic years"), "fa-calendar", IN_ORGANISATIONS, ""),
    (StudentView, P.MENU_LEARNERS, _l("Learners"), "fa-users", NO_CATEGORY, ""),
    (ImportView, P.MENU_IMPORT, _l("Import learners"), "fa-upload", NO_CATEGORY, ""),
    (RemovedStudentView, P.MENU_REMOVED_LEARNERS, _l("Removed learners"), "fa-user-times", NO_CATEGORY, ""),
    (TransfersView, P.MENU_TRANSFERS, _l("Transfers between schools"), "fa-exchange", NO_CATEGORY, ""),
    (LearnersView, P.MENU_NEW_YEAR, _l("Start the new year"), "fa-forward", NO_CATEGORY, "/learners/rollover"),
    (CredentialView, P.MENU_CREDENTIALS, _l("Issued credentials"), "fa-qrcode", IN_SECURITY, ""),
    (WorkflowView, P.MENU_CONFIRMATION, _l("Confirmation status"), "fa-tasks", NO_CATEGORY, "/workflow/board"),
    (ExceptionView, P.MENU_EXCEPTIONS, _l("Exceptions to the deadline"), "fa-clock-o", NO_CATEGORY, ""),
    (AuditEventView, P.MENU_SIGN_INS, _l("Sign-ins and account events"), "fa-sign-in", IN_SECURITY, ""),
    (HistoryView, P.MENU_CHANGE_HISTORY, _l("Change history"), "fa-history", IN_SECURITY, ""),
    (QualityView, P.MENU_QUALITY, _l("Data quality"), "fa-stethoscope", NO_CATEGORY, ""),
    (ReportView, P.MENU_HEAD_COUNT, _l("Head-count report"), "fa-table", IN_REPORTS, "/reports/"),
    (None, P.MENU_BUDGET, _l("Budget estimate"), "fa-money", IN_REPORTS, "/reports/budget/"),
    (BudgetRateView, P.MENU_BUDGET_RATES, _l("Budget rates"), "fa-calculator", IN_REPORTS, ""),
    (ChartView, P.MENU_CHARTS, _l("Charts"), "fa-bar-chart", NO_CATEGORY, ""),
    (SpotCheckView, P.MENU_SPOT_CHECKS, _l("Spot-check list"), "fa-search", IN_SPOT_CHECKS, ""),
    (SpotCheckPage, P.MENU_DRAW_SPOT_CHECK, _l("Draw a spot check"), "fa-random", IN_SPOT_CHECKS, "/spotcheck/new"),
    (SpotCheckItemView, P.MENU_SPOT_CHECK_RESULTS, _l("Spot-check results"), "fa-check-square-o", IN_SPOT_CHECKS, ""),
    (OtherSchoolView, P.MENU_OTHER_SCHOOLS, _l("Schools of other affiliations"), "fa-university",
     IN_BASIC_DATA, ""),
    (NoOtherSchoolsView, P.MENU_NO_OTHER_SCHOOLS, _l("No school of another affiliation"), "fa-ban",
     IN_BASIC_DATA, ""),
    (SchoolProfileView, P.MENU_SCHOOL_PROFILES, _l("School profiles"), "fa-id-card", IN_BASIC_DATA, ""),
    (SchoolBuildingView, P.MENU_SCHOOL_BUILDINGS, _l("School buildings"), "fa-building-o", IN_BASIC_DATA, ""),
]  # fmt: skip
APIS = [
    LearnerApi, WorkflowApi, ExceptionApi, ProvinceApi, LaoApi, SchoolApi, AcademicYearApi, StudentApi,
    OtherSchoolApi, NoOtherSchoolsApi, SchoolProfileApi, SchoolBuildingApi, TransferApi, AccountApi,
]  # fmt: skip


def register(appbuilder):
    for view, name, label, icon, (category, category_label), href in MENU:
        entry = dict(href=href, icon=icon, label=label, category=category, category_label=category_label)
        if view is None:
            appbuilder.add_link(name, **entry)
        else:
            appbuilder.add_view(view, name, **entry)
    appbuilder.add_view_no_menu(HelpView)
    appbuilder.add_view_no_menu(NotificationView)
    errors.register(current_app)
    activation = appbuilder.add_view_no_menu(ActivationView)
    appbuilder.sm.limiter.limit(current_app.config["LEC_ACTIVATION_RATE_LIMIT"])(activation.blueprint)
    forgot = appbuilder.add_view_no_menu(ForgotPasswordView)
    appbuilder.sm.limiter.limit(current_app.config["AUTH_RATE_LIMIT"], methods=["POST"])(forgot.blueprint)
    current_app.before_request(require_own_password)
    for api in APIS:
        appbuilder.add_api(api)
