"""The ``hallkiosk`` command line: terminal, demo, content tools, PIN hashing."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


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


def _demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_demo

    return run_demo(headless=args.headless, screenshots=args.screenshots,
                    orientation=args.orientation, data_dir=args.data_dir,
                    server=not args.no_server)


def _pin_hash(args: argparse.Namespace) -> int:
    from kiosk.config import hash_pin

    pin = args.pin or getpass.getpass("admin PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("the PIN must be 4 to 12 digits", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command and its help."""
    parser = argparse.ArgumentParser(
        prog="hallkiosk", description="Kiosk software for public legal service halls.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    terminal = commands.add_parser("terminal", help="run the touch terminal",
                                   description="Run the touch terminal full screen.")
    terminal.add_argument("--config", type=Path, help="terminal TOML config file")
    terminal.add_argument("--windowed", action="store_true", help="run in a window (development)")
    terminal.add_argument("--orientation", choices=["portrait", "landscape"],
                          help="override the configured orientation")
    terminal.set_defaults(func=_terminal)

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

    from content.cli import register as register_content
    from provisioning.cli import register as register_provisioning
    from server.cli import register as register_server

    register_content(commands)
    register_server(commands)
    register_provisioning(commands)

    pin = commands.add_parser("pin-hash", help="hash an admin PIN for the terminal config",
                              description="Print the admin_pin_hash value for a PIN.")
    pin.add_argument("pin", nargs="?", help="the PIN (asked for when omitted)")
    pin.set_defaults(func=_pin_hash)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the hallkiosk command."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
