"""delivery: leases, expiry, each conversation's queue head, partial indexes on open rows

Revision ID: 0002_delivery
Revises: 0001

The trigger `outbox_chat_link` (storage/tables/reliability.py) is created last. NB for later
migrations: on SQLite a `batch_alter_table('outbox_message')` rebuilds the table and drops its
triggers — such a migration must create `OUTBOX_CHAT_TRIGGER["sqlite"]` again afterwards.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types
from storage.tables.reliability import OUTBOX_CHAT_TRIGGER


revision = '0002_delivery'
down_revision = '0001'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('pending', 'sending')")
SENDING = sa.text("state = 'sending'")
HAS_HEAD = sa.text("due_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lease_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.drop_index('ix_outbox_conversation')
        batch_op.create_index('ix_outbox_open', ['workspace_id', 'platform', 'conversation', 'id'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_outbox_sending', ['lease_until'], unique=False,
                              postgresql_where=SENDING, sqlite_where=SENDING)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('lease_owner', server_default=None)
    op.create_table('outbox_chat',
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('conversation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=True),
    sa.Column('due_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('workspace_id', 'platform', 'conversation')
    )
    with op.batch_alter_table('outbox_chat', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat_due', ['platform', 'due_at'], unique=False,
                              postgresql_where=HAS_HEAD, sqlite_where=HAS_HEAD)
    # every conversation with open rows gets its head (a row left `sending` keeps its lease)
    op.execute("""INSERT INTO outbox_chat (workspace_id, platform, conversation, head_id, due_at)
SELECT o.workspace_id, o.platform, o.conversation, o.id,
       CASE WHEN o.state = 'pending' THEN o.next_attempt_at END
FROM outbox_message o JOIN (
  SELECT workspace_id, platform, conversation, MIN(id) AS id FROM outbox_message
  WHERE state IN ('pending', 'sending') GROUP BY workspace_id, platform, conversation
) heads ON heads.id = o.id""")
    op.execute("UPDATE outbox_message SET lease_until = next_attempt_at WHERE state = 'sending'")
    for sql in OUTBOX_CHAT_TRIGGER.get(op.get_bind().dialect.name, []):
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_chat_link ON outbox_message")
        op.execute("DROP FUNCTION IF EXISTS outbox_chat_link()")
    else:
        op.execute("DROP TRIGGER IF EXISTS outbox_chat_link")
    with op.batch_alter_table('outbox_chat', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_due')
    op.drop_table('outbox_chat')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sending')
        batch_op.drop_index('ix_outbox_open')
        batch_op.create_index('ix_outbox_conversation', ['conversation', 'id'], unique=False)
        batch_op.drop_column('expires_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
