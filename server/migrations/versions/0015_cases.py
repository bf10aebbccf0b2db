"""cases: one code per case (一案一码), its state history and deadline

A case (legal-aid application, call-back request, mediation application, complaint) has
a unique readable code and phone-page token, the hall that has it now, a deadline in
working days, and one case_event row per step (the audit trail and the visitor's
progress).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('origin_hall_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.String(length=200), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('transferred_to', sa.String(length=100), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('supervisors_only', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['origin_hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('token'),
    sa.UniqueConstraint('complaint_id'),
    sa.UniqueConstraint('terminal_id', 'idempotency_key', name='uq_case_terminal_key')
    )
    with op.batch_alter_table('case_item', schema=None) as batch_op:
        batch_op.create_index('ix_case_hall_state_due', ['hall_id', 'state', 'due_on'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_item_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_item_created_at'), ['created_at'],
                              unique=False)
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_table('case_event')
    op.drop_table('case_item')
