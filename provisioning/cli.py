"""``hallkiosk enroll`` and ``hallkiosk fleet ...``: terminal enrolment and fleet tools."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from provisioning.config_schema import PROFILES


def _default_data_dir() -> Path:
    # The terminal's default (kiosk.config.default_data_dir), repeated so that provisioning
    # does not import the app package above it.
    if os.geteuid() == 0:
        return Path("/var/lib/hallkiosk")
    return Path.home() / ".local" / "share" / "hallkiosk"


def _enroll(args: argparse.Namespace) -> int:
    from provisioning.client import ServerUnavailable
    from provisioning.enrol import EnrolmentError, enrol
    from provisioning.identity import IdentityError

    def show(state: Any) -> None:
        where = f" (hall {state.hall}, profile {state.profile})" if state.hall else ""
        print(f"enrolment: {state.status}{where}", file=sys.stderr)
        if state.status == "pending" and args.wait != 0:
            print("waiting for IT to accept this terminal in the fleet console ...",
                  file=sys.stderr)

    try:
        state = enrol(args.server, args.data_dir, args.token, wait=args.wait, on_status=show)
    except (EnrolmentError, IdentityError) as exc:
        print(f"enrolment refused: {exc}", file=sys.stderr)
        return 1
    except ServerUnavailable as exc:
        print(f"server unavailable: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped waiting; the terminal stays pending until IT accepts it",
              file=sys.stderr)
        return 1
    print(state.status)
    return 0 if state.status in ("accepted", "pending") else 1


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
    from server.fleet_service import FleetError, create_enrolment_token
    from sqlalchemy import or_, select

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
    from server.fleet_service import as_utc, is_online
    from sqlalchemy import func, select

    from server.models import Alert, Hall, Terminal, utcnow

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
    """Add the provisioning commands to the hallkiosk command line."""
    enroll = commands.add_parser(
        "enroll", help="enrol this terminal with the central server",
        description="Create this terminal's key (first time) and enrol it. With a token it is "
        "accepted at once; without one it waits until IT accepts it in the fleet console.")
    enroll.add_argument("--server", required=True, metavar="URL", help="central server URL")
    enroll.add_argument("--token", help="one-time enrolment token (from 'fleet token create')")
    enroll.add_argument("--data-dir", type=Path, default=_default_data_dir(),
                        help="terminal data folder holding the key (default %(default)s)")
    enroll.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                        help="stop waiting for acceptance after this long (default: wait)")
    enroll.set_defaults(func=_enroll)

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
                        choices=PROFILES)
    create.add_argument("--hours", type=int, help="validity (default: enrolment_token_hours)")
    create.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    create.set_defaults(func=_token_create)

    listing = actions.add_parser("list", help="list terminals with status and health",
                                 description="List every terminal: status, hall, online, "
                                 "last heartbeat and open alerts.")
    listing.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    listing.set_defaults(func=_fleet_list)
