"""questions the query terminals could not answer, counted for the dashboard (需求研判)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unanswered_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('terminal_id', 'idempotency_key', name='uq_unanswered_terminal_key')
    )
    op.create_index('ix_unanswered_hall_day', 'unanswered_question',
                    ['hall_id', 'day', 'question'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_unanswered_hall_day', table_name='unanswered_question')
    op.drop_table('unanswered_question')
