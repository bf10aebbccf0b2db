"""appointments: bookable services with weekly slots, and bookings of their seats

A booking holds a seat of its slot while it is live; (service, day, start, seat) is
unique, so a slot is never booked past its capacity on SQLite or PostgreSQL. A cancelled
booking's seat is NULL.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appointment_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('queue_service', sa.String(length=40), nullable=False),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('days_ahead', sa.Integer(), nullable=False),
    sa.Column('early_minutes', sa.Integer(), nullable=False),
    sa.Column('late_minutes', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hall_id', 'code')
    )
    with op.batch_alter_table('appointment_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_service_hall_id'), ['hall_id'],
                              unique=False)
    op.create_table('appointment_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['appointment_service.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('token'),
    sa.UniqueConstraint('service_id', 'day', 'start', 'seat', name='uq_booking_seat')
    )
    with op.batch_alter_table('appointment_booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_hall_day', ['hall_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_booking_phone'), ['phone'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('appointment_booking')
    op.drop_table('appointment_service')
