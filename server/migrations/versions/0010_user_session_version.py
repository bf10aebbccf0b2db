"""a session version per user, so sign-out, a password change or a role change ends sessions

Every session cookie carries the version its user had when it was made; a request whose
cookie holds another version than the user's row is not signed in. Existing users start
at 0 (their old cookies carry no version and are refused once: they sign in again).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
