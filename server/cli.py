"""``hallkiosk server``, ``hallkiosk db upgrade`` and ``hallkiosk admin ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _settings(args: argparse.Namespace) -> Any:
    from server.settings import SettingsError, load_settings

    try:
        return load_settings(args.config)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _server(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    settings = _settings(args)
    print(f"hallkiosk server on http://{args.host}:{args.port} ({settings.mode}, "
          f"{settings.database_url.split(':')[0]})", file=sys.stderr)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                proxy_headers=True)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from server.db import Database, upgrade

    settings = _settings(args)
    database = Database(settings.database_url)
    upgrade(database.engine)
    print(f"database at head: {settings.database_url.split('@')[-1]}")
    return 0


def register(commands: Any) -> None:
    """Add the server commands to the hallkiosk command line."""
    server = commands.add_parser(
        "server", help="run the central server",
        description="Run the central server (migrates the database first).")
    server.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on")
    server.add_argument("--port", type=int, default=8348, help="port to listen on")
    server.set_defaults(func=_server)

    database = commands.add_parser("db", help="database maintenance",
                                   description="Database maintenance.")
    actions = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="migrate the database to the latest schema",
                                 description="Migrate the server database to the latest "
                                 "schema (Alembic).")
    upgrade.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    upgrade.set_defaults(func=_db_upgrade)
