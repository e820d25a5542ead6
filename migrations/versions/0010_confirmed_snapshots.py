"""confirmed snapshots: a province's figures frozen each time it confirms

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 20:25:00.000000

A province already confirmed when this runs gets its version 1 from the data as it is now (its
schools are locked by the confirmation, so that is what it confirmed), dated by its last
confirmation step.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The other-affiliation count columns of 0009 (other_school), as they stand at this revision.
OTHER_LEVELS = ['k1', 'k2', 'k3', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6',
                'v1', 'v2', 'v3']
OTHER_SEXES = {'male': 'M', 'female': 'F'}


def upgrade():
    op.create_table('snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academic_year_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_on', sa.DateTime(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'], ),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['transition_id'], ['transition.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('academic_year_id', 'province_id', 'version', name='uq_snapshot_version'),
    sa.UniqueConstraint('transition_id')
    )
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_academic_year_id'), ['academic_year_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_confirmed_by_id'), ['confirmed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_province_id'), ['province_id'], unique=False)

    op.create_table('snapshot_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('lao_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_level', sa.String(length=3), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lao_id'], ['lao.id'], ),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('snapshot_count', schema=None) as batch_op:
        batch_op.create_index('ix_snapshot_count_snapshot_school', ['snapshot_id', 'school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_count_lao_id'), ['lao_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_count_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_count_school_id'), ['school_id'], unique=False)

    op.create_table('snapshot_other_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('lao_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('affiliation', sa.String(length=20), nullable=False),
    sa.Column('class_level', sa.String(length=3), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lao_id'], ['lao.id'], ),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('snapshot_other_count', schema=None) as batch_op:
        batch_op.create_index('ix_snapshot_other_count_snapshot_lao', ['snapshot_id', 'lao_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_other_count_lao_id'), ['lao_id'], unique=False)

    freeze_confirmed_provinces()


def freeze_confirmed_provinces():
    """Version 1 of every province confirmed before snapshots existed, counted by the database."""
    op.execute(
        "INSERT INTO snapshot (academic_year_id, province_id, version, transition_id, confirmed_on, confirmed_by_id)"
        " SELECT c.academic_year_id, c.province_id, 1, t.id, t.occurred_on, t.actor_id"
        " FROM confirmation c JOIN transition t ON t.confirmation_id = c.id"
        " WHERE c.org_level = 'province' AND c.state = 'confirmed' AND t.id = (SELECT max(t2.id) FROM transition t2"
        " WHERE t2.confirmation_id = c.id AND t2.action = 'confirm')"
    )
    op.execute(
        "INSERT INTO snapshot_count (snapshot_id, province_id, lao_id, school_id, class_level, sex, learners)"
        " SELECT s.id, l.province_id, sc.lao_id, st.school_id, st.class_level, st.sex, count(*)"
        " FROM snapshot s JOIN lao l ON l.province_id = s.province_id JOIN school sc ON sc.lao_id = l.id"
        " JOIN student st ON st.school_id = sc.id AND st.academic_year_id = s.academic_year_id"
        " WHERE st.status = 'active'"
        " GROUP BY s.id, l.province_id, sc.lao_id, st.school_id, st.class_level, st.sex"
    )
    branches = [
        "SELECT s.id, o.lao_id, o.name, o.affiliation, '%s', '%s', o.%s_%s"
        " FROM snapshot s JOIN lao l ON l.province_id = s.province_id"
        " JOIN other_school o ON o.lao_id = l.id AND o.academic_year_id = s.academic_year_id"
        " WHERE o.%s_%s > 0" % (level, code, level, sex, level, sex)
        for level in OTHER_LEVELS for sex, code in OTHER_SEXES.items()
    ]
    op.execute(
        "INSERT INTO snapshot_other_count (snapshot_id, lao_id, name, affiliation, class_level, sex, learners) "
        + " UNION ALL ".join(branches)
    )


def downgrade():
    with op.batch_alter_table('snapshot_other_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_other_count_lao_id'))
        batch_op.drop_index('ix_snapshot_other_count_snapshot_lao')

    op.drop_table('snapshot_other_count')
    with op.batch_alter_table('snapshot_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_count_school_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_count_province_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_count_lao_id'))
        batch_op.drop_index('ix_snapshot_count_snapshot_school')

    op.drop_table('snapshot_count')
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_province_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_confirmed_by_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_academic_year_id'))

    op.drop_table('snapshot')
