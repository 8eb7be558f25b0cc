"""the guidelines' second pass (issue 11): R28 receipt, R29 meetings and minutes, R30 the memo,
R31 action items, R32 the risk register, R33 resources,
R34 scope, R35 joint acceptance, R36 issue huddles and 所需支持

Revision ID: 0005_guidelines
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0005_guidelines'
down_revision = '0004_local_world'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.JSON(), 'postgresql')


def upgrade() -> None:
    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('voted_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id', 'department_id')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_request_id'), ['request_id'], unique=False)

    op.create_table('resource_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('days', sa.Float(), nullable=False),
    sa.Column('budget', sa.Float(), nullable=False),
    sa.Column('tools', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('declared_by', sa.Integer(), nullable=False),
    sa.Column('declared_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['declared_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'department_id', 'kind')
    )
    with op.batch_alter_table('resource_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_line_request_id'), ['request_id'], unique=False)

    op.create_table('memo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('clause', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issued_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('signed_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('memo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memo_request_id'), ['request_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attendees', sa.JSON().with_variant(sa.JSON(), 'postgresql'), nullable=False),
    sa.Column('first_sync', sa.Date(), nullable=True),
    sa.Column('decisions', sa.JSON().with_variant(sa.JSON(), 'postgresql'), nullable=False),
    sa.Column('minutes_by', sa.Integer(), nullable=True),
    sa.Column('minutes_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_request_id'), ['request_id'], unique=False)

    op.create_table('risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('countermeasure', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trigger_date', sa.Date(), nullable=True),
    sa.Column('trigger_task_id', sa.Integer(), nullable=True),
    sa.Column('probability', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('impact', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.ForeignKeyConstraint(['trigger_task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_state'), ['state'], unique=False)

    op.create_table('action_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('done_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['collab_request.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.alter_column('support', server_default=None)
    with op.batch_alter_table('collab_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_in', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('scope_out', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('acceptance_rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('received', JSON, nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('collab_request', schema=None) as batch_op:  # defaults only for old rows
        for column in ('scope_in', 'scope_out', 'acceptance_rule', 'received'):
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_column('support')
    with op.batch_alter_table('collab_request', schema=None) as batch_op:
        batch_op.drop_column('received')
        batch_op.drop_column('acceptance_rule')
        batch_op.drop_column('scope_out')
        batch_op.drop_column('scope_in')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_task_id'))
        batch_op.drop_index(batch_op.f('ix_action_item_request_id'))

    op.drop_table('action_item')
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_state'))
        batch_op.drop_index(batch_op.f('ix_risk_request_id'))

    op.drop_table('risk')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_request_id'))

    op.drop_table('meeting')
    with op.batch_alter_table('memo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memo_request_id'))
    op.drop_table('memo')
    with op.batch_alter_table('resource_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_line_request_id'))
    op.drop_table('resource_line')
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_request_id'))
    op.drop_table('vote')
