"""Who decided a plan change and why (R17: a rejected change says who rejected it and why).

Revision ID: 0006_rule_fidelity
Revises: 0003_counters
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_rule_fidelity"
down_revision = "0003_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_change") as batch:
        batch.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("plan_change") as batch:
        batch.drop_column("decision_note")
        batch.drop_column("decided_by")
