"""dashboard roll-ups and indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stats_day',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('part', sa.String(length=10), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'day', 'part')
    )
    op.create_table('stats_queue',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('called', sa.Integer(), nullable=False),
    sa.Column('finished', sa.Integer(), nullable=False),
    sa.Column('no_show', sa.Integer(), nullable=False),
    sa.Column('over_target', sa.Integer(), nullable=False),
    sa.Column('wait_total', sa.Float(), nullable=False),
    sa.Column('service_total', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'day', 'service_id', 'hour')
    )
    op.create_table('stats_durations',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('waits', sa.Text(), nullable=False),
    sa.Column('services', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'day', 'service_id')
    )
    op.create_table('stats_usage',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'day', 'kind', 'key')
    )
    op.create_table('stats_ratings',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hall_id', 'day', 'window_id', 'staff_id', 'level', 'band')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_hall_day', ['hall_id', 'day'], unique=False)
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_hall_created', ['hall_id', 'created_at', 'window_id',
                                                         'staff_id', 'level', 'ticket_id'],
                              unique=False)
    with op.batch_alter_table('outbox_receipt', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_receipt_kind_received', ['kind', 'received_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_receipt_kind_received')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_hall_created')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_hall_day')
    op.drop_table('stats_ratings')
    op.drop_table('stats_usage')
    op.drop_table('stats_durations')
    op.drop_table('stats_queue')
    op.drop_table('stats_day')
