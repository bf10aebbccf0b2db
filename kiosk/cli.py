"""The terminal's commands of the ``hallkiosk`` command line: ``terminal`` and ``pin-hash``."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any


def _terminal(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config, merge
    from kiosk.terminal import run_terminal

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    if args.orientation:
        config = merge(config, {"terminal": {"orientation": args.orientation}})
    return run_terminal(config, windowed=args.windowed)


def _pin_hash(args: argparse.Namespace) -> int:
    from kiosk.config import hash_pin

    pin = args.pin or getpass.getpass("admin PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("the PIN must be 4 to 12 digits", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0


def register_terminal(commands: Any) -> None:
    """Add ``terminal`` to the hallkiosk command line."""
    terminal = commands.add_parser("terminal", help="run the touch terminal",
                                   description="Run the touch terminal full screen.")
    terminal.add_argument("--config", type=Path, help="terminal TOML config file")
    terminal.add_argument("--windowed", action="store_true", help="run in a window (development)")
    terminal.add_argument("--orientation", choices=["portrait", "landscape"],
                          help="override the configured orientation")
    terminal.set_defaults(func=_terminal)


def register_pin_hash(commands: Any) -> None:
    """Add ``pin-hash`` to the hallkiosk command line."""
    pin = commands.add_parser("pin-hash", help="hash an admin PIN for the terminal config",
                              description="Print the admin_pin_hash value for a PIN.")
    pin.add_argument("pin", nargs="?", help="the PIN (asked for when omitted)")
    pin.set_defaults(func=_pin_hash)
