"""A terminal runs without the server's dependencies: every terminal module imports and the
terminal's commands work when FastAPI, PostgreSQL's driver and the rest of the server extra,
and the server and devtools packages themselves, cannot be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERMINAL_PACKAGES = ("kiosk", "screens", "provisioning", "content", "devices")
TERMINAL_COMMANDS = {"terminal", "content", "keygen", "ask", "calc", "enroll", "pin-hash",
                     "listen"}

# Runs in a fresh interpreter: a finder placed first on sys.meta_path refuses the server's
# dependencies (what `pip install .[terminal]` leaves out) and the server and devtools
# packages, as if they were not installed.
PROBE = r"""
import contextlib, importlib, importlib.abc, io, json, pkgutil, sys

MISSING = {"fastapi", "starlette", "uvicorn", "psycopg", "argon2", "jinja2", "pygal",
           "itsdangerous", "multipart", "pydantic_settings", "server", "devtools"}


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r} (terminal-only)", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
imported = []
for package in PACKAGES:
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, package + "."):
        if module.name.endswith(".migrations.env"):  # runs only inside alembic
            continue
        importlib.import_module(module.name)
        imported.append(module.name)

from hallkiosk_cli import build_parser

helps = {}
for argv in (["--help"], ["terminal", "--help"], ["enroll", "--help"], ["content", "--help"]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:
            assert exc.code == 0, (argv, exc.code)
    helps[" ".join(argv)] = out.getvalue()

import kivy.core.window

print(json.dumps({"imported": imported, "helps": helps,
                  "window": kivy.core.window.Window is not None,
                  "loaded": sorted(name for name in sys.modules
                                   if name.partition(".")[0] in MISSING)}))
"""


def _probe(kivy_home: Path) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    # No window: KIVY_WINDOW names no provider, so importing kivy.core.window (kiosk.app
    # does) leaves Window None instead of opening one. KIVY_LOG_MODE=PYTHON keeps Kivy from
    # taking over stderr, so a failed import's traceback reaches the assertion message.
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_WINDOW="none",
               KIVY_LOG_MODE="PYTHON", KIVY_HOME=str(kivy_home), PYTHONPATH=str(ROOT))
    script = f"PACKAGES = {TERMINAL_PACKAGES!r}\n{PROBE}"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _commands(help_text: str) -> set[str]:
    """The command names listed under COMMAND in the top-level help."""
    lines = help_text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return {line.split()[0] for line in lines.splitlines()
            if line.startswith("    ") and not line.startswith("     ")}


def test_the_terminal_imports_and_runs_without_the_server(tmp_path: Path) -> None:
    probe = _probe(tmp_path)
    imported = probe["imported"]
    assert isinstance(imported, list)
    for package in TERMINAL_PACKAGES:
        assert any(name.startswith(package + ".") for name in imported), package
    assert {"kiosk.app", "kiosk.terminal", "screens.registry", "provisioning.enrol",
            "content.sync", "devices.printer"} <= set(imported)
    assert probe["loaded"] == [] and probe["window"] is False
    helps = probe["helps"]
    assert isinstance(helps, dict)
    assert _commands(helps["--help"]) == TERMINAL_COMMANDS
    assert "--windowed" in helps["terminal --help"]
    assert "--token" in helps["enroll --help"]
    assert "validate" in helps["content --help"]


def test_a_full_install_lists_every_command() -> None:
    from hallkiosk_cli import build_parser

    help_text = build_parser().format_help()
    assert _commands(help_text) == TERMINAL_COMMANDS | {
        "server", "db", "export", "admin", "fleet", "demo", "generate"}
