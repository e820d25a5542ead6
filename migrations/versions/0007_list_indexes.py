"""list indexes at national size

The lists' default order within the status filter and within a school, and "starts with"
searches (LIKE 'x%') on PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PREFIXED = ('id_number', 'first_name', 'last_name')


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index('ix_student_school_status')
        batch_op.drop_index(batch_op.f('ix_student_status'))
        batch_op.create_index('ix_student_school_status_id', ['school_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_student_status_id', ['status', 'id'], unique=False)
        for column in PREFIXED:
            batch_op.create_index(
                'ix_student_%s_prefix' % column, [column], unique=False,
                postgresql_ops={column: 'varchar_pattern_ops'},
            )


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        for column in PREFIXED:
            batch_op.drop_index('ix_student_%s_prefix' % column)
        batch_op.drop_index('ix_student_status_id')
        batch_op.drop_index('ix_student_school_status_id')
        batch_op.create_index(batch_op.f('ix_student_status'), ['status'], unique=False)
        batch_op.create_index('ix_student_school_status', ['school_id', 'status'], unique=False)
