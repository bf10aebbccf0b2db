"""English search: each search row's English subtitle and words.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_row") as batch:
        batch.add_column(sa.Column("subtitle_en", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("text_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("search_row") as batch:
        batch.drop_column("text_en")
        batch.drop_column("subtitle_en")
