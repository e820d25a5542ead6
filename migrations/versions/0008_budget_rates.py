"""budget rates per academic year, item and group of class levels; the head-count index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

HEADCOUNT = ['academic_year_id', 'status', 'school_id', 'class_level', 'sex']
GROUPS = "'cdc', 'kindergarten', 'primary', 'lower_secondary', 'upper_secondary', 'vocational'"


def upgrade():
    op.create_table('budget_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academic_year_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('level_group', sa.String(length=20), nullable=False),
    sa.Column('per_head', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('per_day', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('level_group IN (%s)' % GROUPS, name='ck_budget_rate_level_group'),
    sa.CheckConstraint(
        '(per_head IS NOT NULL AND per_day IS NULL AND days IS NULL)'
        ' OR (per_head IS NULL AND per_day IS NOT NULL AND days IS NOT NULL)',
        name='ck_budget_rate_one_kind'),
    sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('academic_year_id', 'item', 'level_group', name='uq_budget_rate')
    )
    with op.batch_alter_table('budget_rate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_rate_academic_year_id'), ['academic_year_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_rate_changed_by_id'), ['changed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_rate_created_by_id'), ['created_by_id'], unique=False)
    # Head-counts read only these columns of the learners: an index-only scan (app/reports.py).
    # IF NOT EXISTS: the benchmark's kept national schema may carry it already.
    op.create_index('ix_student_headcount', 'student', HEADCOUNT, unique=False, if_not_exists=True)


def downgrade():
    op.drop_index('ix_student_headcount', table_name='student')
    with op.batch_alter_table('budget_rate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_rate_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_budget_rate_changed_by_id'))
        batch_op.drop_index(batch_op.f('ix_budget_rate_academic_year_id'))
    op.drop_table('budget_rate')
