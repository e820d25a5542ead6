"""Reads on a PostgreSQL streaming replica (``LEC_REPORTS_DATABASE_URL``), one rule in one place.

A page declares which of its endpoints only read and may be served a few seconds behind the primary
(``reads_replica = ("report", ...)`` on the view, like a ModelView setting): the head-count reports
and budget, the charts, the quality report, the status board and the downloads. On those requests
db.session (app/extensions.py) sends every statement to the replica, except the reads of the
accounts, roles and permissions (FAB's ``ab_`` tables): a locked account or a revoked role takes
effect at once, and the permission cache is never filled from a copy that lags. Every write on such
a request, of any table, goes to the replica, which refuses it (a hot standby is read-only, and the
engine's connections open read-only transactions besides, should the URL name a primary): the refusal
is ``ReadOnlyReplica``, a Thai message through the one refusal map, never a silent write to the
primary. Without the setting nothing changes: every statement goes to ``DATABASE_URL``."""

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.sql.dml import UpdateBase

from .errors import ReadOnlyReplica
from .extensions import db

ACCOUNTS = "ab_"  # FAB's tables: accounts, roles, permissions
READ_ONLY = "25006"  # PostgreSQL's read_only_sql_transaction: "cannot execute ... in a read-only transaction"
REFUSAL = _l("This page shows the copy of the data kept for reports, which cannot be changed here: nothing was "
             "saved. Make the change from the data's own page.")  # fmt: skip


class Replica:
    """The replica's engine, and which engine each statement of a request goes to."""

    def __init__(self, engine):
        self.engine = engine

    def bind_for(self, session, mapper, clause):
        """The replica for a statement of a request whose page reads it; None (the primary) otherwise
        and for reads of the accounts and permissions. Writes always go to the replica, to be refused."""
        if not reads_replica():
            return None
        if session._flushing or isinstance(clause, UpdateBase):
            return self.engine
        table = getattr(inspect(mapper, raiseerr=False), "local_table", None)
        return None if table is not None and table.name.startswith(ACCOUNTS) else self.engine


def reads_replica():
    """Whether the request is served by an endpoint its view lists in ``reads_replica``."""
    if not has_request_context() or request.endpoint is None:
        return False
    view = getattr(current_app.view_functions.get(request.endpoint), "__self__", None)
    return request.endpoint.rpartition(".")[2] in getattr(view, "reads_replica", ())


def refuse_writes(context):
    """The replica's refusal of a write, as the refusal a reader is shown (no 500)."""
    if getattr(context.original_exception, "sqlstate", None) == READ_ONLY:
        raise ReadOnlyReplica(REFUSAL) from context.original_exception


def install(app):
    """The replica's engine, pooled like the primary's, when LEC_REPORTS_DATABASE_URL is set."""
    url = app.config.get("LEC_REPORTS_DATABASE_URL")
    if not url:
        return
    for setting, value in (("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"]), ("LEC_REPORTS_DATABASE_URL", url)):
        if make_url(value).get_backend_name() != "postgresql":
            raise RuntimeError("LEC_REPORTS_DATABASE_URL needs PostgreSQL for %s (a streaming replica)" % setting)
    options = dict(app.config["LEC_DB_POOL"])
    options["connect_args"] = {**options.get("connect_args", {}), "options": "-c default_transaction_read_only=on"}
    engine = create_engine(url, **options)
    event.listen(engine, "handle_error", refuse_writes)
    app.extensions["lec_replica"] = Replica(engine)


def replica_lag():
    """When the page reads the replica and the replica has not replayed all the primary has written:
    {"time": the time of the last transaction it replayed, in the app's local time}, the time the
    page says its data is as of (None if it has replayed none since it started); None otherwise."""
    replica = current_app.extensions.get("lec_replica")
    if replica is None or not reads_replica():
        return None
    primary = db.session.execute(text("SELECT pg_current_wal_lsn()"), bind_arguments={"bind": db.engine}).scalar()
    behind, replayed = db.session.execute(
        text("SELECT pg_last_wal_replay_lsn() < CAST(:primary AS pg_lsn), pg_last_xact_replay_timestamp()"),
        {"primary": primary}, bind_arguments={"bind": replica.engine},
    ).one()  # fmt: skip
    if not behind:
        return None
    return {"time": replayed.astimezone().replace(tzinfo=None) if replayed is not None else None}
