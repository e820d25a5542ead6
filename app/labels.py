"""Column labels, in one place so every screen and API says the same words."""

from flask_babel import lazy_gettext as _l

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
    **AUDIT,
}
CREDENTIAL = {
    "user": _l("Account"),
    "user.username": _l("Username"),
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
