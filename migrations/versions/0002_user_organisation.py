"""users belong to one organisation node

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ONE_NODE = (
    "(org_level IS NULL AND province_id IS NULL AND lao_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'central' AND province_id IS NULL AND lao_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'province' AND province_id IS NOT NULL AND lao_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'lao' AND lao_id IS NOT NULL AND province_id IS NULL AND school_id IS NULL)"
    " OR (org_level = 'school' AND school_id IS NOT NULL AND province_id IS NULL AND lao_id IS NULL)"
)
NODES = [("province", "province"), ("lao", "lao"), ("school", "school")]


def upgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.add_column(sa.Column("org_level", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_ab_user_org_level", ["org_level"])
        for column, table in NODES:
            batch_op.add_column(sa.Column(column + "_id", sa.Integer(), nullable=True))
            batch_op.create_index("ix_ab_user_%s_id" % column, [column + "_id"])
            batch_op.create_foreign_key("fk_ab_user_%s_id" % column, table, [column + "_id"], ["id"])
        batch_op.create_check_constraint("ck_ab_user_one_node", ONE_NODE)


def downgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.drop_constraint("ck_ab_user_one_node", type_="check")
        for column, _table in NODES:
            batch_op.drop_constraint("fk_ab_user_%s_id" % column, type_="foreignkey")
            batch_op.drop_index("ix_ab_user_%s_id" % column)
            batch_op.drop_column(column + "_id")
        batch_op.drop_index("ix_ab_user_org_level")
        batch_op.drop_column("org_level")
