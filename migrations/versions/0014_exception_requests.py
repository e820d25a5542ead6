"""exception requests: an organisation past its deadline asks for entry to open again, and the
level that grants exceptions grants or refuses (app/exceptions.py)

Revision ID: 0014_exception_requests
Revises: 0013_password_resets
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_exception_requests'
down_revision = "0013_password_resets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exception_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academic_year_id', sa.Integer(), nullable=False),
    sa.Column('org_key', sa.String(length=20), nullable=False),
    sa.Column('org_level', sa.String(length=10), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('lao_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('needed_until', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_on', sa.DateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('answer_reason', sa.String(length=1000), nullable=True),
    sa.Column('granted_until', sa.Date(), nullable=True),
    sa.Column('answered_on', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(org_level = 'province' AND province_id IS NOT NULL AND lao_id IS NULL AND school_id IS NULL) OR (org_level = 'lao' AND lao_id IS NOT NULL AND province_id IS NULL AND school_id IS NULL) OR (org_level = 'school' AND school_id IS NOT NULL AND province_id IS NULL AND lao_id IS NULL)", name='ck_exception_request_one_org'),
    sa.CheckConstraint("state IN ('requested', 'granted', 'refused')", name='ck_exception_request_state'),
    sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'], ),
    sa.ForeignKeyConstraint(['answered_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['lao_id'], ['lao.id'], ),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exception_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exception_request_academic_year_id'), ['academic_year_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_answered_by_id'), ['answered_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_lao_id'), ['lao_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_request_state'), ['state'], unique=False)
        batch_op.create_index('ix_exception_request_year_org', ['academic_year_id', 'org_key'], unique=False)


def downgrade():
    op.drop_table('exception_request')
