"""LEC settings. Everything a deployment changes comes from the environment."""

import os

from flask_appbuilder.security.manager import AUTH_DB

basedir = os.path.abspath(os.path.dirname(__file__))
instance_dir = os.path.join(basedir, "instance")

SECRET_KEY = os.environ.get("SECRET_KEY", "lec-demo-only-change-me")
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", "sqlite:///" + os.path.join(instance_dir, "lec.db")
)
SQLALCHEMY_TRACK_MODIFICATIONS = False

APP_NAME = "ระบบสารสนเทศทางการศึกษาท้องถิ่น (LEC)"
APP_THEME = ""
FAB_BASE_TEMPLATE = "lec/base.html"

FAB_SECURITY_MANAGER_CLASS = "app.security.LecSecurityManager"
FAB_INDEX_VIEW = "app.views.HomeView"

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "ส่วนกลาง"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False

# Thai is the default language, English the second.
BABEL_DEFAULT_LOCALE = "th"
BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
BABEL_TRANSLATION_DIRECTORIES = os.path.join(basedir, "app", "translations")
LANGUAGES = {
    "th": {"flag": "th", "name": "ไทย"},
    "en": {"flag": "gb", "name": "English"},
}
WTF_I18N_ENABLED = True

FAB_API_SWAGGER_UI = True
FAB_API_MAX_PAGE_SIZE = 100

LEC_DEMO_PASSWORD = os.environ.get("LEC_DEMO_PASSWORD", "lec-demo-2569")

# Schema and permissions are managed by migrations and `flask lec sync-roles`, not at start-up.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
