"""notifications: one row per message in an account's inbox (app/notifications.py)

Revision ID: 0012_notifications
Revises: 0011
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_notifications'
down_revision = '0011'
branch_labels = None
depends_on = None

KINDS = ("'returned', 'exception_asked', 'exception_granted', 'exception_refused', 'transfer_asked', "
         "'transfer_accepted', 'transfer_declined', 'confirmed_below', 'confirmed_above', 'deadline', 'remind'")
ONE_ORG = (
    "org_level IS NULL OR ("
    "(org_level = 'province' AND province_id IS NOT NULL AND lao_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'lao' AND lao_id IS NOT NULL AND province_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'school' AND school_id IS NOT NULL AND province_id IS NULL AND lao_id IS NULL))"
)


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('org_level', sa.String(length=10), nullable=True),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('lao_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('occasion', sa.String(length=80), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('read_on', sa.DateTime(), nullable=True),
    sa.CheckConstraint('kind IN (%s)' % KINDS, name='ck_notification_kind'),
    sa.CheckConstraint(ONE_ORG, name='ck_notification_one_org'),
    sa.ForeignKeyConstraint(['recipient_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['lao_id'], ['lao.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('recipient_id', 'occasion', name='uq_notification_occasion')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_recipient_id', ['recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_notification_recipient_unread', ['recipient_id', 'read_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_lao_id'), ['lao_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_occasion'), ['occasion'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_created_on'), ['created_on'], unique=False)


def downgrade():
    op.drop_table('notification')
