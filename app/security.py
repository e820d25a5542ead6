"""Who may do what: the LEC roles, declared as data and synced by ``flask lec sync-roles``.

A role is a list of grants: (resource, verbs), named in app/permissions.py (screens and APIs have
verbs of their own). The sync turns grants into FAB permission rows, removes any permission that
is not declared here, and refuses a grant that names no permission, so the database always matches
this file."""

import time
import weakref
from datetime import timedelta

from flask import current_app, flash, g
from flask_appbuilder.actions import action
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
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.validators import DataRequired

from .audit import record_event
from .base_views import AUDIT_FORMATTERS, LecInterface, RefusedFormsAnswer400, ScopedActions
from .choices import YES_NO, label_of
from .context import now
from .errors import Invalid, LecError
from .extensions import db
from .forms import choice_field
from .models import LecUser
from .pages.sheets import sheet_for_accounts
from .permissions import (
    ACADEMIC_YEAR_API,
    ACADEMIC_YEAR_VIEW,
    API_READ,
    API_WRITE,
    BUDGET_RATE_VIEW,
    CAN_ADD,
    CAN_DELETE,
    CAN_EDIT,
    CAN_GET,
    CAN_INFO,
    CAN_LIST,
    CAN_POST,
    CAN_PUT,
    CAN_SHOW,
    CENTRAL,
    CHART_VIEW,
    CREDENTIAL_VIEW,
    IMPORT_VIEW,
    LAO,
    LAO_API,
    LAO_VIEW,
    LEARNER_API,
    LEARNERS_VIEW,
    MANAGER,
    MENU_ACADEMIC_YEARS,
    MENU_ACCESS,
    MENU_BASIC_DATA,
    MENU_BUDGET,
    MENU_BUDGET_RATES,
    MENU_CHARTS,
    MENU_CONFIRMATION,
    MENU_CREDENTIALS,
    MENU_DRAW_SPOT_CHECK,
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
    MENU_USERS,
    NO_OTHER_SCHOOLS_API,
    NO_OTHER_SCHOOLS_VIEW,
    OTHER_SCHOOL_API,
    OTHER_SCHOOL_VIEW,
    PROVINCE,
    PROVINCE_API,
    PROVINCE_VIEW,
    QUALITY_VIEW,
    REMOVED_STUDENT_VIEW,
    REPORT_VIEW,
    RESET_MY_PASSWORD_VIEW,
    SCHOOL,
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
    USER_INFO_EDIT_VIEW,
    USER_VIEW,
    WORKFLOW_API,
    WORKFLOW_VIEW,
)
from .scope import USER_PLACEMENT, current_node, node_of

MENU = (MENU_ACCESS,)


def reads(screens=(), apis=()):
    """Reading rows: listing and showing them on screens, getting them and their _info by API."""
    return [(screen, SCREEN_READ) for screen in screens] + [(api, API_READ) for api in apis]


def writes(screens=(), apis=()):
    """Reading, adding, editing and deleting rows, on screens and by API."""
    return [(screen, SCREEN_WRITE) for screen in screens] + [(api, API_WRITE) for api in apis]


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

# Learners leave the count by removal, never by a delete (app/learners.py): no role holds
# can_delete on them. The school enters, removes and restores its learners and starts the new year;
# its LAO restores and may start the year for its schools.
LEARNER_ENTRY = [(STUDENT_VIEW, (CAN_ADD, CAN_EDIT)), (STUDENT_API, (CAN_POST, CAN_PUT))]
REMOVE = [(STUDENT_VIEW, ("remove_learners",)), (LEARNERS_VIEW, ("can_remove",)), (LEARNER_API, ("can_remove",))]
RESTORE = [(REMOVED_STUDENT_VIEW, ("restore_learners",)), (LEARNER_API, ("can_restore",))]
ROLL_OVER = [(LEARNERS_VIEW, ("can_rollover",))] + menus(MENU_NEW_YEAR)

# The confirmation workflow (app/workflow.py decides what each level may do, and when).
BOARD = [(WORKFLOW_VIEW, ("can_board", "can_changes")), (WORKFLOW_API, (CAN_GET,))] + menus(MENU_CONFIRMATION)
STEPS_API = [(WORKFLOW_API, (CAN_POST,))]
REASONS = [(WORKFLOW_VIEW, ("can_give_reason",))]
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
CHARTS = [(CHART_VIEW, ("can_index",))] + menus(MENU_CHARTS)
# Spot checks (app/spotcheck.py decides who draws and records, and when): the province draws them
# and records the results; every level reads the results of the learners in its scope.
SPOT_CHECKS = (
    reads(screens=(SPOT_CHECK_VIEW, SPOT_CHECK_ITEM_VIEW))
    + [(SPOT_CHECK_PAGE, (CAN_SHOW,))]
    + menus(MENU_SPOT_CHECKING, MENU_SPOT_CHECKS, MENU_SPOT_CHECK_RESULTS)
)
DRAW_SPOT_CHECKS = [(SPOT_CHECK_PAGE, ("can_draw", "can_record"))] + menus(MENU_DRAW_SPOT_CHECK)

# Basic data beside the learners: the LAO records the schools of other affiliations in its area (or
# that there are none), the school its profile and buildings; app/scope.py keeps each to its own.
AFFILIATION = dict(screens=(OTHER_SCHOOL_VIEW, NO_OTHER_SCHOOLS_VIEW), apis=(OTHER_SCHOOL_API, NO_OTHER_SCHOOLS_API))
PROFILE = dict(screens=(SCHOOL_PROFILE_VIEW, SCHOOL_BUILDING_VIEW), apis=(SCHOOL_PROFILE_API, SCHOOL_BUILDING_API))
AFFILIATION_MENUS = menus(MENU_OTHER_SCHOOLS, MENU_NO_OTHER_SCHOOLS)
PROFILE_MENUS = menus(MENU_BASIC_DATA, MENU_SCHOOL_PROFILES, MENU_SCHOOL_BUILDINGS)
READ_BASIC_DATA = reads(**AFFILIATION) + reads(**PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS

# Central is FAB's admin role (AUTH_ROLE_ADMIN): it holds every permission, FAB's security
# screens and the OpenAPI document included. The others are declared here; which rows each may
# read or write is decided by the user's organisation node (app/scope.py), not by the role.
ROLES = {
    PROVINCE: READ_ALL
    + writes(screens=(LAO_VIEW, SCHOOL_VIEW), apis=(LAO_API, SCHOOL_API))
    + IMPORT
    + [(PROVINCE_VIEW, ISSUE), (LAO_VIEW, ISSUE), (SCHOOL_VIEW, ISSUE)]
    + [(PROVINCE_VIEW, ("confirm_province",)), (LAO_VIEW, ("return_lao",))]
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS + DRAW_SPOT_CHECKS
    + ACCOUNTS + READ_BASIC_DATA,
    LAO: READ_ALL
    + edits(LAO_VIEW, LAO_API)
    + writes(screens=(SCHOOL_VIEW,), apis=(SCHOOL_API,))
    + IMPORT
    + [(LAO_VIEW, ISSUE), (SCHOOL_VIEW, ISSUE)]
    + [(LAO_VIEW, ("confirm_lao",)), (SCHOOL_VIEW, ("return_school",))]
    + RESTORE + ROLL_OVER
    + BOARD + STEPS_API + REASONS + SPOT_CHECKS
    + ACCOUNTS + writes(**AFFILIATION) + reads(**PROFILE) + AFFILIATION_MENUS + PROFILE_MENUS,
    SCHOOL: READ_ALL
    + edits(SCHOOL_VIEW, SCHOOL_API)
    + LEARNER_ENTRY + REMOVE + RESTORE + ROLL_OVER
    + IMPORT
    + [(SCHOOL_VIEW, ("confirm_school", "take_back_school"))]
    + BOARD + STEPS_API + EXPLAIN + SPOT_CHECKS
    + writes(**PROFILE) + PROFILE_MENUS,
    MANAGER: READ_ALL + BOARD + SPOT_CHECKS + READ_BASIC_DATA,
}  # fmt: skip
for grants in ROLES.values():
    grants.extend(ORGANISATION_MENUS + SELF_SERVICE + REPORTS + QUALITY + CHARTS)


def declared(grants):
    """A role's grants as the (verb, resource) pairs FAB stores."""
    return {(verb, resource) for resource, verbs in grants for verb in verbs}


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
    CAN_LIST: _l("view list"),
    CAN_SHOW: _l("view details"),
    CAN_ADD: _l("add"),
    CAN_EDIT: _l("edit"),
    CAN_DELETE: _l("delete"),
    CAN_GET: _l("read via API"),
    CAN_INFO: _l("read via API"),
    CAN_POST: _l("add via API"),
    CAN_PUT: _l("edit via API"),
    MENU_ACCESS: _l("open menu"),
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


class UnknownGrants(LecError):
    """Roles declare permissions that no view, API or menu entry has: (verb, resource) pairs."""

    def __init__(self, pairs):
        self.pairs = pairs
        super().__init__("declared grants that name no permission: " + ", ".join("%s on %s" % p for p in pairs))


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
        return sheet_for_accounts(items if isinstance(items, list) else [items])

    def post_add(self, item):
        record_event("account_created", item.username, describe_account(item))
        db.session.commit()

    def post_update(self, item):
        record_event("account_changed", item.username, describe_account(item))
        db.session.commit()


MANAGERS = weakref.WeakSet()  # every app's security manager, whose permission cache a role change clears


def note_permission_changes(session, flush_context):
    """A flush that changes roles or permissions marks the session, so that its commit clears the caches."""
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, (Role, PermissionView, Permission, ViewMenu)) for obj in changed):
        session.info["lec_permissions_changed"] = True


def forget_permissions(session):
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
        if user is not None and user.locked_until and user.locked_until > now():
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
            user.locked_until = now() + timedelta(minutes=config["LEC_LOCKOUT_MINUTES"])
            user.fail_login_count = 0
        record_event("login_failed", user.username, actor_id=user.id)
        db.session.commit()

    def sync_roles(self):
        """Create FAB's permission rows for every registered view, then make each declared
        role hold exactly its declared grants. A grant naming a permission no view has (a typo, a
        screen verb on an API) would silently take a right away: refuse them all, change nothing."""
        for name in (self.auth_role_admin, self.auth_role_public):
            self.find_role(name) or self.add_role(name)
        self.appbuilder.add_permissions(update_perms=True)  # the admin role gets them all
        options = joinedload(PermissionView.permission), joinedload(PermissionView.view_menu)
        existing = {
            (pvm.permission.name, pvm.view_menu.name): pvm
            for pvm in self.session.scalars(select(PermissionView).options(*options))
        }
        wanted = {name: declared(grants) for name, grants in ROLES.items()}
        unknown = sorted(set().union(*wanted.values()) - set(existing))
        if unknown:
            self.session.rollback()
            raise UnknownGrants(unknown)
        for name, pairs in wanted.items():
            role = self.find_role(name) or self.add_role(name)
            role.permissions = [existing[pair] for pair in sorted(pairs)]
        self.session.commit()
