"""password resets: an account given a temporary password must choose its own at its next sign-in

Revision ID: 0013_password_resets
Revises: 0012_notifications
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
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later have it): a batch copy of ab_user
    # would drop the table that notification, history and the other later tables still refer to.
    op.drop_column("ab_user", "must_change_password")
