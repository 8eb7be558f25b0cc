"""R32 triggers: a risk can watch an issue (unresolved at its 解决时限), and R11's "more than 3
working days late" enters the register as a built-in risk.

Revision ID: 0007_guidelines2
Revises: 0005_guidelines
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_guidelines2"
down_revision = "0005_guidelines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk") as batch:
        batch.add_column(sa.Column("trigger_issue_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("builtin", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=""))
        batch.create_foreign_key("fk_risk_trigger_issue_id_issue", "issue", ["trigger_issue_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("risk") as batch:
        batch.drop_constraint("fk_risk_trigger_issue_id_issue", type_="foreignkey")
        batch.drop_column("builtin")
        batch.drop_column("trigger_issue_id")
