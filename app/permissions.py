"""The names LEC's permissions are made of, in one place (as Airflow's Flask-AppBuilder provider
keeps them): resources — screens, REST APIs and menu entries, as Flask-AppBuilder names them —
and verbs. A screen and an API name the same right differently (a screen lists with can_list, its
API with can_get), so their verbs are declared apart; app/security.py builds the roles from these
names, and ``flask lec sync-roles`` refuses a grant that names no permission.

Every resource and verb has a human name here too (RESOURCE_NAMES, VERB_NAMES), which FAB's
permission screens show instead of the class and method names (app/security.py)."""

from flask_babel import lazy_gettext as _l

# -- screens: a view's class name ------------------------------------------------------------------
PROVINCE_VIEW = "ProvinceView"
LAO_VIEW = "LaoView"
SCHOOL_VIEW = "SchoolView"
ACADEMIC_YEAR_VIEW = "AcademicYearView"
STUDENT_VIEW = "StudentView"
REMOVED_STUDENT_VIEW = "RemovedStudentView"
LEARNERS_VIEW = "LearnersView"
IMPORT_VIEW = "ImportView"
WORKFLOW_VIEW = "WorkflowView"
EXCEPTION_VIEW = "ExceptionView"
QUALITY_VIEW = "QualityView"
REPORT_VIEW = "ReportView"
BUDGET_RATE_VIEW = "BudgetRateView"
CHART_VIEW = "ChartView"
SPOT_CHECK_VIEW = "SpotCheckView"
SPOT_CHECK_ITEM_VIEW = "SpotCheckItemView"
SPOT_CHECK_PAGE = "SpotCheckPage"
CREDENTIAL_VIEW = "CredentialView"
OTHER_SCHOOL_VIEW = "OtherSchoolView"
NO_OTHER_SCHOOLS_VIEW = "NoOtherSchoolsView"
SCHOOL_PROFILE_VIEW = "SchoolProfileView"
SCHOOL_BUILDING_VIEW = "SchoolBuildingView"
NOTIFICATION_VIEW = "NotificationView"
TRANSFERS_VIEW = "TransfersView"
USER_VIEW = "LecUserView"  # app/security.py's accounts screen, which also serves one's own account
RESET_MY_PASSWORD_VIEW = "ResetMyPasswordView"  # Flask-AppBuilder's own
USER_INFO_EDIT_VIEW = "UserInfoEditView"  # Flask-AppBuilder's own
HOME_VIEW = "HomeView"
HELP_VIEW = "HelpView"
ACTIVATION_VIEW = "ActivationView"
FORGOT_PASSWORD_VIEW = "ForgotPasswordView"  # app/pages/accounts.py: ลืมรหัสผ่าน, for anyone
HISTORY_VIEW = "HistoryView"
AUDIT_EVENT_VIEW = "AuditEventView"
ROLE_VIEW = "LecRoleView"
PERMISSION_VIEW = "LecPermissionView"
VIEW_MENU_VIEW = "LecViewMenuView"
PERMISSION_VIEW_VIEW = "LecPermissionViewView"
# Flask-AppBuilder's own screens, which no role but central (FAB's admin) is granted
GROUP_VIEW = "LecGroupView"
RESET_PASSWORD_VIEW = "ResetPasswordView"
SIGN_IN_VIEW = "AuthDBView"
LANGUAGE_VIEW = "LocaleView"
BACK_VIEW = "UtilView"
SWAGGER_VIEW = "SwaggerView"

# -- REST APIs: an API's class name ----------------------------------------------------------------
PROVINCE_API = "ProvinceApi"
LAO_API = "LaoApi"
SCHOOL_API = "SchoolApi"
ACADEMIC_YEAR_API = "AcademicYearApi"
STUDENT_API = "StudentApi"
LEARNER_API = "LearnerApi"
WORKFLOW_API = "WorkflowApi"
ACCOUNT_API = "AccountApi"  # app/pages/accounts.py: password resets by the level above
EXCEPTION_API = "ExceptionApi"
OTHER_SCHOOL_API = "OtherSchoolApi"
NO_OTHER_SCHOOLS_API = "NoOtherSchoolsApi"
SCHOOL_PROFILE_API = "SchoolProfileApi"
SCHOOL_BUILDING_API = "SchoolBuildingApi"
SECURITY_API = "SecurityApi"  # Flask-AppBuilder's own, like the two below
MENU_API = "MenuApi"
OPEN_API = "OpenApi"
TRANSFER_API = "TransferApi"

# -- menu entries: the name each is registered under (app/views.py; Security and List Users are FAB's)
MENU_ORGANISATIONS = "Organisations"
MENU_PROVINCES = "Provinces"
MENU_LAOS = "Local administrative organisations"
MENU_SCHOOLS = "Schools and centres"
MENU_ACADEMIC_YEARS = "Academic years"
MENU_LEARNERS = "Learners"
MENU_REMOVED_LEARNERS = "Removed learners"
MENU_TRANSFERS = "Transfers"
MENU_IMPORT = "Import learners"
MENU_NEW_YEAR = "Start the new year"
MENU_SECURITY = "Security"
MENU_USERS = "List Users"
MENU_ROLES = "List Roles"
MENU_GROUPS = "List Groups"
MENU_PERMISSIONS = "Base Permissions"
MENU_VIEW_MENUS = "Views/Menus"
MENU_PERMISSION_VIEWS = "Permission on Views/Menus"
MENU_SIGN_INS = "Sign-ins and account events"
MENU_CHANGE_HISTORY = "Change history"
MENU_CREDENTIALS = "Issued credentials"
MENU_CONFIRMATION = "Confirmation status"
MENU_EXCEPTIONS = "Exceptions to the deadline"
MENU_QUALITY = "Data quality"
MENU_REPORTS = "Reports"
MENU_HEAD_COUNT = "Head-count report"
MENU_BUDGET = "Budget estimate"
MENU_BUDGET_RATES = "Budget rates"
MENU_CHARTS = "Charts"
MENU_SPOT_CHECKING = "Spot checking"
MENU_SPOT_CHECKS = "Spot checks"
MENU_SPOT_CHECK_RESULTS = "Spot-check results"
MENU_DRAW_SPOT_CHECK = "Draw a spot check"
MENU_BASIC_DATA = "Basic data"
MENU_OTHER_SCHOOLS = "Schools of other affiliations"
MENU_NO_OTHER_SCHOOLS = "No school of another affiliation"
MENU_SCHOOL_PROFILES = "School profiles"
MENU_SCHOOL_BUILDINGS = "School buildings"

# -- verbs of screens ------------------------------------------------------------------------------
CAN_LIST = "can_list"
CAN_SHOW = "can_show"
CAN_ADD = "can_add"
CAN_EDIT = "can_edit"
CAN_DELETE = "can_delete"  # a screen's and an API's delete share the name
MENU_ACCESS = "menu_access"
SCREEN_READ = (CAN_LIST, CAN_SHOW)
SCREEN_WRITE = SCREEN_READ + (CAN_ADD, CAN_EDIT, CAN_DELETE)

# -- verbs of REST APIs ----------------------------------------------------------------------------
CAN_GET = "can_get"
CAN_INFO = "can_info"
CAN_POST = "can_post"
CAN_PUT = "can_put"
API_READ = (CAN_GET, CAN_INFO)
API_WRITE = API_READ + (CAN_POST, CAN_PUT, CAN_DELETE)


# -- human names: FAB's permission screens show these (app/security.py); a resource or verb without
# one fails tests/test_security.py -------------------------------------------------------------------
def _screens(names):
    return {resource: _l("Screen “%(name)s”", name=name) for resource, name in names.items()}


def _apis(names):
    return {resource: _l("API “%(name)s”", name=name) for resource, name in names.items()}


def _entries(names):
    return {resource: _l("Menu “%(name)s”", name=name) for resource, name in names.items()}


RESOURCE_NAMES = {
    **_screens({
        PROVINCE_VIEW: _l("Provinces"), LAO_VIEW: _l("Local administrative organisations"),
        SCHOOL_VIEW: _l("Schools and centres"), ACADEMIC_YEAR_VIEW: _l("Academic years"),
        STUDENT_VIEW: _l("Learners"), REMOVED_STUDENT_VIEW: _l("Removed learners"),
        LEARNERS_VIEW: _l("Removing, restoring and the new year"), IMPORT_VIEW: _l("Import learners"),
        WORKFLOW_VIEW: _l("Confirmation status"), QUALITY_VIEW: _l("Data quality"), REPORT_VIEW: _l("Reports"),
        BUDGET_RATE_VIEW: _l("Budget rates"), CHART_VIEW: _l("Charts"), SPOT_CHECK_VIEW: _l("Spot checks"),
        SPOT_CHECK_ITEM_VIEW: _l("Spot-check results"), SPOT_CHECK_PAGE: _l("Draw a spot check"),
        CREDENTIAL_VIEW: _l("Issued credentials"), OTHER_SCHOOL_VIEW: _l("Schools of other affiliations"),
        NO_OTHER_SCHOOLS_VIEW: _l("No school of another affiliation"), SCHOOL_PROFILE_VIEW: _l("School profiles"),
        SCHOOL_BUILDING_VIEW: _l("School buildings"), USER_VIEW: _l("Users"),
        RESET_MY_PASSWORD_VIEW: _l("Reset my password"), USER_INFO_EDIT_VIEW: _l("Edit User"),
        HOME_VIEW: _l("Home"), HELP_VIEW: _l("LEC user guide"), ACTIVATION_VIEW: _l("Account activation"),
        HISTORY_VIEW: _l("Change history"), AUDIT_EVENT_VIEW: _l("Sign-ins and account events"),
        ROLE_VIEW: _l("Roles"), PERMISSION_VIEW: _l("Base Permissions"), VIEW_MENU_VIEW: _l("Views/Menus"),
        PERMISSION_VIEW_VIEW: _l("Permission on Views/Menus"), GROUP_VIEW: _l("Groups"),
        RESET_PASSWORD_VIEW: _l("Reset Password"), SIGN_IN_VIEW: _l("Sign in"), LANGUAGE_VIEW: _l("Language"),
        BACK_VIEW: _l("Back"), SWAGGER_VIEW: _l("API documentation"), NOTIFICATION_VIEW: _l("Notifications"),
        TRANSFERS_VIEW: _l("Transfers between schools"), FORGOT_PASSWORD_VIEW: _l("Forgot your password?"),
        EXCEPTION_VIEW: _l("Exceptions to the deadline"),
    }),
    **_apis({
        PROVINCE_API: _l("Provinces"), LAO_API: _l("Local administrative organisations"),
        SCHOOL_API: _l("Schools and centres"), ACADEMIC_YEAR_API: _l("Academic years"), STUDENT_API: _l("Learners"),
        LEARNER_API: _l("Removing and restoring learners"), WORKFLOW_API: _l("Confirmation status"),
        OTHER_SCHOOL_API: _l("Schools of other affiliations"),
        NO_OTHER_SCHOOLS_API: _l("No school of another affiliation"), SCHOOL_PROFILE_API: _l("School profiles"),
        SCHOOL_BUILDING_API: _l("School buildings"), SECURITY_API: _l("Sign in"), MENU_API: _l("Menu"),
        OPEN_API: _l("API documentation"), TRANSFER_API: _l("Transfers between schools"),
        ACCOUNT_API: _l("Password resets"), EXCEPTION_API: _l("Exceptions to the deadline"),
    }),
    **_entries({
        MENU_ORGANISATIONS: _l("Organisations"), MENU_PROVINCES: _l("Provinces"),
        MENU_LAOS: _l("Local administrative organisations"), MENU_SCHOOLS: _l("Schools and centres"),
        MENU_ACADEMIC_YEARS: _l("Academic years"), MENU_LEARNERS: _l("Learners"),
        MENU_REMOVED_LEARNERS: _l("Removed learners"), MENU_IMPORT: _l("Import learners"),
        MENU_NEW_YEAR: _l("Start the new year"), MENU_SECURITY: _l("Security"), MENU_USERS: _l("List Users"),
        MENU_ROLES: _l("List Roles"), MENU_GROUPS: _l("List Groups"), MENU_PERMISSIONS: _l("Base Permissions"),
        MENU_VIEW_MENUS: _l("Views/Menus"), MENU_PERMISSION_VIEWS: _l("Permission on Views/Menus"),
        MENU_SIGN_INS: _l("Sign-ins and account events"), MENU_CHANGE_HISTORY: _l("Change history"),
        MENU_CREDENTIALS: _l("Issued credentials"), MENU_CONFIRMATION: _l("Confirmation status"),
        MENU_QUALITY: _l("Data quality"), MENU_REPORTS: _l("Reports"), MENU_HEAD_COUNT: _l("Head-count report"),
        MENU_BUDGET: _l("Budget estimate"), MENU_BUDGET_RATES: _l("Budget rates"), MENU_CHARTS: _l("Charts"),
        MENU_SPOT_CHECKING: _l("Spot checks"), MENU_SPOT_CHECKS: _l("Spot-check list"),
        MENU_SPOT_CHECK_RESULTS: _l("Spot-check results"), MENU_DRAW_SPOT_CHECK: _l("Draw a spot check"),
        MENU_BASIC_DATA: _l("Basic data"), MENU_OTHER_SCHOOLS: _l("Schools of other affiliations"),
        MENU_NO_OTHER_SCHOOLS: _l("No school of another affiliation"), MENU_SCHOOL_PROFILES: _l("School profiles"),
        MENU_SCHOOL_BUILDINGS: _l("School buildings"), MENU_TRANSFERS: _l("Transfers between schools"),
        MENU_EXCEPTIONS: _l("Exceptions to the deadline"),
    }),
}  # fmt: skip
VERB_NAMES = {
    CAN_LIST: _l("view list"),
    CAN_SHOW: _l("view details"),
    CAN_ADD: _l("add"),
    CAN_EDIT: _l("edit"),
    CAN_DELETE: _l("delete"),
    CAN_GET: _l("read via API"),
    CAN_INFO: _l("read the form description via API"),
    CAN_POST: _l("add via API"),
    CAN_PUT: _l("edit via API"),
    MENU_ACCESS: _l("open menu"),
    "can_download": _l("download a file"),
    "can_index": _l("open"),
    "can_this_form_get": _l("open the form"),
    "can_this_form_post": _l("save the form"),
    "can_userinfo": _l("view own account"),
    "userinfoedit": _l("edit own details"),
    "resetmypassword": _l("change own password"),
    "resetpasswords": _l("set another user's password"),
    "copyrole": _l("copy a role"),
    "issue_credentials": _l("print credential sheets"),
    "reissue_all_credentials": _l("print credential sheets for the whole subtree"),
    "reissue_credentials": _l("print credential sheet (QR)"),
    "can_upload": _l("upload a learner list"),
    "can_template": _l("download the import template"),
    "can_preview": _l("preview an import"),
    "can_commit": _l("save an import"),
    "can_remove": _l("remove learners"),
    "remove_learners": _l("remove learners"),
    "can_restore": _l("restore learners"),
    "restore_learners": _l("restore learners"),
    "can_rollover": _l("start the new year"),
    "can_board": _l("view the confirmation board"),
    "can_changes": _l("view changes since confirmation"),
    "can_give_reason": _l("give a reason for a late change"),
    "grant_exception": _l("reopen entry as an exception"),
    "confirm_school": _l("confirm a school"),
    "take_back_school": _l("take back a school's confirmation"),
    "return_school": _l("return to the school"),
    "confirm_lao": _l("confirm an LAO"),
    "return_lao": _l("return to the LAO"),
    "confirm_province": _l("confirm a province"),
    "return_province": _l("return to the province"),
    "can_report": _l("view the report"),
    "can_explain": _l("explain a warning"),
    "can_draw": _l("draw a spot check"),
    "can_record": _l("record spot-check results"),
    "can_inbox": _l("read own notifications"),
    "can_open": _l("open a notification"),
    "can_read_all": _l("mark all own notifications read"),
    "can_remind": _l("remind an organisation below to confirm"),
    "can_ask": _l("ask for a learner's transfer"),
    "can_answer": _l("answer a transfer request"),
    "reset_with_code": _l("reset a password with a one-time code"),
    "reset_with_temporary_password": _l("reset a password with a temporary password"),
    "can_reset": _l("reset a password"),
    "can_grant": _l("grant an exception request"),
    "can_refuse": _l("refuse an exception request"),
}


def resource_name(name):
    """The human name of a screen, API or menu entry (its FAB name if it has none)."""
    return RESOURCE_NAMES.get(name, name)


def verb_name(name):
    return VERB_NAMES.get(name, name)
