"""Who may do what: the LEC roles, declared as data and synced by ``flask lec sync-roles``.

A role is a list of grants: (resource, verbs). Resources are the names Flask-AppBuilder gives
views, APIs and menu entries; the sync turns grants into FAB permission rows and removes any
permission that is not declared here, so the database always matches this file."""

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import RoleModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .models import LecUser

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
]
SELF_SERVICE = [
    ("UserDBModelView", ("can_userinfo", "userinfoedit", "resetmypassword")),
    ("ResetMyPasswordView", ("can_this_form_get", "can_this_form_post")),
    ("UserInfoEditView", ("can_this_form_get", "can_this_form_post")),
    ("LocaleView", ("can_index",)),
]


def reads(*resources):
    return [(resource, READ) for resource in resources]


def writes(*resources):
    return [(resource, WRITE) for resource in resources]


ORGANISATION_VIEWS = ("ProvinceView", "LaoView", "SchoolView", "AcademicYearView", "StudentView")
ORGANISATION_APIS = ("ProvinceApi", "LaoApi", "SchoolApi", "AcademicYearApi", "StudentApi")

# Central is FAB's admin role (AUTH_ROLE_ADMIN): it holds every permission, security screens
# and the OpenAPI document included. The others are declared here.
ROLES = {
    PROVINCE: reads(*ORGANISATION_VIEWS, *ORGANISATION_APIS)
    + writes("LaoView", "SchoolView", "LaoApi", "SchoolApi"),
    LAO: reads(*ORGANISATION_VIEWS, *ORGANISATION_APIS) + writes("SchoolView", "SchoolApi"),
    SCHOOL: reads(*ORGANISATION_VIEWS, *ORGANISATION_APIS) + writes("StudentView", "StudentApi"),
    MANAGER: reads(*ORGANISATION_VIEWS, *ORGANISATION_APIS),
}
for grants in ROLES.values():
    grants.extend(ORGANISATION_MENUS + SELF_SERVICE)


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


class LecSecurityManager(SecurityManager):
    user_model = LecUser
    rolemodelview = LecRoleView

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
