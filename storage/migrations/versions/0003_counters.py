"""counters: per-workspace number sequences, unique feedback/dispute numbers, the requests'
conversation index, the org file's hash and
who the org file still lists (`active`)

Revision ID: 0003_counters
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003_counters'
down_revision = '0002_delivery'
branch_labels = None
depends_on = None


def _renumber_twins(table: str) -> None:
    """Numbers picked without a lock could repeat: later twins get the request's next numbers,
    so the unique constraint can be added (their audit rows keep what was shown then)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, request_id, seq FROM {table} ORDER BY request_id, id")).all()
    seen: dict[int, set[int]] = {}
    top: dict[int, int] = {}
    for _id, request_id, seq in rows:
        top[request_id] = max(top.get(request_id, 0), seq)
    for row_id, request_id, seq in rows:
        taken = seen.setdefault(request_id, set())
        if seq in taken:
            top[request_id] += 1
            seq = top[request_id]
            bind.execute(sa.text(f"UPDATE {table} SET seq = :seq WHERE id = :id"), {"seq": seq, "id": row_id})
        taken.add(seq)


def upgrade() -> None:
    op.create_table('counter',
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'name')
    )
    for table in ('feedback', 'dispute'):
        _renumber_twins(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(f'uq_{table}_seq', ['request_id', 'seq'])
    with op.batch_alter_table('collab_request', schema=None) as batch_op:
        batch_op.create_index('ix_collab_request_conversation', ['workspace_id', 'conversation', 'id'],
                              unique=False)
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    for table in ('person', 'department'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    for table in ('department', 'person'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('active')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('org_hash')
    with op.batch_alter_table('collab_request', schema=None) as batch_op:
        batch_op.drop_index('ix_collab_request_conversation')
    for table in ('dispute', 'feedback'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_seq', type_='unique')
    op.drop_table('counter')
