"""``hallkiosk enroll``: terminal enrolment (the fleet tools are server/fleet/cli.py)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


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


def register(commands: Any) -> None:
    """Add ``enroll`` to the hallkiosk command line."""
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
