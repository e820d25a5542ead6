"""Coded values stored in the database and the words a user reads for them.

Codes are short English words so that scripts and the REST API read naturally; labels are
translatable (Thai by default)."""

from flask_babel import lazy_gettext as _l

LAO_KINDS = [
    ("pao", _l("Provincial Administrative Organization")),
    ("city", _l("City Municipality")),
    ("town", _l("Town Municipality")),
    ("subdistrict", _l("Subdistrict Municipality")),
    ("sao", _l("Subdistrict Administrative Organization")),
    ("pattaya", _l("Pattaya City")),
]

SCHOOL_KINDS = [
    ("school", _l("School")),
    ("cdc", _l("Child Development Centre")),
]

CLASS_LEVELS = [
    ("cdc", _l("Young child (CDC)")),
    ("k1", _l("Kindergarten 1")),
    ("k2", _l("Kindergarten 2")),
    ("k3", _l("Kindergarten 3")),
    ("p1", _l("Primary 1")),
    ("p2", _l("Primary 2")),
    ("p3", _l("Primary 3")),
    ("p4", _l("Primary 4")),
    ("p5", _l("Primary 5")),
    ("p6", _l("Primary 6")),
    ("m1", _l("Secondary 1")),
    ("m2", _l("Secondary 2")),
    ("m3", _l("Secondary 3")),
    ("m4", _l("Secondary 4")),
    ("m5", _l("Secondary 5")),
    ("m6", _l("Secondary 6")),
    ("v1", _l("Vocational 1")),
    ("v2", _l("Vocational 2")),
    ("v3", _l("Vocational 3")),
]

# Groups of class levels that a budget rate applies to (BudgetRate.level_group).
LEVEL_GROUPS = [
    ("cdc", _l("Child development centre")),
    ("kindergarten", _l("Kindergarten")),
    ("primary", _l("Primary")),
    ("lower_secondary", _l("Lower secondary")),
    ("upper_secondary", _l("Upper secondary")),
    ("vocational", _l("Vocational")),
]
LEVELS_OF_GROUP = {
    "cdc": ["cdc"],
    "kindergarten": ["k1", "k2", "k3"],
    "primary": ["p1", "p2", "p3", "p4", "p5", "p6"],
    "lower_secondary": ["m1", "m2", "m3"],
    "upper_secondary": ["m4", "m5", "m6"],
    "vocational": ["v1", "v2", "v3"],
}

ID_KINDS = [
    ("national_id", _l("National ID (13 digits)")),
    ("g_code", _l("Learner code (G code)")),
]

SEXES = [("M", _l("Male")), ("F", _l("Female"))]

PREFIXES = [
    ("เด็กชาย", _l("Master")),
    ("เด็กหญิง", _l("Miss (child)")),
    ("นาย", _l("Mr.")),
    ("นางสาว", _l("Miss")),
]

ACTIVE, REMOVED = "active", "removed"  # a learner in the count, and one taken out of it
STUDENT_STATUSES = [(ACTIVE, _l("Active")), (REMOVED, _l("Removed"))]

# Why a learner was taken out of the count (the circular's จำหน่าย); never a hard delete.
REMOVAL_REASONS = [
    ("moved", _l("Moved to another school")),
    ("graduated", _l("Graduated")),
    ("dropped_out", _l("Dropped out")),
    ("died", _l("Died")),
    ("not_exist", _l("Does not exist / recorded in error")),
]

# What an AuditEvent records (app/audit.py record_event), as the sign-in and account log shows it.
AUDIT_ACTIONS = [
    ("login", _l("Signed in")),
    ("login_failed", _l("Sign-in failed")),
    ("login_refused_locked", _l("Sign-in refused: account locked")),
    ("login_refused_no_organisation", _l("Sign-in refused: account has no organisation")),
    ("account_created", _l("Account created")),
    ("account_changed", _l("Account changed")),
    ("account_activated", _l("Account activated")),
    ("credentials_issued", _l("Credential sheets issued")),
    ("password_reset_code", _l("Password reset with a new activation code")),
    ("password_reset_temporary", _l("Password reset with a temporary password")),
    ("password_changed", _l("Password changed by its owner")),
    ("password_reset_requested", _l("Password reset link sent by email")),
    ("password_reset_completed", _l("Password set with an emailed link")),
]

# What a province officer found when checking a sampled learner in person.
SPOT_CHECK_RESULTS = [
    ("found", _l("Found")),
    ("not_found", _l("Not found")),
    ("mismatch", _l("Data do not match")),
]

DISADVANTAGES = [
    ("", _l("None")),
    ("poor", _l("Poor")),
    ("orphan", _l("Orphan")),
    ("abandoned", _l("Abandoned")),
    ("minority", _l("Ethnic minority")),
    ("child_labour", _l("Child labour")),
    ("other", _l("Other")),
]

DISABILITIES = [
    ("", _l("None")),
    ("visual", _l("Visual impairment")),
    ("hearing", _l("Hearing impairment")),
    ("intellectual", _l("Intellectual disability")),
    ("physical", _l("Physical or health impairment")),
    ("learning", _l("Learning disability")),
    ("speech", _l("Speech and language disorder")),
    ("behavioural", _l("Behavioural or emotional disorder")),
    ("autism", _l("Autism")),
    ("multiple", _l("Multiple disabilities")),
]


# The affiliation of a school in an LAO's area that the LAO does not run (จำนวนนักเรียนสังกัดอื่น).
AFFILIATIONS = [
    ("obec", _l("Office of the Basic Education Commission (OBEC)")),
    ("private", _l("Private")),
    ("bpp", _l("Border Patrol Police")),
    ("pariyatti", _l("Buddhist Pariyatti school")),
    ("vocational", _l("Vocational education")),
    ("other", _l("Other affiliation")),
]

# The levels counted for a school of another affiliation (child-development centres are not).
OTHER_SCHOOL_LEVELS = [(code, label) for code, label in CLASS_LEVELS if code != "cdc"]
COUNT_SEXES = [("male", _l("Male")), ("female", _l("Female"))]
# One count column per level and sex, e.g. p1_male, p1_female.
OTHER_SCHOOL_COUNTS = ["%s_%s" % (level, sex) for level, _label in OTHER_SCHOOL_LEVELS for sex, _word in COUNT_SEXES]

BUILDING_KINDS = [
    ("classroom", _l("Classroom building")),
    ("cdc", _l("Child development centre building")),
    ("hall", _l("Multipurpose hall")),
    ("canteen", _l("Canteen")),
    ("library", _l("Library")),
    ("toilet", _l("Toilet block")),
    ("other", _l("Other building")),
]

BUILDING_CONDITIONS = [
    ("good", _l("Good")),
    ("minor_repair", _l("Needs minor repair")),
    ("major_repair", _l("Needs major repair")),
    ("unsafe", _l("Unsafe, to be demolished")),
]


# A transfer between schools (app/transfers.py): asked by the receiving school, answered by the old one.
ASKED, ACCEPTED, DECLINED, WITHDRAWN = "asked", "accepted", "declined", "withdrawn"
TRANSFER_STATES = [
    (ASKED, _l("Waiting for the old school")),
    (ACCEPTED, _l("Accepted")),
    (DECLINED, _l("Declined")),
    (WITHDRAWN, _l("Withdrawn")),
]

CONFIRMATION_STATES = [("open", _l("Open")), ("confirmed", _l("Confirmed"))]

# An exception request (app/exceptions.py): waiting for its answer, then granted or refused.
EXCEPTION_REQUEST_STATES = [("requested", _l("Waiting for an answer")), ("granted", _l("Granted")),
                            ("refused", _l("Refused"))]  # fmt: skip

HISTORY_ACTIONS = [("insert", _l("added")), ("update", _l("changed")), ("delete", _l("removed"))]

CREDENTIAL_STATUSES = [
    ("waiting", _l("Waiting for activation")),
    ("activated", _l("Activated")),
    ("revoked", _l("Replaced by a newer code")),
    ("expired", _l("Expired")),
]

YES_NO = [(True, _l("Yes")), (False, _l("No"))]

# What a notification tells its reader (app/notifications.py holds the words of each).
NOTIFICATION_KINDS = [
    ("returned", _l("Returned for correction")),
    ("exception_asked", _l("Entry exception asked")),
    ("exception_granted", _l("Entry exception granted")),
    ("exception_refused", _l("Entry exception refused")),
    ("transfer_asked", _l("Transfer asked")),
    ("transfer_accepted", _l("Transfer accepted")),
    ("transfer_declined", _l("Transfer declined")),
    ("confirmed_below", _l("Confirmed by the level below")),
    ("confirmed_above", _l("Confirmed by the level above")),
    ("deadline", _l("Deadline reminder")),
    ("remind", _l("Reminder from the level above")),
]

# The codes each coded column may hold, by table and column: the one declaration that the
# database's CHECK constraints (app/models.py) and the validation at every entry point
# (app/quality.py) are both built from.
CODED_COLUMNS = {
    "lao": {"kind": LAO_KINDS},
    "school": {"kind": SCHOOL_KINDS},
    "student": {
        "id_kind": ID_KINDS,
        "sex": SEXES,
        "class_level": CLASS_LEVELS,
        "status": STUDENT_STATUSES,
        "removal_reason": REMOVAL_REASONS,
        "disadvantage": DISADVANTAGES,
        "disability": DISABILITIES,
    },
    "spot_check_item": {"result": SPOT_CHECK_RESULTS},
    "other_school": {"affiliation": AFFILIATIONS},
    "school_building": {"kind": BUILDING_KINDS, "condition": BUILDING_CONDITIONS},
    "budget_rate": {"level_group": LEVEL_GROUPS},
    "confirmation": {"state": CONFIRMATION_STATES},
    "notification": {"kind": NOTIFICATION_KINDS},
    "transfer_request": {"state": TRANSFER_STATES, "class_level": CLASS_LEVELS},
    "exception_request": {"state": EXCEPTION_REQUEST_STATES},
}
# Coded columns the schema stores without a CHECK (none was made for them; adding one is a
# migration of its own): only the validation holds them to their codes.
UNCHECKED_COLUMNS = {("student", "disadvantage"), ("student", "disability")}


def codes(choices):
    return [code for code, _label in choices]


def label_of(choices):
    """A list formatter that shows the label of a stored code."""
    table = dict(choices)
    return lambda code: table.get(code, code or "")
