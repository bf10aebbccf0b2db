"""The ``hallkiosk`` command line, assembled from each package's commands.

The terminal's commands never import the server: the server's commands are added only when
its dependencies are installed, the demo and development commands only when ``devtools`` is.
"""

from __future__ import annotations

import argparse
import importlib.util


def server_installed() -> bool:
    """Whether the server package and its dependencies (FastAPI) can be imported."""
    return _importable("server") and _importable("fastapi")


def devtools_installed() -> bool:
    """Whether the demo and development tooling can be imported."""
    return _importable("devtools")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a finder that refuses the module (as in a terminal-only check)
        return False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every installed command and its help."""
    from content.cli import register as register_content
    from kiosk.cli import register_listen, register_pin_hash, register_terminal
    from provisioning.cli import register as register_enroll

    parser = argparse.ArgumentParser(
        prog="hallkiosk", description="Kiosk software for public legal service halls.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    with_server, with_devtools = server_installed(), devtools_installed()
    register_terminal(commands)
    if with_devtools:
        from devtools.cli import register_demo

        register_demo(commands)
    register_content(commands)
    if with_server:
        from server.cli import register as register_server

        register_server(commands)
        if with_devtools:
            from devtools.cli import register_generate

            register_generate(commands)
    register_enroll(commands)
    if with_server:
        from server.fleet.cli import register as register_fleet

        register_fleet(commands)
    register_pin_hash(commands)
    register_listen(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the hallkiosk command."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
