"""``hallkiosk demo`` (the whole system on seed content) and ``hallkiosk generate`` (realistic
activity for a hall, for demos and trying the dashboard)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any


def _demo(args: argparse.Namespace) -> int:
    from devtools.demo import run_demo

    return run_demo(headless=args.headless, screenshots=args.screenshots,
                    orientation=args.orientation, data_dir=args.data_dir,
                    server=not args.no_server)


def _generate(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from devtools.activity.generate import generate_activity
    from devtools.activity.writer import Generated
    from server.cli import _settings
    from server.db import Database, upgrade
    from server.models import Hall, utcnow
    from server.queue.hours import local_now

    if args.days < 1:
        print("--days must be 1 or more", file=sys.stderr)
        return 2
    settings = _settings(args)
    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
        with database.sessions() as session:
            hall = session.scalar(select(Hall).where(Hall.code == args.hall))
            if hall is None:
                print(f"no hall with code {args.hall!r}", file=sys.stderr)
                return 2
            today = local_now(utcnow()).date()
            start = args.start or today - dt.timedelta(days=args.days - 1)

            months: set[tuple[int, int]] = set()

            def progress(day: dt.date, made: Generated) -> None:
                if (day.year, day.month) not in months:  # once a month: long runs show life
                    months.add((day.year, day.month))
                    print(f"  {day}: {made.tickets} tickets so far", file=sys.stderr)

            made = generate_activity(session, hall, start, args.days, args.seed,
                                     daily_tickets=args.daily_tickets, progress=progress)
            session.commit()
    finally:
        database.engine.dispose()
    if not made.tickets:
        print("nothing generated: the hall needs active services that its windows serve, "
              "and working days in the range", file=sys.stderr)
        return 1
    print(f"hall {args.hall}: {made.tickets} tickets, {made.ratings} ratings, "
          f"{made.follow_ups} follow-ups, {made.complaints} complaints, "
          f"{made.usage_events} usage events from {start}")
    return 0


def register_demo(commands: Any) -> None:
    """Add ``demo`` to the hallkiosk command line."""
    demo = commands.add_parser(
        "demo", help="run the terminal on seed content with simulated devices",
        description="Run the whole system: the central server on SQLite with the signed seed "
        "bundle published, and a terminal enrolled with a one-time token that syncs and sends "
        "heartbeats, with simulated speech (WAV files). Without a display it walks every screen "
        "on a virtual screen and writes screenshots instead.")
    demo.add_argument("--headless", action="store_true", help="use a virtual screen (Xvfb)")
    demo.add_argument("--screenshots", type=Path, metavar="DIR",
                      help="walk through every screen in both orientations, normal and elder "
                      "mode, Chinese and English, writing one PNG per step, then exit")
    demo.add_argument("--orientation", choices=["portrait", "landscape"], default="portrait")
    demo.add_argument("--no-server", action="store_true",
                      help="only the terminal, on local seed content (no server, no sync)")
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"),
                      help="where the demo keeps its store, logs and speech (default var/demo)")
    demo.set_defaults(func=_demo)


def register_generate(commands: Any) -> None:
    """Add ``generate`` to the hallkiosk command line (it writes to the server's database)."""
    generate = commands.add_parser(
        "generate", help="generate realistic activity for a hall",
        description="Write seeded, realistic activity for a hall's services and windows: "
        "tickets over the opening hours of working days, ratings with their follow-ups, "
        "complaints and query-terminal usage; days after today are skipped, today stops "
        "at now. For demos and benchmarks, never for a hall in service.")
    generate.add_argument("--hall", required=True, metavar="CODE", help="the hall's code")
    generate.add_argument("--days", type=int, default=30, help="how many days (default 30)")
    generate.add_argument("--start", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                          help="first day (default: so that the last day is today)")
    generate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    generate.add_argument("--daily-tickets", type=int, metavar="N",
                          help="tickets on an average working day (default: what the "
                          "hall's windows serve)")
    generate.add_argument("--config", type=Path, help="server TOML file ([server] table)")
    generate.set_defaults(func=_generate)
