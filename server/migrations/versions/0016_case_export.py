"""case export: the outbox of call-back cases pushed to a 12348 platform

One row per (exporter, case), leased, retried and marked sent as export_item is for
ratings.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_export_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exporter', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exporter', 'case_id')
    )
    with op.batch_alter_table('case_export_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_export_item_state'), ['state'], unique=False)


def downgrade() -> None:
    op.drop_table('case_export_item')
