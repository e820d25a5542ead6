"""transfers between schools: a receiving school's request for a learner active in another school

Revision ID: 0015_transfers
Revises: 0014_exception_requests
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_transfers'
down_revision = '0014_exception_requests'
branch_labels = None
depends_on = None

STATES = "'asked', 'accepted', 'declined', 'withdrawn'"
LEVELS = ", ".join("'%s'" % code for code in [
    'cdc', 'k1', 'k2', 'k3', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6',
    'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'v1', 'v2', 'v3',
])


def upgrade():
    op.create_table(
        'transfer_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('academic_year_id', sa.Integer(), sa.ForeignKey('academic_year.id'), nullable=False),
        sa.Column('student_id', sa.Integer(), sa.ForeignKey('student.id'), nullable=False),
        sa.Column('new_student_id', sa.Integer(), sa.ForeignKey('student.id'), nullable=True),
        sa.Column('from_school_id', sa.Integer(), sa.ForeignKey('school.id'), nullable=False),
        sa.Column('to_school_id', sa.Integer(), sa.ForeignKey('school.id'), nullable=False),
        sa.Column('class_level', sa.String(length=3), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('asked_on', sa.DateTime(), nullable=False),
        sa.Column('asked_by_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=True),
        sa.Column('answered_on', sa.DateTime(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=True),
        sa.Column('decline_reason', sa.String(length=1000), nullable=True),
        sa.Column('created_on', sa.DateTime(), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=True),
        sa.CheckConstraint('state IN (%s)' % STATES, name='ck_transfer_request_state'),
        sa.CheckConstraint('class_level IN (%s)' % LEVELS, name='ck_transfer_request_class_level'),
        sa.CheckConstraint('from_school_id <> to_school_id', name='ck_transfer_request_two_schools'),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('academic_year_id', 'student_id', 'new_student_id', 'state', 'asked_by_id', 'answered_by_id',
                   'created_by_id', 'changed_by_id'):
        op.create_index('ix_transfer_request_%s' % column, 'transfer_request', [column])
    op.create_index('ix_transfer_request_from_state', 'transfer_request', ['from_school_id', 'state'])
    op.create_index('ix_transfer_request_to_state', 'transfer_request', ['to_school_id', 'state'])


def downgrade():
    op.drop_table('transfer_request')
