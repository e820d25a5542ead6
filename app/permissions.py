"""The names LEC's permissions are made of, in one place (as Airflow's Flask-AppBuilder provider
keeps them): resources — screens, REST APIs and menu entries, as Flask-AppBuilder names them —
and verbs. A screen and an API name the same right differently (a screen lists with can_list, its
API with can_get), so their verbs are declared apart; app/security.py builds the roles from these
names, and ``flask lec sync-roles`` refuses a grant that names no permission."""

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
USER_VIEW = "LecUserView"  # app/security.py's accounts screen, which also serves one's own account
RESET_MY_PASSWORD_VIEW = "ResetMyPasswordView"  # Flask-AppBuilder's own
USER_INFO_EDIT_VIEW = "UserInfoEditView"  # Flask-AppBuilder's own

# -- REST APIs: an API's class name ----------------------------------------------------------------
PROVINCE_API = "ProvinceApi"
LAO_API = "LaoApi"
SCHOOL_API = "SchoolApi"
ACADEMIC_YEAR_API = "AcademicYearApi"
STUDENT_API = "StudentApi"
LEARNER_API = "LearnerApi"
WORKFLOW_API = "WorkflowApi"
EXCEPTION_API = "ExceptionApi"
OTHER_SCHOOL_API = "OtherSchoolApi"
NO_OTHER_SCHOOLS_API = "NoOtherSchoolsApi"
SCHOOL_PROFILE_API = "SchoolProfileApi"
SCHOOL_BUILDING_API = "SchoolBuildingApi"

# -- menu entries: the name each is registered under (app/views.py; Security and List Users are FAB's)
MENU_ORGANISATIONS = "Organisations"
MENU_PROVINCES = "Provinces"
MENU_LAOS = "Local administrative organisations"
MENU_SCHOOLS = "Schools and centres"
MENU_ACADEMIC_YEARS = "Academic years"
MENU_LEARNERS = "Learners"
MENU_REMOVED_LEARNERS = "Removed learners"
MENU_IMPORT = "Import learners"
MENU_NEW_YEAR = "Start the new year"
MENU_SECURITY = "Security"
MENU_USERS = "List Users"
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
