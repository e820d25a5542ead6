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

# PostgreSQL connection pool of each app process (create_app applies it to a postgresql URL only;
# SQLite keeps SQLAlchemy's defaults). Every gunicorn worker holds its own pool, so the database
# sees up to hosts × workers × (pool size + overflow) connections; that must stay under
# PostgreSQL's max_connections (100 by default, 3 of them kept for superusers). A request holds one
# connection at a time, so the pool size matches gunicorn.conf.py's 4 threads per worker, with room
# for a burst: 2 hosts of 2 cores (5 workers each) × (4 + 4) = 80 connections.
# More hosts than that: put PgBouncer (transaction mode) in front and point DATABASE_URL at it.
# pre_ping replaces connections the server or a failover closed; recycle retires them before
# firewalls and PgBouncer drop idle ones; connect_timeout bounds a dead server (and /health).
LEC_DB_POOL = {
    "pool_size": int(os.environ.get("LEC_DB_POOL_SIZE", "4")),
    "max_overflow": int(os.environ.get("LEC_DB_MAX_OVERFLOW", "4")),
    "pool_timeout": int(os.environ.get("LEC_DB_POOL_TIMEOUT", "10")),
    "pool_recycle": int(os.environ.get("LEC_DB_POOL_RECYCLE", "1800")),
    "pool_pre_ping": True,
    "connect_args": {"connect_timeout": int(os.environ.get("LEC_DB_CONNECT_TIMEOUT", "5"))},
}

# APP_NAME, the product's name in the reader's language, is app/labels.py's PRODUCT_NAME.
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

# Sign-in hardening (app/security.py): rate limits on both sign-in paths, a temporary lockout,
# password complexity on every path that sets a password, CSRF on every form, cookie flags.
RATELIMIT_ENABLED = True
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("LEC_LOGIN_RATE_LIMIT", "10 per minute")
# memory:// counts per process; with several workers or hosts set REDIS_URL so they share counts.
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
LEC_LOCKOUT_FAILURES = int(os.environ.get("LEC_LOCKOUT_FAILURES", "5"))
LEC_LOCKOUT_MINUTES = int(os.environ.get("LEC_LOCKOUT_MINUTES", "15"))
# Days the old school has to answer a transfer request before its LAO may decide it (app/transfers.py).
LEC_TRANSFER_ANSWER_DAYS = int(os.environ.get("LEC_TRANSFER_ANSWER_DAYS", "7"))
FAB_PASSWORD_COMPLEXITY_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind HTTPS (the load balancer ends TLS): Secure cookies and HSTS (app/headers.py); the demo on
# http://127.0.0.1 leaves it off. LEC_SECURE_COOKIES=1 alone still makes the cookies Secure.
LEC_HTTPS = os.environ.get("LEC_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = LEC_HTTPS or os.environ.get("LEC_SECURE_COOKIES", "0") == "1"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
LEC_PROXY_COUNT = int(os.environ.get("LEC_PROXY_COUNT", "0"))
# One JSON line per request and per log record on stderr (app/logs.py); gunicorn.conf.py turns it on.
LEC_JSON_LOGS = os.environ.get("LEC_JSON_LOGS", "0") == "1"

FAB_API_SWAGGER_UI = True
FAB_API_MAX_PAGE_SIZE = 100

# The demo that `make run` serves (LEC_DEMO=1): only it may print credential sheets whose QR codes
# point at this machine's own loopback address.
LEC_DEMO = os.environ.get("LEC_DEMO", "0") == "1"
# Credential sheets (app/credentials.py): where the QR codes point, how long a code lives. Outside
# the demo it must be the address users reach (https://lec.dla.go.th); unset, no sheet prints.
LEC_BASE_URL = os.environ.get("LEC_BASE_URL", "http://127.0.0.1:8080" if LEC_DEMO else "")
LEC_ACTIVATION_DAYS = int(os.environ.get("LEC_ACTIVATION_DAYS", "30"))
LEC_ACTIVATION_RATE_LIMIT = os.environ.get("LEC_ACTIVATION_RATE_LIMIT", "20 per minute")
# How long an emailed "forgot password" link works (app/resets.py); it also dies once used.
LEC_RESET_LINK_MINUTES = int(os.environ.get("LEC_RESET_LINK_MINUTES", "60"))

# Spreadsheet import (app/importer.py): the largest file accepted; requests may carry it and a form.
LEC_IMPORT_MAX_BYTES = int(os.environ.get("LEC_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
MAX_CONTENT_LENGTH = LEC_IMPORT_MAX_BYTES + 1024 * 1024

# Lists (app/pages/base.py): a page counts at most this many rows of its scope; a larger scope
# shows the database's estimate as "about N" (PostgreSQL) or "more than N".
LEC_LIST_COUNT_CAP = int(os.environ.get("LEC_LIST_COUNT_CAP", "10000"))
# How long an app process keeps a role set's permissions (app/security.py) instead of asking the
# database on every page; `flask lec sync-roles` in another process takes effect within this time.
LEC_PERMISSION_CACHE_SECONDS = int(os.environ.get("LEC_PERMISSION_CACHE_SECONDS", "60"))
# How long a process keeps a signed-in user and their roles between requests; a change made in
# another process (an account deactivated, a role taken away) reaches this one within that time.
LEC_USER_CACHE_SECONDS = int(os.environ.get("LEC_USER_CACHE_SECONDS", "10"))

# A PostgreSQL streaming replica (a hot standby) for the pages that only read and may lag a few
# seconds: reports, budget, charts, quality report, status board, downloads (app/replica.py).
# Unset: every page reads DATABASE_URL.
LEC_REPORTS_DATABASE_URL = os.environ.get("LEC_REPORTS_DATABASE_URL", "")

# Who grants an exception to an organisation past its deadline (app/workflow.py exception_granter):
# "central" for every level, or "province": each province for its LAOs and schools, central for
# the provinces.
LEC_EXCEPTION_GRANTED_BY = os.environ.get("LEC_EXCEPTION_GRANTED_BY", "central")

LEC_DEMO_PASSWORD = os.environ.get("LEC_DEMO_PASSWORD", "lec-demo-2569")

# Schema and permissions are managed by migrations and `flask lec sync-roles`, not at start-up.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False

# Email (app/mail.py): notifications and password-reset links go out only when MAIL_SERVER is set.
MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "lec@localhost")
MAIL_SENDER_NAME = os.environ.get("MAIL_SENDER_NAME", "LEC")
MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
