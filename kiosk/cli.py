"""The terminal's commands of the ``hallkiosk`` command line: ``terminal``, ``listen`` and
``pin-hash``."""

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


def _listen(args: argparse.Namespace) -> int:
    import threading
    import time

    from devices.listening import Heard, ListenError
    from devices.speech_input import make_listener
    from kiosk.config import ConfigError, load_config, merge

    try:
        config = load_config(args.config)
        overrides = {key: value for key, value in
                     (("engine", args.engine), ("wav", str(args.wav or ""))) if value}
        config = merge(config, {"listening": overrides}) if overrides else config
    except (ConfigError, ValueError) as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    listener = make_listener(config)
    if not listener.available:
        print("话筒或语音识别不可用 / no microphone or speech engine (see the log above)",
              file=sys.stderr)
        return 1
    outcome: list[Heard | ListenError] = []
    done = threading.Event()

    def report(result: Heard | ListenError) -> None:
        outcome.append(result)
        done.set()

    started = time.monotonic()
    print("请说话 / speak now (Ctrl+C to stop)", file=sys.stderr)
    listener.start(lambda text: print(f"  … {text}", file=sys.stderr), report, report)
    try:
        done.wait()
    except KeyboardInterrupt:
        listener.stop()
        done.wait()
    result = outcome[0]
    if isinstance(result, ListenError):
        print(f"{result.zh} / {result.en} ({result.reason})", file=sys.stderr)
        return 1
    latency = getattr(listener, "last_latency", 0.0)
    print(f"({time.monotonic() - started:.2f} s in all, {latency:.2f} s after the speech)",
          file=sys.stderr)
    print(result.text)
    return 0


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


def register_listen(commands: Any) -> None:
    """Add ``listen`` to the hallkiosk command line (checking the speech input)."""
    listen = commands.add_parser(
        "listen", help="hear one question with the configured speech input",
        description="Listen for one question with the terminal's [listening] settings and "
                    "print the recognised text (partial text and timing go to stderr).")
    listen.add_argument("--config", type=Path, help="terminal TOML config file")
    listen.add_argument("--engine", choices=["pocketsphinx", "vosk", "funasr"],
                        help="override [listening] engine")
    listen.add_argument("--wav", type=Path, help="read this WAV file instead of the microphone")
    listen.set_defaults(func=_listen)


def register_pin_hash(commands: Any) -> None:
    """Add ``pin-hash`` to the hallkiosk command line."""
    pin = commands.add_parser("pin-hash", help="hash an admin PIN for the terminal config",
                              description="Print the admin_pin_hash value for a PIN.")
    pin.add_argument("pin", nargs="?", help="the PIN (asked for when omitted)")
    pin.set_defaults(func=_pin_hash)
