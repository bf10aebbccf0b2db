"""times kept: when a rating, complaint or outbox item was delivered, and when it happened

A rating's and a complaint's created_at is the time the visitor acted (from the terminal,
bounded against clock skew); received_at is when the server got it. An outbox receipt's
occurred_at is when the terminal queued the item (usage events are counted by it).
Existing rows were stamped on delivery: both times are that one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, source, column in (('rating', 'created_at', 'received_at'),
                                  ('complaint', 'created_at', 'received_at'),
                                  ('outbox_receipt', 'received_at', 'occurred_at')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
        op.execute(sa.text(f'UPDATE {table} SET {column} = {source}'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.DateTime(timezone=True),
                                  nullable=False)
    with op.batch_alter_table('outbox_receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_receipt_kind_received')
        batch_op.create_index('ix_outbox_receipt_kind_occurred', ['kind', 'occurred_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_receipt_kind_occurred')
        batch_op.create_index('ix_outbox_receipt_kind_received', ['kind', 'received_at'],
                              unique=False)
        batch_op.drop_column('occurred_at')
    for table in ('complaint', 'rating'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('received_at')
