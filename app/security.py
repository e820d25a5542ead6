"""Who may do what: the LEC roles, declared as data and synced by ``flask lec sync-roles``.

A role is a list of grants: (resource, verbs). Resources are the names Flask-AppBuilder gives
views, APIs and menu entries; the sync turns grants into FAB permission rows and removes any
permission that is not declared here, so the database always matches this file."""

import time
import weakref
from datetime import datetime, timedelta

from flask import current_app, flash, g
from flask_appbuilder.actions import action
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_appbuilder.security.views import RoleModelView, UserDBModelView
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload
from wtforms.validators import DataRequired

from . import db
from .audit import record_event
from .base_views import AUDIT_FORMATTERS, LecInterface, RefusedFormsAnswer400, ScopedActions
from .choices import YES_NO, label_of
from .errors import Invalid
from .forms import choice_field
from .models import LecUser
from .scope import USER_PLACEMENT, current_node, node_of

CENTRAL = "ส่วนกลาง"
PROVINCE = "จังหวัด"
LAO = "อปท."
SCHOOL = "สถานศึกษา"
MANAGER = "ผู้บริหาร"

READ = ("can_list", "can_show", "can_get", "can_info")
WRITE = READ + ("can_add", "can_edit", "can_delete", "can_post", "can_put")
MENU = ("menu_access",)

ORGANISATION_MENUS = [
    ("Organisations", MENU),
    ("Provinces", MENU),
    ("Local administrative organisations", MENU),
    ("Schools and centres", MENU),
    ("Academic years", MENU),
    ("Learners", MENU),
    ("Removed learners", MENU),
]
SELF_SERVICE = [
    ("LecUserView", ("can_userinfo", "userinfoedit", "resetmypassword")),
    ("ResetMyPasswordView", ("can_this_form_get", "can_this_form_post")),
    ("UserInfoEditView", ("can_this_form_get", "can_this_form_post")),
    ("LocaleView", ("can_index",)),
]


def reads(*resources):
    return [(resource, READ) for resource in resources]


def writes(*resources):
    return [(resource, WRITE) for resource in resources]


ORGANISATION_VIEWS = ("ProvinceView", "LaoView", "SchoolView", "AcademicYearView", "StudentView", "RemovedStudentView")
ORGANISATION_APIS = ("ProvinceApi", "LaoApi", "SchoolApi", "AcademicYearApi", "StudentApi")
READ_ALL = reads(*ORGANISATION_VIEWS, *ORGANISATION_APIS)
EDIT = ("can_edit", "can_put")
# Managing the accounts of one's own subtree (app/scope.py decides which accounts), and handing
# out credential sheets for it (app/credentials.py).
ISSUE = ("issue_credentials", "reissue_all_credentials")
# Importing a learner list for a school of one's own subtree (app/importer.py).
IMPORT = [("ImportView", ("can_upload", "can_template", "can_preview", "can_commit")), ("Import learners", MENU)]
ACCOUNTS = [
    ("LecUserView", ("can_list", "can_show", "can_add", "can_edit", "reissue_credentials")),
    ("CredentialView", ("can_list", "can_show", "reissue_credentials")),
    ("Security", MENU),
    ("List Users", MENU),
    ("Issued credentials", MENU),
]

# Learners leave the count by removal, never by a delete (app/learners.py): no role holds
# can_delete on them. The school enters, removes and restores its learners and starts the new year;
# its LAO restores and may start the year for its schools.
LEARNER_ENTRY = [("StudentView", ("can_add", "can_edit")), ("StudentApi", ("can_post", "can_put"))]
REMOVE = [("StudentView", ("remove_learners",)), ("LearnersView", ("can_remove",)), ("LearnerApi", ("can_remove",))]
RESTORE = [("RemovedStudentView", ("restore_learners",)), ("LearnerApi", ("can_restore",))]
ROLL_OVER = [("LearnersView", ("can_rollover",)), ("Start the new year", MENU)]

# The confirmation workflow (app/workflow.py decides what each level may do, and when).
BOARD = [("WorkflowView", ("can_board", "can_changes")), ("WorkflowApi", ("can_get",)), ("Confirmation status", MENU)]
STEPS_API = [("WorkflowApi", ("can_post",))]
REASONS = [("WorkflowView", ("can_give_reason",))]
# The data-quality report (app/quality.py); the school explains the warnings it keeps.
QUALITY = [("QualityView", ("can_report",)), ("Data quality", MENU)]
EXPLAIN = [("QualityView", ("can_explain",))]
# Head-count reports and the budget estimate (app/reports.py, each over one's own subtree), and
# the budget rates, which every level reads and only central sets (it holds every permission).
REPORTS = [("ReportView", ("can_report",)), ("BudgetRateView", ("can_list", "can_show"))] + [
    ("Reports", MENU), ("Head-count report", MENU), ("Budget estimate", MENU), ("Budget rates", MENU),
]  # fmt: skip
# The charts (app/charts.py): every role reads them over its own scope.
CHARTS = [("ChartView", ("can_index",)), ("Charts", MENU)]
# Spot checks (app/spotcheck.py decides who draws and records, and when): the province draws them
# and records the results; every level reads the results of the learners in its scope.
SPOT_CHECKS = reads("SpotCheckView", "SpotCheckItemView") + [
    ("SpotCheckPage", ("can_show",)), ("Spot checking", MENU), ("Spot checks", MENU), ("Spot-check results", MENU),
]  # fmt: skip
DRAW_SPOT_CHECKS = [("SpotCheckPage", ("can_draw", "can_record")), ("Draw a spot check", MENU)]

# Basic data beside the learners: the LAO records the schools of other affiliations in its area (or
# that there are none), the school its profile and buildings; app/scope.py keeps each to its own.
AFFILIATION = ("OtherSchoolView", "NoOtherSchoolsView", "OtherSchoolApi", "NoOtherSchoolsApi")
PROFILE = ("SchoolProfileView", "SchoolBuildingView", "SchoolProfileApi", "SchoolBuildingApi")
AFFILIATION_MENUS = [("Schools of other affiliations", MENU), ("No school of another affiliation", MENU)]
PROFILE_MENUS = [("Basic data", MENU), ("School profiles", MENU), ("School buildings", MENU)]
READ_BASIC_DATA = reads(*AFFILIATION, *PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS

# Central is FAB's admin role (AUTH_ROLE_ADMIN): it holds every permission, FAB's security
# screens and the OpenAPI document included. The others are declared here; which rows each may
# read or write is decided by the user's organisation node (app/scope.py), not by the role.
ROLES = {
    PROVINCE: READ_ALL
    + writes("LaoView", "SchoolView", "LaoApi", "SchoolApi")
    + IMPORT
    + [("ProvinceView", ISSUE), ("LaoView", ISSUE), ("SchoolView", ISSUE)]
    + [("ProvinceView", ("confirm_province",)), ("LaoView", ("return_lao",))]
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS + DRAW_SPOT_CHECKS
    + ACCOUNTS + READ_BASIC_DATA,
    LAO: READ_ALL
    + [("LaoView", EDIT), ("LaoApi", EDIT)]
    + writes("SchoolView", "SchoolApi")
    + IMPORT
    + [("LaoView", ISSUE), ("SchoolView", ISSUE)]
    + [("LaoView", ("confirm_lao",)), ("SchoolView", ("return_school",))]
    + RESTORE + ROLL_OVER
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS
    + ACCOUNTS + writes(*AFFILIATION) + reads(*PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS,
    SCHOOL: READ_ALL
    + [("SchoolView", EDIT), ("SchoolApi", EDIT)]
    + LEARNER_ENTRY + REMOVE + RESTORE + ROLL_OVER
    + IMPORT
    + [("SchoolView", ("confirm_school", "take_back_school"))]
    + BOARD + STEPS_API + EXPLAIN + SPOT_CHECKS
    + writes(*PROFILE) + PROFILE_MENUS,
    MANAGER: READ_ALL + BOARD + SPOT_CHECKS + READ_BASIC_DATA,
}
for grants in ROLES.values():
    grants.extend(ORGANISATION_MENUS + SELF_SERVICE + REPORTS + QUALITY + CHARTS)

# How high each role stands (nobody grants a role above their own), and at which organisation
# levels an account may hold it.
ROLE_RANK = {CENTRAL: 4, PROVINCE: 3, LAO: 2, SCHOOL: 1, MANAGER: 1}
ROLE_LEVELS = {
    CENTRAL: {"central"},
    PROVINCE: {"province"},
    LAO: {"lao"},
    SCHOOL: {"school"},
    MANAGER: {"central", "province", "lao"},
}
ORG_LEVELS = [
    ("central", _l("Central (Department of Local Administration)")),
    ("province", _l("Province")),
    ("lao", _l("Local administrative organisation")),
    ("school", _l("School or centre")),
]


VERBS = {
    "can_list": _l("view list"),
    "can_show": _l("view details"),
    "can_add": _l("add"),
    "can_edit": _l("edit"),
    "can_delete": _l("delete"),
    "can_get": _l("read via API"),
    "can_info": _l("read via API"),
    "can_post": _l("add via API"),
    "can_put": _l("edit via API"),
    "menu_access": _l("open menu"),
}


def manageable_levels():
    """The organisation levels whose accounts the signed-in user may manage (app/scope.py)."""
    node = current_node()
    if node.level == "central":
        return list(ORG_LEVELS)
    return [(level, label) for level, label in ORG_LEVELS if node.level in USER_PLACEMENT.get(level, ("", "", ()))[2]]


def grantable_roles():
    """Names of the roles the signed-in user may grant (no higher than their own)."""
    rank = rank_of(g.user)
    return [name for name, role_rank in ROLE_RANK.items() if role_rank <= rank]


def describe_account(user):
    return "%s: %s / %s" % (user.org_level, user.organisation, ", ".join(role.name for role in user.roles))


def describe_permissions(permissions):
    """A role's grants in words: the verb in Thai, then the menu or screen it applies to."""
    return "\n".join(
        sorted("%s: %s" % (VERBS.get(p.permission.name, p.permission.name), _(p.view_menu.name)) for p in permissions)
    )


class LecRoleView(RoleModelView):
    """Roles are declared in this module and synced by a command, so the screen only reads them."""

    base_permissions = ["can_list", "can_show"]
    list_columns = ["name"]
    formatters_columns = {"permissions": describe_permissions}


def rank_of(user):
    return max((ROLE_RANK.get(role.name, 0) for role in user.roles), default=0)


def check_account(user, manager=None):
    """An account's roles fit its organisation level, and none stands above the manager's own
    (``manager`` None: the command line, which may grant any role)."""
    errors = {}
    if user.org_level is None:
        errors["org_level"] = _("Every account belongs to an organisation.")
    if not user.roles:
        errors["roles"] = _("Choose at least one role.")
    for role in user.roles:
        if user.org_level not in ROLE_LEVELS.get(role.name, set()):
            errors["roles"] = _("The role %(role)s does not fit an account at this level.", role=role.name)
        elif manager is not None and ROLE_RANK.get(role.name, 9) > rank_of(manager):
            errors["roles"] = _("You cannot grant the role %(role)s.", role=role.name)
    column = {"province": "province", "lao": "lao", "school": "school"}.get(user.org_level)
    if column and getattr(user, column) is None:
        errors[column] = _("Choose the organisation this account belongs to.")
    if errors:
        raise Invalid(errors)


def check_password(password):
    """At least 10 characters drawn from at least three of: lower case, upper case, digits,
    other characters (Thai letters count as letters)."""
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isascii() or not c.isalnum() for c in password),
    ]
    if len(password) < 10 or sum(kinds) < 3:
        raise PasswordComplexityValidationError(
            _("A password needs at least 10 characters mixing at least three of: lower-case letters, "
              "upper-case letters, digits and other characters.")
        )


class LecUserView(RefusedFormsAnswer400, ScopedActions, UserDBModelView):
    """Accounts of the manager's own subtree (app/scope.py); a manager places each account at one
    organisation and grants roles no higher than their own."""

    datamodel = LecInterface(LecUser)
    list_columns = ["first_name", "last_name", "username", "org_level", "organisation", "roles", "active"]
    search_columns = ["first_name", "last_name", "username", "email", "org_level", "active", "roles"]
    add_columns = [
        "first_name", "last_name", "username", "email", "org_level", "province", "lao", "school", "roles",
        "active", "password", "conf_password",
    ]  # fmt: skip
    edit_columns = ["first_name", "last_name", "username", "email", "org_level", "province", "lao", "school",
                    "roles", "active"]  # fmt: skip
    label_columns = {
        **UserDBModelView.label_columns,
        "org_level": _l("Organisation level"),
        "organisation": _l("Organisation"),
        "province": _l("Province"),
        "lao": _l("Local administrative organisation"),
        "school": _l("School or centre"),
    }
    formatters_columns = {
        **AUDIT_FORMATTERS,
        "org_level": label_of(ORG_LEVELS),
        "active": label_of(YES_NO),
        "roles": lambda roles: ", ".join(role.name for role in roles),
    }
    validators_columns = {"roles": [DataRequired()]}  # FAB's own validator expects a groups field
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "org_level": choice_field(_l("Organisation level"), manageable_levels, DataRequired()),
    }
    edit_form_extra_fields = {"org_level": choice_field(_l("Organisation level"), manageable_levels, DataRequired())}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"roles": [["name", FilterInFunction, grantable_roles]]}

    def pre_add(self, item):
        check_account(item, g.user)

    def pre_update(self, item):
        check_account(item, g.user)

    @action(
        "reissue_credentials",
        _l("Print credential sheet (QR)"),
        _l("Issue new activation codes for the selected accounts? Earlier codes stop working."),
        "fa-qrcode",
        single=False,  # FAB's single-row action is a GET, which CSRF protection refuses
    )
    def reissue_credentials(self, items):
        from .credentials import sheet_for_accounts  # credentials builds on this module

        return sheet_for_accounts(items if isinstance(items, list) else [items])

    def post_add(self, item):
        record_event("account_created", item.username, describe_account(item))
        db.session.commit()

    def post_update(self, item):
        record_event("account_changed", item.username, describe_account(item))
        db.session.commit()


MANAGERS = weakref.WeakSet()  # every app's security manager, whose permission cache a role change clears


@event.listens_for(Session, "after_flush")
def _note_permission_changes(session, flush_context):
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, (Role, PermissionView, Permission, ViewMenu)) for obj in changed):
        session.info["lec_permissions_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_permissions(session):
    if session.info.pop("lec_permissions_changed", False):
        for manager in list(MANAGERS):
            manager.held_by_roles.clear()
            manager.menus.clear()


class LecSecurityManager(SecurityManager):
    """FAB's security manager with LEC's accounts. It asks the database for a role set's
    permissions once, and draws the menu a role set sees once per language, for
    ``LEC_PERMISSION_CACHE_SECONDS`` (a role change in this process forgets both at once), where
    FAB asks once per menu entry and button on every page; it loads a user with roles and groups
    in one query."""

    user_model = LecUser
    userdbmodelview = LecUserView
    rolemodelview = LecRoleView

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        self.userdbmodelview.datamodel = LecInterface(LecUser)  # FAB resets it to an unscoped one
        self.held_by_roles = {}  # role ids → (expires, {(permission, view)})
        self.menus = {}  # (role ids, language) → (expires, the menu's HTML)
        MANAGERS.add(self)

    def get_user_by_id(self, pk):
        options = [joinedload(self.user_model.roles), joinedload(self.user_model.groups)]
        return self.session.get(self.user_model, pk, options=options)

    def held(self, roles):
        """The (permission, view) pairs the roles stored in the database hold."""
        role_ids = frozenset(role.id for role in roles if role.name not in self.builtin_roles)
        if not role_ids:
            return frozenset()
        expires, pairs = self.held_by_roles.get(role_ids, (0, None))
        if expires < time.monotonic():
            pairs = frozenset(
                self.session.execute(
                    select(Permission.name, ViewMenu.name)
                    .select_from(assoc_permissionview_role)
                    .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
                    .join(Permission, Permission.id == PermissionView.permission_id)
                    .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
                    .where(assoc_permissionview_role.c.role_id.in_(role_ids))
                ).all()
            )
            lifetime = current_app.config["LEC_PERMISSION_CACHE_SECONDS"]
            self.held_by_roles[role_ids] = (time.monotonic() + lifetime, pairs)
        return pairs

    def menu_html(self):
        """FAB's menu (its own appbuilder/navbar_menu.html, which app/templates overrides with a call
        to this) as the signed-in user's role set sees it in the current language."""
        roles = frozenset(role.id for role in self.get_user_roles(current_user) if role is not None)
        key = (roles, str(get_locale()))
        expires, html = self.menus.get(key, (0, None))
        if expires < time.monotonic():
            env = current_app.jinja_env
            source = current_app.blueprints["appbuilder"].jinja_loader.get_source(env, "appbuilder/navbar_menu.html")
            html = Markup(env.from_string(source[0]).render(menu=self.appbuilder.menu))
            self.menus[key] = (time.monotonic() + current_app.config["LEC_PERMISSION_CACHE_SECONDS"], html)
        return html

    def _has_view_access(self, user, permission_name, view_name):
        roles = self.get_user_roles(user)
        if any(
            role.name in self.builtin_roles and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        return (permission_name, view_name) in self.held(roles)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)
        found = {
            name
            for role in roles
            if role.name in self.builtin_roles
            for name in view_menus_name
            if self._has_access_builtin_roles(role, permission_name, name)
        }
        return found | {view for permission, view in self.held(roles) if permission == permission_name}

    def register_views(self):
        """FAB rate-limits only the form sign-in; the API sign-in gets the same limit."""
        super().register_views()
        if self.is_auth_limited:
            api = next(view for view in self.appbuilder.baseviews if isinstance(view, self.security_api))
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)

    def auth_user_db(self, username, password):
        """FAB's sign-in, refusing locked accounts and accounts without an organisation."""
        user = self.find_user(username=username)
        if user is not None and user.locked_until and user.locked_until > datetime.now():
            flash(_("Too many failed sign-ins: this account is locked until %(time)s.",
                    time=user.locked_until.strftime("%H:%M")), "warning")
            record_event("login_refused_locked", username, actor_id=user.id)
            db.session.commit()
            return None
        authenticated = super().auth_user_db(username, password)
        if authenticated is None and user is None:
            record_event("login_failed", username)
            db.session.commit()
        if authenticated is not None and node_of(authenticated) is None:
            flash(_("This account does not belong to any organisation yet; ask your administrator."), "warning")
            record_event("login_refused_no_organisation", username, actor_id=authenticated.id)
            db.session.commit()
            return None
        return authenticated

    def on_user_login(self, user):
        record_event("login", user.username, actor_id=user.id)
        db.session.commit()

    def on_user_login_failed(self, user):
        config = current_app.config
        if user.fail_login_count >= config["LEC_LOCKOUT_FAILURES"]:
            user.locked_until = datetime.now() + timedelta(minutes=config["LEC_LOCKOUT_MINUTES"])
            user.fail_login_count = 0
        record_event("login_failed", user.username, actor_id=user.id)
        db.session.commit()


    def sync_roles(self):
        """Create FAB's permission rows for every registered view, then make each declared
        role hold exactly its declared grants."""
        for name in (self.auth_role_admin, self.auth_role_public):
            self.find_role(name) or self.add_role(name)
        self.appbuilder.add_permissions(update_perms=True)  # the admin role gets them all
        for name, grants in ROLES.items():
            role = self.find_role(name) or self.add_role(name)
            wanted = []
            for resource, verbs in grants:
                for verb in verbs:
                    pvm = self.find_permission_view_menu(verb, resource)
                    if pvm is not None:
                        wanted.append(pvm)
            role.permissions = wanted
        self.session.commit()
