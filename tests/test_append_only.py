"""Append-only at the database (migrations/versions/0011): the change history, the audit events,
the workflow's steps and the confirmed snapshots refuse UPDATE and DELETE from any SQL, not only
from the ORM (app/audit.py), on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from app.context import acting_as
from app.extensions import db
from app.models import AcademicYear, School
from app.workflow import confirm_school, take_back_school

from conftest import SCHOOL_OF, login

APPEND_ONLY = ["history", "audit_event", "transition", "snapshot", "snapshot_count", "snapshot_other_count"]


def a_step(app):
    """A workflow step, taken as the school's staff would: it confirms, then takes it back."""
    with app.app_context():
        school = db.session.scalar(select(School).where(School.code == SCHOOL_OF["school"]))
        year = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current))
        with acting_as(app.appbuilder.sm.find_user(username="school").id):
            confirm_school(school, year)
            db.session.commit()
            take_back_school(school, year)
            db.session.commit()


def last_row(app, table):
    with app.app_context():
        return db.session.execute(text('SELECT * FROM "%s" ORDER BY id DESC LIMIT 1' % table)).one()


def refused(app, statement, row_id):
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"id": row_id})
        connection.rollback()


@pytest.fixture
def rows(app, fresh):
    """One stored row of each of the three tables every deployment fills from the first day."""
    a_step(app)
    login(app.test_client(), "manager")  # a sign-in: an audit event
    return {table: last_row(app, table) for table in ("history", "audit_event", "transition")}


@pytest.mark.parametrize(
    "table, statement",
    [
        ("history", "UPDATE history SET reason = 'rewritten', changes = '{}' WHERE id = :id"),
        ("history", "DELETE FROM history WHERE id = :id"),
        ("transition", "UPDATE transition SET to_state = 'open', actor_id = NULL WHERE id = :id"),
        ("transition", "DELETE FROM transition WHERE id = :id"),
        ("audit_event", "UPDATE audit_event SET action = 'login_failed' WHERE id = :id"),
        ("audit_event", "DELETE FROM audit_event WHERE id = :id"),
    ],
)
def test_the_database_refuses_to_change_or_delete_an_append_only_row(app, rows, table, statement):
    row = rows[table]
    refused(app, statement, row.id)
    assert last_row(app, table) == row


def test_every_append_only_table_has_its_triggers(app):
    """Also the snapshots (0010), and after any later migration: on SQLite a batch migration that
    rebuilds a table loses its triggers."""
    with app.app_context(), db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) & set(APPEND_ONLY)
        if connection.dialect.name == "postgresql":
            query = "SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'"
        else:
            query = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
        guarded = {name.strip('"') for name in connection.scalars(text(query))}
    assert {"history", "audit_event", "transition"} <= tables
    assert tables <= guarded
