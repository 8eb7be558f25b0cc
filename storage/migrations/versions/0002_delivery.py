"""delivery: leases, expiry and partial indexes on open outbox rows

Revision ID: 0002_delivery
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0002_delivery'
down_revision = '0001'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('pending', 'sending')")
PENDING = sa.text("state = 'pending'")
SENDING = sa.text("state = 'sending'")


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lease_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.drop_index('ix_outbox_conversation')
        batch_op.create_index('ix_outbox_open', ['workspace_id', 'platform', 'conversation', 'id'],
                              unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_outbox_pending', ['id', 'next_attempt_at'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_outbox_sending', ['lease_until'], unique=False,
                              postgresql_where=SENDING, sqlite_where=SENDING)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('lease_owner', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sending')
        batch_op.drop_index('ix_outbox_pending')
        batch_op.drop_index('ix_outbox_open')
        batch_op.create_index('ix_outbox_conversation', ['conversation', 'id'], unique=False)
        batch_op.drop_column('expires_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
