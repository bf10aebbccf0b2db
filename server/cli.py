"""``hallkiosk server``, ``hallkiosk db upgrade`` and ``hallkiosk admin ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _settings(args: argparse.Namespace) -> Any:
    from server.ratings.rules import RatingReasons
    from server.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
        RatingReasons.load(settings.rating_reasons)  # a bad reasons file is refused here, clearly
        return settings
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def raise_open_files_limit() -> tuple[int, int]:
    """Raise this process's soft limit of open files to its hard limit (each live event
    stream holds a socket); the (soft, hard) limits now. The hard limit is the service's
    (``LimitNOFILE=`` in deploy/hallkiosk-server.service)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft, hard


def _server(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    settings = _settings(args)
    open_files, _hard = raise_open_files_limit()
    if open_files < settings.max_streams + 1024:
        print(f"warning: {open_files} open files allowed, fewer than max_streams "
              f"({settings.max_streams}) + 1024; raise LimitNOFILE", file=sys.stderr)
    print(f"hallkiosk server on http://{args.host}:{args.port} ({settings.mode}, "
          f"{settings.database_url.split(':')[0]})", file=sys.stderr)
    # Live event streams never end by themselves: give them 5 s on shutdown, then cut them.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                proxy_headers=True, timeout_graceful_shutdown=5)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from server.db import Database, upgrade

    settings = _settings(args)
    database = Database(settings.database_url)
    upgrade(database.engine)
    print(f"database at head: {settings.database_url.split('@')[-1]}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import time

    from server.db import Database, upgrade
    from server.ratings.export import ExporterSetupError
    from server.ratings.export_worker import ExportWorker, outbox_counts

    settings = _settings(args)
    if not settings.exporters:
        print("no exporters configured (exporters in the [server] table)", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
        worker = ExportWorker(database, settings)
    except ExporterSetupError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    failed = False
    try:
        while True:
            for name, result in worker.run_once().items():
                failed = failed or bool(result.failed)
                print(f"{name}: sent {result.sent}, failed {result.failed}"
                      + (f" ({result.error})" if result.error else ""), flush=True)
            if args.once:
                break
            time.sleep(settings.export_interval)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        with database.sessions() as session:
            for name, counts in sorted(outbox_counts(session).items()):
                print(f"{name}: {counts['sent']} sent, {counts['pending']} pending "
                      f"({counts['failing']} after a failure)")
        database.engine.dispose()
    return 1 if failed else 0


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

    export = commands.add_parser(
        "export", help="push ratings to the configured exporters",
        description="Queue new ratings and deliver what is due to each configured exporter "
        "(docs/export-format.md); the server does this by itself in the background. Exit "
        "status 1 when a delivery failed (it is retried later).")
    export.add_argument("--once", action="store_true",
                        help="one pass, then exit (default: every export_interval seconds)")
    export.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    export.set_defaults(func=_export)

    _register_admin(commands)


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("password again: ") != password:
        print("the passwords differ", file=sys.stderr)
        raise SystemExit(2)
    return password


def _admin_create_user(args: argparse.Namespace) -> int:
    from server.db import Database, upgrade
    from server.security import AccountError, create_user

    settings = _settings(args)
    password = _read_password(args)
    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
        with database.sessions() as session:
            user = create_user(session, args.username, password, args.role, args.hall)
            session.commit()
    except AccountError as exc:
        print(f"cannot create user: {exc}", file=sys.stderr)
        return 2
    finally:
        database.engine.dispose()
    print(f"user {user.username} created (role {user.role}"
          f"{', hall ' + args.hall if args.hall else ''})")
    return 0


def _admin_change_user(args: argparse.Namespace) -> int:
    """set-password and set-role: change an account and end its sessions."""
    from sqlalchemy import select

    from server.db import Database, upgrade
    from server.models import User
    from server.security import AccountError, set_password, set_role

    settings = _settings(args)
    password = _read_password(args) if args.admin_command == "set-password" else ""
    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
        with database.sessions() as session:
            user = session.scalar(select(User).where(User.username == args.username))
            if user is None:
                raise AccountError(f"no user {args.username!r}")
            if args.admin_command == "set-password":
                set_password(session, user, password)
            else:
                set_role(session, user, args.role, args.hall)
            session.commit()
    except AccountError as exc:
        print(f"cannot change user: {exc}", file=sys.stderr)
        return 2
    finally:
        database.engine.dispose()
    print(f"user {args.username} changed; their sessions have ended")
    return 0


def _admin_create_hall(args: argparse.Namespace) -> int:
    from server.db import Database, upgrade
    from server.fleet.actions import FleetActionError, create_hall

    settings = _settings(args)
    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
        with database.sessions() as session:
            hall = create_hall(session, args.code, args.name, args.level)
            session.commit()
    except FleetActionError as exc:
        print(f"cannot create hall: {exc}", file=sys.stderr)
        return 2
    finally:
        database.engine.dispose()
    print(f"hall {hall.code} created: {hall.name} ({hall.level})")
    return 0


def _register_admin(commands: Any) -> None:
    from server.fleet.actions import HALL_LEVELS
    from server.security import ROLES

    admin = commands.add_parser("admin", help="accounts and halls",
                                description="Create web console accounts and halls.")
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    user = actions.add_parser(
        "create-user", help="create a web console account",
        description="Create a web console account with an argon2-hashed password "
        "(asked for twice, or read from standard input with --password-stdin).")
    user.add_argument("username", metavar="USERNAME")
    user.add_argument("--role", required=True, choices=list(ROLES),
                      help="staff, supervisor, it_admin or editor")
    user.add_argument("--hall", metavar="CODE", help="the hall the account belongs to (an "
                      "it_admin with a hall manages only its terminals; without, every hall)")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from the first line of standard input")
    user.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    user.set_defaults(func=_admin_create_user)

    password = actions.add_parser(
        "set-password", help="give an account a new password (ends its sessions)",
        description="Set a new argon2-hashed password (asked for twice, or read from standard "
        "input with --password-stdin); every session of the account ends.")
    password.add_argument("username", metavar="USERNAME")
    password.add_argument("--password-stdin", action="store_true",
                          help="read the password from the first line of standard input")
    password.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    password.set_defaults(func=_admin_change_user)

    role = actions.add_parser(
        "set-role", help="give an account another role (ends its sessions)",
        description="Set an account's role and hall; every session of the account ends.")
    role.add_argument("username", metavar="USERNAME")
    role.add_argument("--role", required=True, choices=list(ROLES),
                      help="staff, supervisor, it_admin or editor")
    role.add_argument("--hall", metavar="CODE", help="the hall the account belongs to "
                      "(without: no hall)")
    role.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    role.set_defaults(func=_admin_change_user)

    hall = actions.add_parser("create-hall", help="create a hall",
                              description="Create a public legal service hall.")
    hall.add_argument("code", metavar="CODE", help="short unique code, e.g. GZ-TH-01")
    hall.add_argument("name", metavar="NAME", help="name shown in the console")
    hall.add_argument("--level", choices=list(HALL_LEVELS), default="county",
                      help="city, county, township or village (default county)")
    hall.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    hall.set_defaults(func=_admin_create_hall)
