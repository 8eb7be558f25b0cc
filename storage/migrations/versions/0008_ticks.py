"""Daily ticks in chunks (issue 15): `job_run.cursor` says how far a tick has got, so a crash
mid-tick resumes after the last committed chunk; and the indexes the chunks page through — the
requests by state, by initiator, the open tasks by owner, the last daily board of a group.

Revision ID: 0008_ticks
Revises: 0007_guidelines2
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_ticks"
down_revision = "0007_guidelines2"
branch_labels = None
depends_on = None

BOARD = sa.text("action = 'board.daily'")


def upgrade() -> None:
    with op.batch_alter_table("job_run") as batch:
        batch.add_column(sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                   server_default=""))
    op.create_index("ix_collab_request_by_state", "collab_request", ["workspace_id", "state", "id"])
    op.create_index("ix_collab_request_by_initiator", "collab_request", ["workspace_id", "initiator_id", "id"])
    op.create_index("ix_task_owner", "task", ["owner_id", "request_id", "seq"])
    op.create_index("ix_audit_board", "audit_event", ["workspace_id", "subject", "id"],
                    postgresql_where=BOARD, sqlite_where=BOARD)


def downgrade() -> None:
    op.drop_index("ix_audit_board", "audit_event")
    op.drop_index("ix_task_owner", "task")
    op.drop_index("ix_collab_request_by_initiator", "collab_request")
    op.drop_index("ix_collab_request_by_state", "collab_request")
    with op.batch_alter_table("job_run") as batch:
        batch.drop_column("cursor")
