"""Run a package's Alembic migrations on one connection: the terminal's content store and
the central server migrate their databases the same way."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine


def upgrade_to_head(engine: Engine, script_location: Path) -> None:
    """Migrate the database behind engine to the newest revision in script_location."""
    from alembic import command  # imported here: Alembic costs time at every start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
