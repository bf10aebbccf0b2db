"""failed sign-ins in the database, so every server process throttles them together

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username_key', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_client', ['client', 'failed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_failed_at'), ['failed_at'],
                              unique=False)
        batch_op.create_index('ix_login_failure_username_key', ['username_key', 'failed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_username_key')
        batch_op.drop_index(batch_op.f('ix_login_failure_failed_at'))
        batch_op.drop_index('ix_login_failure_client')
    op.drop_table('login_failure')
