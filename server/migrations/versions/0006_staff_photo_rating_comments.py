"""staff photos for the rating pad; comments left by QR code after a rating

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_sha256', sa.String(length=64), nullable=True))
    op.create_table('rating_comment',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('rating_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('commented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['rating.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('token'),
    sa.UniqueConstraint('rating_id')
    )


def downgrade() -> None:
    op.drop_table('rating_comment')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('photo_sha256')
