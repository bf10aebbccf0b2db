"""queue event kinds in one tense: start, finish, hold, window, notices become past tense

Rewrites the stored kinds of the hall feed (queue_event) and the ticket log (ticket_event)
by protocol.enums.RENAMED_KINDS; the downgrade writes the old names back. Only values
change, so no table is rebuilt (nothing for SQLite's batch mode to do).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# A copy of protocol.enums.RENAMED_KINDS as it was when this ran (history must not move).
RENAMED = {"start": "started", "finish": "finished", "hold": "held",
           "window": "window_changed", "notices": "notices_changed"}
TABLES = ("queue_event", "ticket_event")


def _rename(mapping: dict[str, str]) -> None:
    for table in TABLES:
        for old, new in mapping.items():
            op.execute(sa.text(f"UPDATE {table} SET kind = :new WHERE kind = :old")
                       .bindparams(old=old, new=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
