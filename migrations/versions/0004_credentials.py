"""credentials: activation codes for QR sheets; what a user registers about themselves

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=30), nullable=True))
    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.DateTime(), nullable=False),
        sa.Column("activated_on", sa.DateTime(), nullable=True),
        sa.Column("revoked_on", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_credential_user_id", "credential", ["user_id"])
    op.create_index("ix_credential_issued_on", "credential", ["issued_on"])
    op.create_index("ix_credential_issued_by_id", "credential", ["issued_by_id"])
    op.create_index("ix_credential_activated_on", "credential", ["activated_on"])
    op.create_index("ix_credential_expires_on", "credential", ["expires_on"])


def downgrade():
    op.drop_table("credential")
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("position")
