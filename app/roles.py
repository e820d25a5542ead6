"""The LEC roles as data: each role's grants, the levels its accounts stand at, and the role of
each organisation's own account. ``flask lec sync-roles`` (app/security.py) makes the database
match this table; the domain asks it who may take a step (levels_holding), so a step refused on a
screen is refused from every other entry point too.

A role is a list of grants: (resource, verbs), named in app/permissions.py (screens and APIs have
verbs of their own)."""

from .levels import CENTRAL, LAO, PROVINCE, SCHOOL
from .permissions import (
    ACADEMIC_YEAR_API,
    ACADEMIC_YEAR_VIEW,
    ACCOUNT_API,
    API_READ,
    API_WRITE,
    BUDGET_RATE_VIEW,
    CAN_ADD,
    CAN_EDIT,
    CAN_GET,
    CAN_LIST,
    CAN_POST,
    CAN_PUT,
    CAN_SHOW,
    CHART_VIEW,
    CREDENTIAL_VIEW,
    EXCEPTION_API,
    EXCEPTION_VIEW,
    IMPORT_VIEW,
    LAO_API,
    LAO_VIEW,
    LEARNER_API,
    LEARNERS_VIEW,
    MENU_ACADEMIC_YEARS,
    MENU_ACCESS,
    MENU_BASIC_DATA,
    MENU_BUDGET,
    MENU_BUDGET_RATES,
    MENU_CHARTS,
    MENU_CONFIRMATION,
    MENU_CREDENTIALS,
    MENU_DRAW_SPOT_CHECK,
    MENU_EXCEPTIONS,
    MENU_HEAD_COUNT,
    MENU_IMPORT,
    MENU_LAOS,
    MENU_LEARNERS,
    MENU_NEW_YEAR,
    MENU_NO_OTHER_SCHOOLS,
    MENU_ORGANISATIONS,
    MENU_OTHER_SCHOOLS,
    MENU_PROVINCES,
    MENU_QUALITY,
    MENU_REMOVED_LEARNERS,
    MENU_REPORTS,
    MENU_SCHOOL_BUILDINGS,
    MENU_SCHOOL_PROFILES,
    MENU_SCHOOLS,
    MENU_SECURITY,
    MENU_SPOT_CHECK_RESULTS,
    MENU_SPOT_CHECKING,
    MENU_SPOT_CHECKS,
    MENU_TRANSFERS,
    MENU_USERS,
    NO_OTHER_SCHOOLS_API,
    NO_OTHER_SCHOOLS_VIEW,
    NOTIFICATION_VIEW,
    OTHER_SCHOOL_API,
    OTHER_SCHOOL_VIEW,
    PROVINCE_API,
    PROVINCE_VIEW,
    QUALITY_VIEW,
    REMOVED_STUDENT_VIEW,
    REPORT_VIEW,
    RESET_MY_PASSWORD_VIEW,
    SCHOOL_API,
    SCHOOL_BUILDING_API,
    SCHOOL_BUILDING_VIEW,
    SCHOOL_PROFILE_API,
    SCHOOL_PROFILE_VIEW,
    SCHOOL_VIEW,
    SCREEN_READ,
    SCREEN_WRITE,
    SPOT_CHECK_ITEM_VIEW,
    SPOT_CHECK_PAGE,
    SPOT_CHECK_VIEW,
    STUDENT_API,
    STUDENT_VIEW,
    TRANSFER_API,
    TRANSFERS_VIEW,
    USER_INFO_EDIT_VIEW,
    USER_VIEW,
    WORKFLOW_API,
    WORKFLOW_VIEW,
)

ROLE_CENTRAL = "ส่วนกลาง"
ROLE_PROVINCE = "จังหวัด"
ROLE_LAO = "อปท."
ROLE_SCHOOL = "สถานศึกษา"
ROLE_MANAGER = "ผู้บริหาร"

MENU = (MENU_ACCESS,)


def reads(screens=(), apis=()):
    """Reading rows: listing and showing them on screens, getting them and their _info by API."""
    return [(screen, SCREEN_READ) for screen in screens] + [(api, API_READ) for api in apis]


def writes(screens=(), apis=()):
    """Reading, adding, editing and deleting rows, on screens and by API."""
    return [(screen, SCREEN_WRITE) for screen in screens] + [(api, API_WRITE) for api in apis]


def adds_and_edits(screens=(), apis=()):
    """Reading, adding and editing rows, on screens and by API, but not deleting them."""
    return [(screen, SCREEN_READ + (CAN_ADD, CAN_EDIT)) for screen in screens] + [
        (api, API_READ + (CAN_POST, CAN_PUT)) for api in apis
    ]


def edits(screen, api):
    """Changing existing rows (no add, no delete), on the screen and by API."""
    return [(screen, (CAN_EDIT,)), (api, (CAN_PUT,))]


def menus(*entries):
    return [(entry, MENU) for entry in entries]


ORGANISATION_MENUS = menus(
    MENU_ORGANISATIONS, MENU_PROVINCES, MENU_LAOS, MENU_SCHOOLS, MENU_ACADEMIC_YEARS, MENU_LEARNERS,
    MENU_REMOVED_LEARNERS,
)  # fmt: skip
# One's own account (FAB's screens); switching the language needs no permission.
SELF_SERVICE = [
    (USER_VIEW, ("can_userinfo", "userinfoedit", "resetmypassword")),
    (RESET_MY_PASSWORD_VIEW, ("can_this_form_get", "can_this_form_post")),
    (USER_INFO_EDIT_VIEW, ("can_this_form_get", "can_this_form_post")),
]
READ_ALL = reads(
    screens=(PROVINCE_VIEW, LAO_VIEW, SCHOOL_VIEW, ACADEMIC_YEAR_VIEW, STUDENT_VIEW, REMOVED_STUDENT_VIEW),
    apis=(PROVINCE_API, LAO_API, SCHOOL_API, ACADEMIC_YEAR_API, STUDENT_API),
)
# Managing the accounts of one's own subtree (app/scope.py decides which accounts), and handing
# out credential sheets for it (app/credentials.py).
ISSUE = ("issue_credentials", "reissue_all_credentials")
# Importing a learner list for a school of one's own subtree (app/importer.py).
IMPORT = [(IMPORT_VIEW, ("can_upload", "can_template", "can_preview", "can_commit"))] + menus(MENU_IMPORT)
ACCOUNTS = [
    (USER_VIEW, (CAN_LIST, CAN_SHOW, CAN_ADD, CAN_EDIT, "reissue_credentials")),
    (CREDENTIAL_VIEW, (CAN_LIST, CAN_SHOW, "reissue_credentials")),
] + menus(MENU_SECURITY, MENU_USERS, MENU_CREDENTIALS)
# Resetting the password of an account of one's subtree that stands below one's own (app/resets.py
# asks levels_holding(RESET) and decides which accounts): a new activation code or a temporary password.
RESET = [(USER_VIEW, ("reset_with_code", "reset_with_temporary_password")), (ACCOUNT_API, ("can_reset",))]

# Learners leave the count by removal, never by a delete (app/learners.py): no role holds
# can_delete on them. The school enters, removes and restores its learners and starts the new year;
# its LAO restores and may start the year for its schools. These grants are the one statement of
# who takes those steps: app/learners.py asks levels_holding() rather than restating it.
LEARNER_ENTRY = [(STUDENT_VIEW, (CAN_ADD, CAN_EDIT)), (STUDENT_API, (CAN_POST, CAN_PUT))]
REMOVE = [(STUDENT_VIEW, ("remove_learners",)), (LEARNERS_VIEW, ("can_remove",)), (LEARNER_API, ("can_remove",))]
RESTORE = [(REMOVED_STUDENT_VIEW, ("restore_learners",)), (LEARNER_API, ("can_restore",))]
ROLL_OVER = [(LEARNERS_VIEW, ("can_rollover",))] + menus(MENU_NEW_YEAR)

# Transfers between schools (app/transfers.py decides who answers which request, and when): every
# level reads the requests of its subtree; the receiving school asks (and withdraws); the old school
# answers, and its LAO too once the old school is overdue.
TRANSFERS = [(TRANSFERS_VIEW, ("can_index",)), (TRANSFER_API, (CAN_GET,))] + menus(MENU_TRANSFERS)
ASK_TRANSFER = [(TRANSFERS_VIEW, ("can_ask",)), (TRANSFER_API, ("can_ask",))]
ANSWER_TRANSFER = [(TRANSFERS_VIEW, ("can_answer",)), (TRANSFER_API, ("can_answer",))]

# The confirmation workflow (app/workflow.py decides what each level may do, and when).
BOARD = [(WORKFLOW_VIEW, ("can_board", "can_changes")), (WORKFLOW_API, (CAN_GET,))] + menus(MENU_CONFIRMATION)
STEPS_API = [(WORKFLOW_API, (CAN_POST,))]
REASONS = [(WORKFLOW_VIEW, ("can_give_reason",))]
# Exception requests (app/exceptions.py decides who may ask, and who answers: the setting
# LEC_EXCEPTION_GRANTED_BY makes the province the granter of its LAOs and schools).
ASK_EXCEPTION = [(EXCEPTION_VIEW, ("can_index", "can_ask")), (EXCEPTION_API, (CAN_GET, CAN_POST))] + menus(
    MENU_EXCEPTIONS
)
ANSWER_EXCEPTION = [(EXCEPTION_VIEW, ("can_grant", "can_refuse"))]
# The data-quality report (app/quality.py); the school explains the warnings it keeps.
QUALITY = [(QUALITY_VIEW, ("can_report",))] + menus(MENU_QUALITY)
EXPLAIN = [(QUALITY_VIEW, ("can_explain",))]
# Head-count reports and the budget estimate (app/reports.py, each over one's own subtree), and
# the budget rates, which every level reads and only central sets (it holds every permission).
REPORTS = (
    [(REPORT_VIEW, ("can_report",))]
    + reads(screens=(BUDGET_RATE_VIEW,))
    + menus(MENU_REPORTS, MENU_HEAD_COUNT, MENU_BUDGET, MENU_BUDGET_RATES)
)
# The charts (app/charts.py): every role reads them over its own scope.
CHART_GRANTS = [(CHART_VIEW, ("can_index",))] + menus(MENU_CHARTS)
# Spot checks (app/spotcheck.py decides who draws and records, and when): the province draws them
# and records the results; every level reads the results of the learners in its scope.
SPOT_CHECKS = (
    reads(screens=(SPOT_CHECK_VIEW, SPOT_CHECK_ITEM_VIEW))
    + [(SPOT_CHECK_PAGE, (CAN_SHOW,))]
    + menus(MENU_SPOT_CHECKING, MENU_SPOT_CHECKS, MENU_SPOT_CHECK_RESULTS)
)
DRAW_SPOT_CHECKS = [(SPOT_CHECK_PAGE, ("can_draw", "can_record"))] + menus(MENU_DRAW_SPOT_CHECK)

# The inbox (app/notifications.py): everyone reads their own; the levels above a node remind the
# organisations one level below them to confirm.
INBOX = [(NOTIFICATION_VIEW, ("can_inbox", "can_open", "can_read_all"))]
REMIND = [(NOTIFICATION_VIEW, ("can_remind",))]

# Basic data beside the learners: the LAO records the schools of other affiliations in its area (or
# that there are none), the school its profile and buildings; app/scope.py keeps each to its own.
AFFILIATION = dict(screens=(OTHER_SCHOOL_VIEW, NO_OTHER_SCHOOLS_VIEW), apis=(OTHER_SCHOOL_API, NO_OTHER_SCHOOLS_API))
PROFILE = dict(screens=(SCHOOL_PROFILE_VIEW, SCHOOL_BUILDING_VIEW), apis=(SCHOOL_PROFILE_API, SCHOOL_BUILDING_API))
AFFILIATION_MENUS = menus(MENU_OTHER_SCHOOLS, MENU_NO_OTHER_SCHOOLS)
PROFILE_MENUS = menus(MENU_BASIC_DATA, MENU_SCHOOL_PROFILES, MENU_SCHOOL_BUILDINGS)
READ_BASIC_DATA = reads(**AFFILIATION) + reads(**PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS

# Schools and LAOs: the province adds and edits its LAOs and their schools, the LAO its schools
# (app/scope.py keeps each to its own subtree); only central deletes one.
# Central is FAB's admin role (AUTH_ROLE_ADMIN): it holds every permission, FAB's security
# screens and the OpenAPI document included. The others are declared here; which rows each may
# read or write is decided by the user's organisation node (app/scope.py), not by the role.
ROLES = {
    ROLE_PROVINCE: READ_ALL
    + adds_and_edits(screens=(LAO_VIEW, SCHOOL_VIEW), apis=(LAO_API, SCHOOL_API))
    + IMPORT
    + [(PROVINCE_VIEW, ISSUE), (LAO_VIEW, ISSUE), (SCHOOL_VIEW, ISSUE)]
    + [(PROVINCE_VIEW, ("confirm_province",)), (LAO_VIEW, ("return_lao",))]
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS + DRAW_SPOT_CHECKS + ASK_EXCEPTION + ANSWER_EXCEPTION
    + ACCOUNTS + RESET + READ_BASIC_DATA + REMIND,
    ROLE_LAO: READ_ALL
    + edits(LAO_VIEW, LAO_API)
    + adds_and_edits(screens=(SCHOOL_VIEW,), apis=(SCHOOL_API,))
    + IMPORT
    + [(LAO_VIEW, ISSUE), (SCHOOL_VIEW, ISSUE)]
    + [(LAO_VIEW, ("confirm_lao",)), (SCHOOL_VIEW, ("return_school",))]
    + RESTORE + ROLL_OVER + ANSWER_TRANSFER
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS + ASK_EXCEPTION
    + ACCOUNTS + RESET + writes(**AFFILIATION) + reads(**PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS + REMIND,
    ROLE_SCHOOL: READ_ALL
    + edits(SCHOOL_VIEW, SCHOOL_API)
    + LEARNER_ENTRY + REMOVE + RESTORE + ROLL_OVER + ASK_TRANSFER + ANSWER_TRANSFER
    + IMPORT
    + [(SCHOOL_VIEW, ("confirm_school", "take_back_school"))]
    + BOARD + STEPS_API + EXPLAIN + SPOT_CHECKS + ASK_EXCEPTION
    + writes(**PROFILE) + PROFILE_MENUS,
    ROLE_MANAGER: READ_ALL + BOARD + SPOT_CHECKS + READ_BASIC_DATA,
}  # fmt: skip
for grants in ROLES.values():
    grants.extend(ORGANISATION_MENUS + SELF_SERVICE + REPORTS + QUALITY + CHART_GRANTS + INBOX + TRANSFERS)


def declared(grants):
    """A role's grants as the (verb, resource) pairs FAB stores."""
    return {(verb, resource) for resource, verbs in grants for verb in verbs}


# How high each role stands (nobody grants a role above their own), and at which organisation
# levels an account may hold it.
ROLE_RANK = {ROLE_CENTRAL: 4, ROLE_PROVINCE: 3, ROLE_LAO: 2, ROLE_SCHOOL: 1, ROLE_MANAGER: 1}
ROLE_LEVELS = {
    ROLE_CENTRAL: {CENTRAL},
    ROLE_PROVINCE: {PROVINCE},
    ROLE_LAO: {LAO},
    ROLE_SCHOOL: {SCHOOL},
    ROLE_MANAGER: {CENTRAL, PROVINCE, LAO},
}
# The role an organisation's own account holds (issued credentials, generated accounts).
ROLE_OF_LEVEL = {PROVINCE: ROLE_PROVINCE, LAO: ROLE_LAO, SCHOOL: ROLE_SCHOOL}


def levels_holding(grants):
    """The organisation levels whose accounts may take a step these grants allow: central, whose
    role (FAB's admin) holds every permission, and the levels of every role declared with them all."""
    wanted = declared(grants)
    holders = [ROLE_LEVELS[role] for role, held in ROLES.items() if wanted <= declared(held)]
    return frozenset(ROLE_LEVELS[ROLE_CENTRAL]).union(*holders)
