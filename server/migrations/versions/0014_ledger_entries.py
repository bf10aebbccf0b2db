"""ledger entries: the 服务台账 in its own table, filled from the tickets' registrations

Each ticket registered at a window gets one row (ticket_id unique) with the columns the
supervisor's ledger list filters and searches on. Registrations already kept on tickets
(ticket.visitor) are copied over.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:20:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TEXT_LIMITS = {"name": 40, "phone": 20, "matter": 200, "result": 500}


def upgrade() -> None:
    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.String(length=200), nullable=False),
    sa.Column('process', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=500), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['window.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id')
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_hall_day', ['hall_id', 'day', 'id'], unique=False)
        batch_op.create_index('ix_ledger_entry_hall_service', ['hall_id', 'service_id', 'day'],
                              unique=False)
        batch_op.create_index('ix_ledger_entry_hall_staff', ['hall_id', 'staff_id', 'day'],
                              unique=False)
        batch_op.create_index('ix_ledger_entry_hall_window', ['hall_id', 'window_id', 'day'],
                              unique=False)
    _copy_registrations()


def _copy_registrations() -> None:
    """One entry per ticket that already has a registration (its staff by user name)."""
    connection = op.get_bind()
    ticket = sa.table('ticket', sa.column('id', sa.Integer), sa.column('hall_id', sa.Integer),
                      sa.column('day', sa.String), sa.column('number', sa.String),
                      sa.column('service_id', sa.Integer), sa.column('window_id', sa.Integer),
                      sa.column('staff_id', sa.Integer), sa.column('visitor', sa.JSON),
                      sa.column('finished_at', sa.DateTime(timezone=True)),
                      sa.column('issued_at', sa.DateTime(timezone=True)))
    users = dict(connection.execute(sa.text("SELECT username, id FROM user_account")).all())
    entry = sa.table('ledger_entry', *[sa.column(name, sa.Integer) for name in (
        'hall_id', 'ticket_id', 'service_id', 'window_id', 'staff_id')],
        *[sa.column(name, sa.String) for name in (
            'day', 'number', 'name', 'phone', 'matter', 'process', 'result', 'search_text')],
        sa.column('recorded_at', sa.DateTime(timezone=True)),
        sa.column('updated_at', sa.DateTime(timezone=True)))
    rows = []
    for row in connection.execute(sa.select(ticket)).mappings():
        visitor = row['visitor'] or {}
        if not isinstance(visitor, dict) or not visitor.get('matter'):
            continue
        try:
            recorded = dt.datetime.fromisoformat(str(visitor.get('recorded_at')))
        except ValueError:
            recorded = row['finished_at'] or row['issued_at']
        text = {key: str(visitor.get(key) or '')[:TEXT_LIMITS.get(key, 1000)]
                for key in ('name', 'phone', 'matter', 'process', 'result')}
        rows.append({'hall_id': row['hall_id'], 'ticket_id': row['id'], 'day': row['day'],
                     'number': row['number'], 'service_id': row['service_id'],
                     'window_id': row['window_id'],
                     'staff_id': users.get(visitor.get('staff'), row['staff_id']),
                     **text, 'recorded_at': recorded, 'updated_at': recorded,
                     'search_text': '\n'.join([row['number'], *text.values()]).lower()})
    if rows:
        op.bulk_insert(entry, rows)


def downgrade() -> None:
    op.drop_table('ledger_entry')
