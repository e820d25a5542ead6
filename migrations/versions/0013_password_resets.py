"""password resets: an account given a temporary password must choose its own at its next sign-in

Revision ID: 0013_password_resets
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_password_resets"
down_revision = "0012_notifications"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "ab_user",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.drop_column("must_change_password")
