"""ticket, window_service: what the issue path reads by service, indexed

The windows serving a service are found by service (window_service was keyed by window
only, so every ticket read the whole table: every hall's windows).

A ticket's people ahead are counted from (service, day, state, rank, arrival) alone (a
covering index: no table row read, not the hall's whole waiting list), and the service's
recent finished tickets, which the estimated wait averages, are read from a partial index
of finished tickets (not every ticket the service ever had). The new queue index starts
with service_id, so it also serves every lookup the single-column index served.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

FINISHED = sa.text("state = 'finished'")


def upgrade() -> None:
    with op.batch_alter_table('window_service', schema=None) as batch_op:
        batch_op.create_index('ix_window_service_service', ['service_id', 'window_id'],
                              unique=False)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_service_id')
        batch_op.create_index('ix_ticket_service_queue',
                              ['service_id', 'day', 'state', 'rank', 'arrival_at'], unique=False)
        batch_op.create_index('ix_ticket_service_finished', ['service_id', 'finished_at'],
                              unique=False, sqlite_where=FINISHED, postgresql_where=FINISHED)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_service_finished')
        batch_op.drop_index('ix_ticket_service_queue')
        batch_op.create_index('ix_ticket_service_id', ['service_id'], unique=False)
    with op.batch_alter_table('window_service', schema=None) as batch_op:
        batch_op.drop_index('ix_window_service_service')
