"""queue: services, windows, tickets, events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:44:22.384610
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('queue_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('queue_event', schema=None) as batch_op:
        batch_op.create_index('ix_queue_event_hall', ['hall_id', 'id'], unique=False)

    op.create_table('queue_counter',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'day')
    )
    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('origin_service_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('priority', sa.String(length=12), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('appointment_code', sa.String(length=20), nullable=True),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('arrival_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('target_window_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('call_count', sa.Integer(), nullable=False),
    sa.Column('close_reason', sa.String(length=40), nullable=False),
    sa.Column('visitor', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['origin_service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['target_window_id'], ['window.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['window.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('origin_service_id', 'day', 'seq'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_queue', ['hall_id', 'state', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_service_id'), ['service_id'], unique=False)

    op.create_table('window_service',
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['window.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('window_id', 'service_id')
    )
    op.create_table('ticket_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['window.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_event_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('daily_cap', sa.Integer(), nullable=False, server_default='300'))
        batch_op.add_column(sa.Column('hours', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('target_wait', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('window', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), nullable=False, server_default='closed'))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_window_staff_id', 'user_account', ['staff_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('window', schema=None) as batch_op:
        batch_op.drop_constraint('fk_window_staff_id', type_='foreignkey')
        batch_op.drop_column('staff_id')
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('state')

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('target_wait')
        batch_op.drop_column('hours')
        batch_op.drop_column('daily_cap')
        batch_op.drop_column('name_en')

    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_event_ticket_id'))

    op.drop_table('ticket_event')
    op.drop_table('window_service')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_service_id'))
        batch_op.drop_index('ix_ticket_queue')

    op.drop_table('ticket')
    op.drop_table('queue_counter')
    with op.batch_alter_table('queue_event', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_event_hall')

    op.drop_table('queue_event')
