"""Flask-AppBuilder's security manager for LEC: ``flask lec sync-roles`` makes the database's roles
match app/roles.py (removing any permission not declared there, refusing a grant that names no
permission), the account screens scoped to the user's subtree, and sign-in hardening."""

import weakref
from datetime import timedelta

from flask import abort, current_app, flash, g
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Group,
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from wtforms.validators import DataRequired

from . import resets
from .audit import record_event
from .caches import kept_for
from .choices import YES_NO, label_of
from .context import current_user_id, now
from .errors import Invalid, UnknownGrants
from .extensions import db
from .forms import choice_field
from .levels import CENTRAL, LAO, ORGANISATIONS, PROVINCE, SCHOOL
from .models import LecUser
from .pages.accounts import ResetsPasswords, sheet_for_accounts
from .pages.base import AUDIT_FORMATTERS, LecInterface, RefusedFormsAnswer400, ScopedActions
from .permissions import resource_name, verb_name
from .roles import (
    ROLE_CENTRAL,
    ROLE_LAO,
    ROLE_LEVELS,
    ROLE_MANAGER,
    ROLE_PROVINCE,
    ROLE_RANK,
    ROLE_SCHOOL,
    ROLES,
    declared,
)
from .scope import USER_PLACEMENT, current_node, node_of

ORG_LEVELS = [
    (CENTRAL, _l("Central (Department of Local Administration)")),
    (PROVINCE, _l("Province")),
    (LAO, _l("Local administrative organisation")),
    (SCHOOL, _l("School or centre")),
]


# The roles' names as each language reads them (the database keeps the Thai names of app/roles.py).
ROLE_NAMES = {
    ROLE_CENTRAL: _l("Central"),
    ROLE_PROVINCE: _l("Province"),
    ROLE_LAO: _l("LAO"),
    ROLE_SCHOOL: _l("School or centre"),
    ROLE_MANAGER: _l("Executive"),
}


def role_name(role):
    """A role's name in the current language (a role app/roles.py does not declare: as stored)."""
    return str(ROLE_NAMES.get(role.name, role.name))


def role_names(roles):
    return ", ".join(role_name(role) for role in roles)


def manageable_levels():
    """The organisation levels whose accounts the signed-in user may manage (app/scope.py)."""
    node = current_node()
    if node.level == CENTRAL:
        return list(ORG_LEVELS)
    return [(level, label) for level, label in ORG_LEVELS if node.level in USER_PLACEMENT.get(level, ("", "", ()))[2]]


def grantable_roles():
    """Names of the roles the signed-in user may grant (no higher than their own)."""
    rank = rank_of(g.user)
    return [name for name, role_rank in ROLE_RANK.items() if role_rank <= rank]


def describe_account(user):
    return "%s: %s / %s" % (user.org_level, user.organisation, ", ".join(role.name for role in user.roles))


def describe_permissions(permissions):
    """A role's grants in words: the verb, then the menu, screen or API it applies to
    (app/permissions.py names them)."""
    return "\n".join(
        sorted("%s: %s" % (verb_name(p.permission.name), resource_name(p.view_menu.name)) for p in permissions)
    )


class LecRoleView(RoleModelView):
    """Roles are declared in app/roles.py and synced by a command, so the screen only reads them."""

    base_permissions = ["can_list", "can_show"]
    list_widget, show_widget = ListWidget, ShowWidget  # FAB's role widgets ignore the formatters
    list_columns = ["name"]
    label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}
    formatters_columns = {"name": lambda name: str(ROLE_NAMES.get(name, name)), "permissions": describe_permissions}


class LecGroupView(UserGroupModelView):
    label_columns = {
        "name": _l("Name"), "label": _l("Label"), "description": _l("Description"), "users": _l("Users"),
        "roles": _l("Roles"),
    }  # fmt: skip
    formatters_columns = {"roles": role_names}


# FAB's permission screens, showing each verb and resource by its name in app/permissions.py.
class LecPermissionView(PermissionModelView):
    formatters_columns = {"name": verb_name}


class LecViewMenuView(ViewMenuModelView):
    formatters_columns = {"name": resource_name}


class LecPermissionViewView(PermissionViewModelView):
    formatters_columns = {
        "permission": lambda permission: verb_name(permission.name),
        "view_menu": lambda view_menu: resource_name(view_menu.name),
    }


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
            errors["roles"] = _("The role %(role)s does not fit an account at this level.", role=role_name(role))
        elif manager is not None and ROLE_RANK.get(role.name, 9) > rank_of(manager):
            errors["roles"] = _("You cannot grant the role %(role)s.", role=role_name(role))
    if user.org_level in ORGANISATIONS and getattr(user, user.org_level) is None:
        errors[user.org_level] = _("Choose the organisation this account belongs to.")
    if errors:
        raise Invalid(errors)


class LecUserView(RefusedFormsAnswer400, ScopedActions, ResetsPasswords, UserDBModelView):
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
        "roles": role_names,
    }
    validators_columns = {"roles": [DataRequired()]}  # FAB's own validator expects a groups field
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "org_level": choice_field(_l("Organisation level"), manageable_levels, DataRequired()),
    }
    edit_form_extra_fields = {"org_level": choice_field(_l("Organisation level"), manageable_levels, DataRequired())}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"roles": [["name", FilterInFunction, grantable_roles]]}

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            form.roles.kwargs["get_label"] = role_name  # FAB's choices show the stored (Thai) name

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's account page offers only its own password form (central's); add LEC's resets."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        names = ("resetpasswords", "reset_with_code", "reset_with_temporary_password")
        actions = {name: self.actions[name] for name in names if name in self.actions}
        widgets = self._get_show_widget(pk, item, actions=actions)
        self.update_redirect()
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    appbuilder=self.appbuilder, related_views=self._related_views)  # fmt: skip

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


class AuthDBView(FabAuthDBView):
    """FAB's sign-in page with LEC's "forgot password" link under it. FAB's own name, so that its
    endpoints (AuthDBView.login, .logout) and permissions stay as they were."""

    login_template = "lec/login.html"


PUBLIC = "public"  # the Public role's key among the cached role sets' permissions
MANAGERS = weakref.WeakSet()  # every app's security manager, whose permission cache a role change clears


def note_permission_changes(session, flush_context):
    """A flush that changes roles or permissions marks the session, so that its commit clears the
    caches; one that changes accounts or groups notes them, so that the commit drops them too."""
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, (Role, PermissionView, Permission, ViewMenu, Group)) for obj in changed):
        session.info["lec_permissions_changed"] = True
    accounts = {obj.id for obj in changed if isinstance(obj, LecUser)}
    if accounts:
        session.info.setdefault("lec_accounts_changed", set()).update(accounts)


def forget_permissions(session):
    everything = session.info.pop("lec_permissions_changed", False)
    accounts = session.info.pop("lec_accounts_changed", set())
    for manager in list(MANAGERS):
        if everything:
            manager.held_by_roles.clear()
            manager.menus.clear()
            manager.users.clear()
        for account in accounts:
            manager.users.pop(account, None)


class LecSecurityManager(SecurityManager):
    """FAB's security manager with LEC's accounts. It asks the database for a role set's
    permissions once, and draws the menu a role set sees once per language, for
    ``LEC_PERMISSION_CACHE_SECONDS`` (a role change in this process forgets both at once), where
    FAB asks once per menu entry and button on every page, and reads the Public role's grants on
    every API call. The signed-in user, with roles and groups, is read once per
    ``LEC_USER_CACHE_SECONDS`` instead of on every request; a change to the account, a role or a
    group in this process drops it at once."""

    user_model = LecUser
    userdbmodelview = LecUserView
    authdbview = AuthDBView
    rolemodelview = LecRoleView
    groupmodelview = LecGroupView
    permissionmodelview = LecPermissionView
    viewmenumodelview = LecViewMenuView
    permissionviewmodelview = LecPermissionViewView
    userstatschartview = None  # FAB's User's Statistics draws with Google Charts from the internet

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        self.userdbmodelview.datamodel = LecInterface(LecUser)  # FAB resets it to an unscoped one
        self.held_by_roles = {}  # role ids → (expires, {(permission, view)})
        self.menus = {}  # (role ids, language) → (expires, the menu's HTML)
        self.users = {}  # user id → (expires, the user with roles and groups, detached)
        MANAGERS.add(self)

    def get_user_by_id(self, pk):
        options = [joinedload(self.user_model.roles), joinedload(self.user_model.groups)]
        return self.session.get(self.user_model, pk, options=options)

    def load_user(self, pk):
        """The signed-in user (flask-login's loader, for cookies and JWTs alike), merged into the
        request's session from a detached copy without a query, so that it reads and writes as a
        user loaded in the request."""
        user = kept_for(self.users, int(pk), current_app.config["LEC_USER_CACHE_SECONDS"], lambda: self._read_user(pk))
        if user is None:
            return None
        user = self.session.merge(user, load=False)
        return user if user.is_active else None

    def _read_user(self, pk):
        """The user with roles and groups, detached (read from the primary, never a reports replica)."""
        with Session(self.session.get_bind(self.user_model)) as reader:
            options = [joinedload(self.user_model.roles), joinedload(self.user_model.groups).joinedload(Group.roles)]
            return reader.get(self.user_model, int(pk), options=options)

    def held(self, roles):
        """The (permission, view) pairs the roles stored in the database hold."""
        role_ids = frozenset(role.id for role in roles if role.name not in self.builtin_roles)
        if not role_ids:
            return frozenset()
        return self._held(role_ids, lambda: assoc_permissionview_role.c.role_id.in_(role_ids))

    def held_publicly(self):
        """The pairs the Public role holds (anyone, signed in or not). FAB reads the role and then
        each of its grants on every API call, before it looks at who is calling."""
        return self._held(PUBLIC, lambda: Role.name == self.auth_role_public)

    def _held(self, key, roles):
        """``roles`` makes the WHERE clause: building it costs more than finding the kept pairs."""
        def read():
            return frozenset(
                self.session.execute(
                    select(Permission.name, ViewMenu.name)
                    .select_from(assoc_permissionview_role)
                    .join(Role, Role.id == assoc_permissionview_role.c.role_id)
                    .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
                    .join(Permission, Permission.id == PermissionView.permission_id)
                    .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
                    .where(roles())
                ).all()
            )

        return kept_for(self.held_by_roles, key, current_app.config["LEC_PERMISSION_CACHE_SECONDS"], read)

    def menu_html(self):
        """FAB's menu (its own appbuilder/navbar_menu.html, which app/templates overrides with a call
        to this) as the signed-in user's role set sees it in the current language."""
        roles = frozenset(role.id for role in self.get_user_roles(current_user) if role is not None)
        def draw():
            env = current_app.jinja_env
            source = current_app.blueprints["appbuilder"].jinja_loader.get_source(env, "appbuilder/navbar_menu.html")
            return Markup(env.from_string(source[0]).render(menu=self.appbuilder.menu))

        key = (roles, str(get_locale()))
        return kept_for(self.menus, key, current_app.config["LEC_PERMISSION_CACHE_SECONDS"], draw)

    def _has_view_access(self, user, permission_name, view_name):
        roles = self.get_user_roles(user)
        if any(
            role.name in self.builtin_roles and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        return (permission_name, view_name) in self.held(roles)

    def is_item_public(self, permission_name, view_name):
        return (permission_name, view_name) in self.held_publicly()

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if user is None:  # as is_item_public: the grants stored for the Public role
            return {view for permission, view in self.held_publicly() if permission == permission_name}
        roles = self.get_user_roles(user)
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

    def reset_password(self, userid, password):
        """FAB's change of password; a person changing their own replaces any temporary one."""
        if current_user_id() is not None and str(userid) == str(current_user_id()):
            resets.own_password_changed(self.get_user_by_id(userid))
        super().reset_password(userid, password)

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
        """Create FAB's permission rows for every registered view, remove those of views and menus
        no longer registered, then make each declared role hold exactly its declared grants. A grant
        naming a permission no view has (a typo, a screen verb on an API) would silently take a
        right away: refuse them all, change nothing."""
        for name in (self.auth_role_admin, self.auth_role_public):
            self.find_role(name) or self.add_role(name)
        self.appbuilder.add_permissions(update_perms=True)  # the admin role gets them all
        self.forget_unregistered()
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

    def forget_unregistered(self):
        """FAB's cleanup drops the views and menus no longer registered (a screen removed, such as
        FAB's own User's Statistics) with their permission rows and grants; then the verbs no view
        has any more go too, so the permission screens list only what can be granted."""
        self.security_cleanup(self.appbuilder.baseviews, self.appbuilder.menu)
        used = select(PermissionView.permission_id).where(PermissionView.permission_id.is_not(None))
        for permission in self.session.scalars(select(Permission).where(Permission.id.not_in(used))):
            self.session.delete(permission)
        self.session.flush()
