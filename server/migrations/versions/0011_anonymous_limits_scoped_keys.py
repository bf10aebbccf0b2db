"""anonymous write limits in the database; idempotency keys scoped to their sender

A ``rate_hit`` table counts anonymous writes (complaints, comments, phone-page ratings,
enrolment requests) per client address and per hall for every server process, as
``login_failure`` does for sign-ins. Idempotency keys stop being unique across the whole
province: a ticket's and a rating's key is unique per terminal, a complaint's per hall
and source, so a key sent by another hall's terminal never finds someone else's record.
Existing rows stay as they are: keys unique everywhere are unique per scope too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The names SQLite's rebuilt tables give their formerly unnamed unique constraints.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SCOPES = {"ticket": ("uq_ticket_terminal_key", ["terminal_id", "idempotency_key"]),
          "rating": ("uq_rating_terminal_key", ["terminal_id", "idempotency_key"]),
          "complaint": ("uq_complaint_hall_source_key", ["hall_id", "source", "idempotency_key"])}


def _global_key(table: str) -> str:
    """The name of the table's old unique constraint on the key alone, on this database."""
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_idempotency_key_key"  # PostgreSQL's name for an unnamed UNIQUE
    return f"uq_{table}_idempotency_key"


def upgrade() -> None:
    op.create_table('rate_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=120), nullable=False),
    sa.Column('hit_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_hit', schema=None) as batch_op:
        batch_op.create_index('ix_rate_hit_bucket', ['bucket', 'hit_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_hit_hit_at'), ['hit_at'], unique=False)
    for table, (name, columns) in SCOPES.items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint(_global_key(table), type_='unique')
            batch_op.create_unique_constraint(name, columns)


def downgrade() -> None:
    # Fails if two senders have meanwhile used the same key: such rows must be settled first.
    for table, (name, _columns) in SCOPES.items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint(name, type_='unique')
            batch_op.create_unique_constraint(_global_key(table), ['idempotency_key'])
    with op.batch_alter_table('rate_hit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_hit_hit_at'))
        batch_op.drop_index('ix_rate_hit_bucket')
    op.drop_table('rate_hit')
