"""What a user sees: the generated screens, the REST API and the menu, as declarations."""


from flask import current_app, flash, redirect
from flask_appbuilder import BaseView, IndexView, expose
from flask_appbuilder.actions import action
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from wtforms.validators import DataRequired, InputRequired, Optional

from . import choices, credentials, labels, quality
from .base_views import LecInterface, LecModelApi, LecModelView
from .errors import Invalid
from .forms import ActivationForm, Rule, choice_field, date_field
from .models import AcademicYear, Credential, Lao, Province, School, Student
from .thai import format_be_date, format_be_datetime

AUDIT_COLUMNS = ["created_by", "created_on", "changed_by", "changed_on"]


class HomeView(IndexView):
    index_template = "lec/index.html"


class IssuesCredentials:
    """The organisation lists' actions: credential sheets for the selected organisations and
    everything below them."""

    @action(
        "issue_credentials",
        _l("Print credential sheet (QR)"),
        _l("Issue activation codes for the selected organisations, and those below them, that have no active account?"),
        "fa-qrcode",
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


class SchoolView(IssuesCredentials, LecModelView):
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


class LaoView(IssuesCredentials, LecModelView):
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


class ProvinceView(IssuesCredentials, LecModelView):
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
    )
    def reissue_credentials(self, items):
        accounts = list(dict.fromkeys(item.user for item in (items if isinstance(items, list) else [items])))
        return credentials.sheet_response(
            credentials.reissue_for_accounts(accounts), ", ".join(account.username for account in accounts[:3])
        )


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
    activation = appbuilder.add_view_no_menu(ActivationView)
    appbuilder.sm.limiter.limit(current_app.config["LEC_ACTIVATION_RATE_LIMIT"])(activation.blueprint)
    for api in (ProvinceApi, LaoApi, SchoolApi, AcademicYearApi, StudentApi):
        appbuilder.add_api(api)
