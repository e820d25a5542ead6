"""append-only at the database: triggers refuse UPDATE and DELETE on the change history, the audit
events, the workflow's steps and the confirmed snapshots

The ORM already refuses changes to the history (app/audit.py); these triggers refuse them from any
SQL, raw statements and other clients included. INSERT stays open. On SQLite, a later migration
that rebuilds one of these tables (batch "move and copy") drops its triggers and must create them
again: tests/test_append_only.py fails at head if it does not.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 20:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ['history', 'audit_event', 'transition']
SNAPSHOT_TABLES = ['snapshot', 'snapshot_count', 'snapshot_other_count']  # 0010's, when present

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION lec_refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def append_only_tables():
    present = set(sa.inspect(op.get_bind()).get_table_names())
    return TABLES + [table for table in SNAPSHOT_TABLES if table in present]


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_FUNCTION)
        for table in append_only_tables():
            op.execute(
                'CREATE TRIGGER %s_append_only BEFORE UPDATE OR DELETE ON "%s" '
                'FOR EACH ROW EXECUTE FUNCTION lec_refuse_append_only_change()' % (table, table)
            )
            op.execute(
                'CREATE TRIGGER %s_no_truncate BEFORE TRUNCATE ON "%s" '
                'FOR EACH STATEMENT EXECUTE FUNCTION lec_refuse_append_only_change()' % (table, table)
            )
    else:  # SQLite: one trigger per statement kind
        for table in append_only_tables():
            for kind in ('UPDATE', 'DELETE'):
                op.execute(
                    'CREATE TRIGGER %s_no_%s BEFORE %s ON "%s" BEGIN '
                    "SELECT RAISE(ABORT, 'table %s is append-only: %s refused'); END"
                    % (table, kind.lower(), kind, table, table, kind)
                )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in append_only_tables():
            op.execute('DROP TRIGGER IF EXISTS %s_append_only ON "%s"' % (table, table))
            op.execute('DROP TRIGGER IF EXISTS %s_no_truncate ON "%s"' % (table, table))
        op.execute('DROP FUNCTION IF EXISTS lec_refuse_append_only_change()')
    else:
        for table in append_only_tables():
            for kind in ('update', 'delete'):
                op.execute('DROP TRIGGER IF EXISTS %s_no_%s' % (table, kind))
