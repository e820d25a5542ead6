"""quality findings: the data-quality checks' findings kept up to date at each write, so the report
counts a small table instead of checking 1.5 million learners (app/quality.py)

The table starts empty: fill it once after upgrading with `flask lec quality-refresh` (the checks
are the application's code, which a migration does not import).

Revision ID: 0016_quality_findings
Revises: 0015_transfers
Create Date: 2026-12-03 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_quality_findings'
down_revision = '0015_transfers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quality_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('academic_year_id', sa.Integer(), sa.ForeignKey('academic_year.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('rule', sa.String(length=30), nullable=False),
        sa.Column('student_id', sa.Integer(), sa.ForeignKey('student.id', ondelete='CASCADE'), nullable=True),
        sa.Column('school_id', sa.Integer(), sa.ForeignKey('school.id', ondelete='CASCADE'), nullable=False),
        sa.Column('other_school_id', sa.Integer(), sa.ForeignKey('school.id', ondelete='CASCADE'), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_quality_finding_year_school_rule', 'quality_finding', ['academic_year_id', 'school_id', 'rule'])
    op.create_index('ix_quality_finding_student_id', 'quality_finding', ['student_id'])


def downgrade():
    op.drop_table('quality_finding')
