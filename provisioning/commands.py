"""Remote commands on the terminal: a registry of handlers, each run once and acknowledged.

The heartbeat reply carries commands; :class:`CommandRunner` runs each id at
most once (a journal in the data folder survives restarts), never runs an
expired one, and acknowledges every outcome with POST /api/v1/commands/{id}/ack.
An acknowledgement that cannot be sent is kept and sent with the next beat.
The app supplies what the handlers act on through :class:`CommandContext`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from protocol.commands import validate_command
from protocol.config import ConfigSchemaError
from provisioning.client import ServerError, ServerRefused, TerminalClient
from provisioning.identity import write_json_atomically

log = logging.getLogger(__name__)
JOURNAL_FILE = "commands.json"
JOURNAL_SIZE = 200
MAX_SCREENSHOT_BYTES = 5_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CommandContext(Protocol):
    """What the app lets remote commands do; called on the heartbeat thread, not the UI's.

    An implementation that touches Kivy must hand the work to the UI thread
    (``Clock.schedule_once``); ``screenshot`` waits for it, with a timeout.
    """

    def reload_content(self) -> None:
        """Check for and apply new content now."""

    def restart(self) -> None:
        """Restart the app (called after the command is acknowledged)."""

    def test_print(self) -> None:
        """Print a test ticket; raise when the printer fails."""

    def show_message(self, text: str, seconds: int) -> None:
        """Show a message on the screen for some seconds."""

    def screenshot(self) -> bytes:
        """The current screen as PNG bytes."""

    def set_log_level(self, level: str) -> None:
        """Change the app's log level (DEBUG, INFO, WARNING, ERROR)."""


@dataclass
class Outcome:
    """A command's result; after_ack runs once the acknowledgement was attempted."""

    ok: bool
    result: dict[str, Any]
    after_ack: Callable[[], None] | None = None


Handler = Callable[[CommandContext, dict[str, Any], TerminalClient], Outcome]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of one command kind."""
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function
    return register


@handler("reload_content")
def _reload_content(context: CommandContext, _payload: dict[str, Any],
                    _client: TerminalClient) -> Outcome:
    context.reload_content()
    return Outcome(True, {})


@handler("restart_app")
def _restart_app(context: CommandContext, _payload: dict[str, Any],
                 _client: TerminalClient) -> Outcome:
    # Restart only after the ack is sent, or the restarted app would never report it.
    return Outcome(True, {"restarting": True}, after_ack=context.restart)


@handler("test_print")
def _test_print(context: CommandContext, _payload: dict[str, Any],
                _client: TerminalClient) -> Outcome:
    context.test_print()
    return Outcome(True, {})


@handler("show_message")
def _show_message(context: CommandContext, payload: dict[str, Any],
                  _client: TerminalClient) -> Outcome:
    context.show_message(payload["text"], payload["seconds"])
    return Outcome(True, {})


@handler("screenshot")
def _screenshot(context: CommandContext, _payload: dict[str, Any],
                client: TerminalClient) -> Outcome:
    png = context.screenshot()
    if not png.startswith(PNG_SIGNATURE):
        return Outcome(False, {"error": "the screenshot is not a PNG image"})
    if len(png) > MAX_SCREENSHOT_BYTES:
        return Outcome(False, {"error": f"screenshot of {len(png)} bytes is over the limit"})
    reply = client.json_request("POST", "/api/v1/terminals/screenshot", data=png,
                                headers={"Content-Type": "image/png"})
    return Outcome(True, {"size": reply["size"]})


@handler("set_log_level")
def _set_log_level(context: CommandContext, payload: dict[str, Any],
                   _client: TerminalClient) -> Outcome:
    context.set_log_level(payload["level"])
    return Outcome(True, {"level": payload["level"]})


class CommandRunner:
    """Runs delivered commands once each and acknowledges them."""

    def __init__(self, client: TerminalClient, context: CommandContext, data_dir: Path | str,
                 handlers: dict[str, Handler] | None = None):
        self.client = client
        self.context = context
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self.path = Path(data_dir) / JOURNAL_FILE
        self._lock = threading.Lock()
        self.journal: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("command journal %s unreadable (%s): starting a new one", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        newest = sorted(self.journal, key=int)[-JOURNAL_SIZE:]
        self.journal = {key: self.journal[key] for key in newest}
        write_json_atomically(self.path, self.journal)

    def run_all(self, commands: list[dict[str, Any]]) -> None:
        """Send acks still owed, then run each new command and acknowledge it."""
        with self._lock:
            self.flush_acks()
            for command in commands:
                self._run_one(command)

    def _run_one(self, command: dict[str, Any]) -> None:
        key = str(command["id"])
        if key in self.journal:  # delivered again because our ack was lost: do not rerun
            return
        outcome = self._execute(command)
        # Journal before acking: a crash now must not run the command a second time.
        self.journal[key] = {"ok": outcome.ok, "result": outcome.result, "acked": False}
        self._save()
        self._ack(key)
        if outcome.after_ack is not None:  # an unsent ack goes out after the restart
            outcome.after_ack()

    def _execute(self, command: dict[str, Any]) -> Outcome:
        kind = command.get("kind", "")
        expires = dt.datetime.fromisoformat(str(command["expires_at"]).replace("Z", "+00:00"))
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        if expires <= dt.datetime.now(dt.UTC):
            log.warning("command %s (%s) expired before it ran", command["id"], kind)
            return Outcome(False, {"error": "expired before it ran"})
        run = self.handlers.get(kind)
        if run is None:
            return Outcome(False, {"error": f"this terminal has no handler for {kind!r}"})
        try:
            payload = validate_command(kind, command.get("payload") or {})
            outcome = run(self.context, payload, self.client)
        except ConfigSchemaError as exc:
            outcome = Outcome(False, {"error": str(exc)})
        except Exception as exc:  # any handler failure is reported, never fatal to the agent
            log.exception("command %s (%s) failed", command["id"], kind)
            outcome = Outcome(False, {"error": f"{type(exc).__name__}: {exc}"[:500]})
        log.info("command %s (%s): %s", command["id"], kind, "ok" if outcome.ok else "failed")
        return outcome

    def _ack(self, key: str) -> bool:
        entry = self.journal[key]
        try:
            self.client.request("POST", f"/api/v1/commands/{key}/ack",
                                json={"ok": entry["ok"], "result": entry["result"]})
        except ServerRefused as exc:
            if exc.revoked:
                raise
            log.error("ack of command %s refused (%s): dropped", key, exc.message)
        except ServerError as exc:
            log.warning("ack of command %s not sent yet: %s", key, exc)
            return False
        entry["acked"] = True
        self._save()
        return True

    def flush_acks(self) -> None:
        """Send acknowledgements that could not be sent before."""
        for key in [key for key, entry in self.journal.items() if not entry.get("acked")]:
            if not self._ack(key):
                return
