"""Alembic environment for the terminal's content store (batch mode for SQLite)."""

from alembic import context

from content.store import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
