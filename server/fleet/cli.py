"""``hallkiosk fleet token create`` and ``hallkiosk fleet list``: fleet tools that work on the
server's database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from server.fleet.actions import PROFILES


def _database(args: argparse.Namespace) -> Any:
    from server.db import Database, upgrade
    from server.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    database = Database(settings.database_url)
    upgrade(database.engine)
    return settings, database


def _token_create(args: argparse.Namespace) -> int:
    import qrcode
    from sqlalchemy import or_, select

    from server.fleet.enrolment import create_enrolment_token
    from server.fleet.errors import FleetError
    from server.models import Hall

    settings, database = _database(args)
    with database.sessions() as session:
        matches = [Hall.code == args.hall, *([Hall.id == int(args.hall)]
                                             if args.hall.isdigit() else [])]
        hall = session.scalar(select(Hall).where(or_(*matches)).order_by(Hall.id).limit(1))
        if hall is None:
            print(f"no hall with code or id {args.hall!r}", file=sys.stderr)
            return 2
        try:
            token, row = create_enrolment_token(session, hall.id, args.profile,
                                                args.hours or settings.enrolment_token_hours)
        except FleetError as exc:
            print(exc.message, file=sys.stderr)
            return 2
    print(f"enrolment token for {hall.code} ({hall.name}), profile {args.profile}, "
          f"valid until {row.expires_at:%Y-%m-%d %H:%M} UTC, usable once:")
    print(token)
    code = qrcode.QRCode(border=1)
    code.add_data(token)
    code.print_ascii(out=sys.stdout, invert=True)
    return 0


def _fleet_list(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from server.fleet.heartbeats import is_online
    from server.models import Alert, Hall, Terminal, as_utc, utcnow

    settings, database = _database(args)
    now = utcnow()
    with database.sessions() as session:
        halls = dict(session.execute(select(Hall.id, Hall.code)).all())
        alerts = dict(session.execute(
            select(Alert.terminal_id, func.count()).where(Alert.cleared_at.is_(None))
            .group_by(Alert.terminal_id)).all())
        terminals = session.scalars(select(Terminal).order_by(Terminal.hall_id,
                                                              Terminal.id)).all()
        print(f"{'device':12}  {'status':8}  {'hall':12}  {'profile':9}  {'online':7}  "
              f"{'last seen (UTC)':16}  {'alerts':6}  hostname")
        for terminal in terminals:
            seen = (f"{as_utc(terminal.last_seen_at):%Y-%m-%d %H:%M}"
                    if terminal.last_seen_at else "never")
            online = "online" if is_online(terminal, now, settings) else "offline"
            print(f"{terminal.device_id[:12]:12}  {terminal.status:8}  "
                  f"{halls.get(terminal.hall_id, '-') if terminal.hall_id else '-':12}  "
                  f"{terminal.profile:9}  {online:7}  {seen:16}  "
                  f"{alerts.get(terminal.id, 0):<6}  {terminal.identity.get('hostname', '')}")
    print(f"{len(terminals)} terminal(s)", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    """Add the fleet commands to the hallkiosk command line."""
    fleet = commands.add_parser("fleet", help="manage terminals (server side)",
                                description="Fleet tools that work on the server database.")
    actions = fleet.add_subparsers(dest="fleet_command", required=True, metavar="ACTION")
    token = actions.add_parser("token", help="enrolment tokens",
                               description="Enrolment tokens.")
    token_actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_actions.add_parser(
        "create", help="make a one-time enrolment token for a hall and profile",
        description="Print a one-time, expiring enrolment token as text and as a QR code.")
    create.add_argument("--hall", required=True, help="hall code (or id)")
    create.add_argument("--profile", required=True,
                        choices=list(PROFILES))
    create.add_argument("--hours", type=int, help="validity (default: enrolment_token_hours)")
    create.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    create.set_defaults(func=_token_create)

    listing = actions.add_parser("list", help="list terminals with status and health",
                                 description="List every terminal: status, hall, online, "
                                 "last heartbeat and open alerts.")
    listing.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    listing.set_defaults(func=_fleet_list)
