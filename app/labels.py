"""Column labels, in one place so every screen and API says the same words."""

from flask_babel import lazy_gettext as _l

from . import choices

PRODUCT_NAME = _l("Local Education Center information system (LEC)")  # config's APP_NAME: navbar, titles

AUDIT = {
    "id": _l("Record ID"),
    "created_on": _l("Created on"),
    "changed_on": _l("Changed on"),
    "created_by": _l("Created by"),
    "changed_by": _l("Changed by"),
}
ORGANISATION = {
    "code": _l("Code"),
    "name_th": _l("Name (Thai)"),
    "name_en": _l("Name (English)"),
    "kind": _l("Kind"),
    "province": _l("Province"),
    "province.id": _l("Province"),
    "province.name_th": _l("Province"),
    "lao": _l("Local administrative organisation"),
    "lao.id": _l("Local administrative organisation"),
    "lao.name_th": _l("Local administrative organisation"),
    "address": _l("Address"),
    "phone": _l("Telephone"),
    "head_name": _l("Head of school"),
    "levels": _l("Levels offered"),
    **AUDIT,
}
ACADEMIC_YEAR = {
    "year": _l("Academic year (B.E.)"),
    "entry_opens": _l("Entry opens"),
    "school_deadline": _l("School deadline"),
    "lao_deadline": _l("LAO deadline"),
    "province_deadline": _l("Province deadline"),
    "is_current": _l("Current year"),
    **AUDIT,
}
STUDENT = {
    "academic_year": _l("Academic year"),
    "academic_year.id": _l("Academic year"),
    "academic_year.year": _l("Academic year"),
    "school": _l("School or centre"),
    "school.id": _l("School or centre"),
    "school.name_th": _l("School or centre"),
    "school.lao": _l("Local administrative organisation"),
    "id_kind": _l("Identifier kind"),
    "id_number": _l("National ID / G code"),
    "prefix": _l("Prefix"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "sex": _l("Sex"),
    "birth_date": _l("Birth date"),
    "nationality": _l("Nationality"),
    "religion": _l("Religion"),
    "class_level": _l("Class level"),
    "room": _l("Room"),
    "disadvantage": _l("Disadvantage"),
    "disability": _l("Disability"),
    "guardian_name": _l("Guardian's name"),
    "guardian_phone": _l("Guardian's telephone"),
    "status": _l("Status"),
    "removal_reason": _l("Reason for removal"),
    "removed_on": _l("Removed on"),
    "removal_note": _l("Removal note"),
    "removed_by": _l("Removed by"),
    **AUDIT,
}
CREDENTIAL = {
    "user": _l("Account"),
    "user.username": _l("Username"),
    "code_hash": _l("Activation code"),  # the history says it changed, never what it is
    "issued_on": _l("Issued on"),
    "issued_by": _l("Issued by"),
    "expires_on": _l("Valid until"),
    "activated_on": _l("Activated on"),
    "revoked_on": _l("Replaced on"),
    "status": _l("Status"),
}
HISTORY = {
    "occurred_on": _l("When"),
    "actor": _l("Who"),
    "table_name": _l("Table"),
    "row_id": _l("Record ID"),
    "action": _l("Action"),
    "changes": _l("Changes"),
    "record": _l("Record"),
    "summary": _l("Changes"),
    "reason": _l("Reason"),
    "province_id": _l("Province"),
    "lao_id": _l("Local administrative organisation"),
    "school_id": _l("School or centre"),
}
AUDIT_EVENT = {
    "occurred_on": _l("When"),
    "actor": _l("Who"),
    "action": _l("Action"),
    "target": _l("Concerning"),
    "detail": _l("Details"),
    "ip": _l("Address"),
}
SPOT_CHECK = {
    "academic_year": _l("Academic year"),
    "province": _l("Province"),
    "lao": _l("Local administrative organisation"),
    "school": _l("School or centre"),
    "sample_count": _l("Sample size"),
    "sample_percent": _l("Percentage asked"),
    "population": _l("Active learners"),
    "seed": _l("Random seed"),
    "items": _l("Not-found rate"),
    **AUDIT,
    "created_on": _l("Drawn on"),
    "created_by": _l("Drawn by"),
}
SPOT_CHECK_ITEM = {
    "spot_check": _l("Spot check"),
    "spot_check.created_on": _l("Drawn on"),
    "student": _l("Learner"),
    "student.id_number": _l("National ID / G code"),
    "school": _l("School or centre"),
    "result": _l("Result"),
    "note": _l("Note"),
    "checked_on": _l("Checked on"),
    "checked_by": _l("Checked by"),
    **AUDIT,
}
EXCEPTION_REQUEST = {
    "academic_year": _l("Academic year"),
    "org_key": _l("Organisation"),
    "org_level": _l("Level"),
    "province": _l("Province"),
    "lao": _l("Local administrative organisation"),
    "school": _l("School or centre"),
    "reason": _l("Reason"),
    "needed_until": _l("Needed until"),
    "state": _l("State of the request"),
    "requested_on": _l("Asked on"),
    "requested_by": _l("Asked by"),
    "answer_reason": _l("Reason of the answer"),
    "granted_until": _l("Entry open until"),
    "answered_on": _l("Answered on"),
    "answered_by": _l("Answered by"),
}

CONFIRMATION = {
    "academic_year": _l("Academic year"),
    "org_key": _l("Organisation"),
    "org_level": _l("Level"),
    "province": _l("Province"),
    "lao": _l("Local administrative organisation"),
    "school": _l("School or centre"),
    "state": _l("Confirmation state"),
    "confirmed_on": _l("Confirmed on"),
    "confirmed_by": _l("Confirmed by"),
    "exception_until": _l("Entry open until"),
    "exception_reason": _l("Reason for the exception"),
}
QUALITY_EXPLANATION = {
    "academic_year": _l("Academic year"),
    "school": _l("School or centre"),
    "rule": _l("Check"),
    "subject": _l("About"),
    "text": _l("Explanation"),
}
BUDGET_RATE = {
    "academic_year": _l("Academic year"),
    "item": _l("Budget item"),
    "level_group": _l("Level group"),
    "per_head": _l("Baht per head per year"),
    "per_day": _l("Baht per head per day"),
    "days": _l("Days"),
    "yearly": _l("Per head per year (baht)"),
    "example": _l("Example figure"),
    **AUDIT,
}
OTHER_SCHOOL = {
    "academic_year": _l("Academic year"),
    "lao": _l("Local administrative organisation"),
    "name": _l("School name"),
    "affiliation": _l("Affiliation"),
    "note": _l("Note"),
    "male": _l("Male learners"),
    "female": _l("Female learners"),
    "total": _l("All learners"),
    **{
        "%s_%s" % (level, sex): _l("%(level)s, %(sex)s", level=level_label, sex=sex_label)
        for level, level_label in choices.OTHER_SCHOOL_LEVELS
        for sex, sex_label in choices.COUNT_SEXES
    },
    **AUDIT,
}
SCHOOL_PROFILE = {
    "academic_year": _l("Academic year"),
    "school": _l("School or centre"),
    "teachers_male": _l("Teachers, male"),
    "teachers_female": _l("Teachers, female"),
    "caregivers_male": _l("Caregivers, male"),
    "caregivers_female": _l("Caregivers, female"),
    "support_staff_male": _l("Support staff, male"),
    "support_staff_female": _l("Support staff, female"),
    "classrooms": _l("Classrooms"),
    "buildings": _l("Buildings"),
    **AUDIT,
}
SCHOOL_BUILDING = {
    "profile": _l("School profile"),
    "kind": _l("Kind of building"),
    "built_year_be": _l("Year built (B.E.)"),
    "condition": _l("Condition"),
    "note": _l("Note"),
    **AUDIT,
}
TRANSFER = {
    "academic_year": _l("Academic year"),
    "student": _l("Learner"),
    "new_student": _l("Learner at the new school"),
    "from_school": _l("Old school"),
    "to_school": _l("New school"),
    "class_level": _l("Class level at the new school"),
    "state": _l("Status"),
    "asked_on": _l("Asked on"),
    "asked_by": _l("Asked by"),
    "answered_on": _l("Answered on"),
    "answered_by": _l("Answered by"),
    "decline_reason": _l("Reason for declining"),
    **AUDIT,
}
