"""The LEC application factory."""

import logging
import os
import sqlite3

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf, db, migrate


@event.listens_for(Engine, "connect")
def enforce_sqlite_foreign_keys(connection, record):
    """SQLite ignores foreign keys unless asked; the embedded default must not orphan rows."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA foreign_keys=ON")


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("config")
    if config:
        app.config.update(config)
    from .labels import PRODUCT_NAME

    app.config.setdefault("APP_NAME", PRODUCT_NAME)
    if app.config.get("LEC_JSON_LOGS"):  # JSON lines and a request line (app/logs.py), first of the hooks
        from .logs import install

        install(app)
    else:
        logging.basicConfig(format="%(asctime)s:%(levelname)s:%(name)s:%(message)s")
    proxies = int(app.config.get("LEC_PROXY_COUNT", 0))
    if proxies:  # behind load balancers: rate limits and audit events need the client's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    from . import faults, headers, replica

    headers.install(app)  # CSP, no framing, nosniff, referrer, HSTS and Secure cookies (LEC_HTTPS)
    faults.register(app)  # Thai 503/500 pages (JSON on the API) instead of the framework's
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", app.config["LEC_DB_POOL"])  # sizing: config.py
    db.init_app(app)
    replica.install(app)  # LEC_REPORTS_DATABASE_URL: the report pages read a streaming replica
    csrf.init_app(app)  # before AppBuilder, so that FAB exempts its REST API blueprints
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    with app.app_context():
        from . import cli, exceptions, guards, health, manual, notifications, views, workflow
        from .assets import assets
        from .pages import history
        from .pages.chrome import drawn_once, navbar_drawn
        from .pages.listing import list_allowed, list_head, list_header, list_rows
        from .passwords import check_password
        from .thai import format_be_date, format_be_datetime

        app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", check_password)

        app.register_blueprint(assets)

        guards.install()
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        health.register(app)  # public, exempt from rate limits: needs FAB's limiter
        views.register(appbuilder)
        app.jinja_env.globals.update(
            entry_notice=workflow.entry_notice, help_link=manual.help_link,
            unread_notifications=notifications.unread_count, exception_need=exceptions.own_need,
            list_allowed=list_allowed, list_header=list_header, list_head=list_head, list_rows=list_rows,
            replica_lag=replica.replica_lag, drawn_once=drawn_once,
            navbar_drawn=navbar_drawn,
        )  # fmt: skip
        history.install_history(app)
        app.jinja_env.filters.update(be_date=format_be_date, be_datetime=format_be_datetime)
        cli.register(app)
    return app
