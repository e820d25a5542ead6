"""quality findings: the data-quality checks' findings kept up to date at each write, so the report
counts a small table instead of checking 1.5 million learners (app/quality.py)

A database that already holds learners has the table filled here, by the application's own checks
(app/quality.py refresh_findings), so that no report reads an empty table after an upgrade; a new
database has no learners, and the migration then imports nothing of the application.

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
    fill_findings()


def fill_findings():
    """Every year's findings, from the checks, when there are learners to check."""
    connection = op.get_bind()
    if not connection.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM student)")):
        return
    from sqlalchemy.orm import Session, load_only

    from app.models import AcademicYear
    from app.quality import refresh_findings

    with Session(bind=connection) as session:
        years = session.scalars(sa.select(AcademicYear).options(load_only(AcademicYear.id, AcademicYear.year)))
        for year in years.all():
            refresh_findings(year, None, connection)


def downgrade():
    op.drop_table('quality_finding')
