"""GET /health for load balancers and monitoring: public, no session, no rate limit, two queries.

200 {"status": "ok", "database": "ok", "migration": "<revision>"} when the database answers and
has been migrated (the revision is the one recorded in alembic_version, so a rolling release shows
which schema each host sees); 503 when it does not answer, or answers without LEC's schema."""

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

blueprint = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@blueprint.get("/health")
def health():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                revisions = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
            except SQLAlchemyError:  # reachable, but `flask db upgrade` has not run there
                revisions = []
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503, NO_STORE
    if not revisions:
        return {"status": "unavailable", "database": "ok", "migration": None}, 503, NO_STORE
    return {"status": "ok", "database": "ok", "migration": ",".join(sorted(revisions))}, 200, NO_STORE


def register(app):
    app.register_blueprint(blueprint)
    app.appbuilder.sm.limiter.exempt(blueprint)
