"""The enrolled terminal's link to the server: heartbeat, remote commands, content sync.

Everything here runs on worker threads (the heartbeat agent's and the sync
worker's); results reach the UI through the Kivy clock. New content is
applied between visitors, never under someone's finger.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.clock import Clock

from content.install import load_library
from content.library import Library
from protocol.config import ConfigSchemaError, TerminalConfig, merge
from provisioning.client import TerminalClient
from provisioning.commands import CommandRunner
from provisioning.heartbeat import HeartbeatAgent
from provisioning.identity import TerminalIdentity, load_state

if TYPE_CHECKING:
    from content.sync import SyncResult, SyncWorker
    from kiosk.services import TerminalServices
    from kiosk.shell import Shell

log = logging.getLogger(__name__)
UI_WAIT = 10.0  # seconds a command may wait for the UI thread (screenshot)
T = TypeVar("T")
ClientListener = Callable[[TerminalClient | None], None]


def on_ui_thread(function: Callable[[], T], timeout: float = UI_WAIT) -> T:
    """Run function on the Kivy thread and return its result to this worker thread."""
    done, box = threading.Event(), dict[str, Any]()

    def call(_dt: float) -> None:
        try:
            box["value"] = function()
        except Exception as exc:  # handed back to the worker, which reports it
            box["error"] = exc
        done.set()

    Clock.schedule_once(call, 0)
    if not done.wait(timeout):
        raise TimeoutError("the interface did not answer in time")
    if "error" in box:
        error: Exception = box["error"]
        raise error
    value: T = box["value"]
    return value


class AppCommands:
    """What remote commands do to this app (provisioning.commands.CommandContext)."""

    def __init__(self, shell: Shell, services: TerminalServices, link: Connectivity):
        self.shell, self.services, self.link = shell, services, link

    def reload_content(self) -> None:
        """Sync now."""
        if self.link.sync is not None:
            self.link.sync.sync_now()

    def restart(self) -> None:
        """Exit; the service manager starts the terminal again (Restart=always)."""
        Clock.schedule_once(lambda _dt: self.shell.exit_app(), 1)

    def test_print(self) -> None:
        """Print a sample ticket; raise with the printer's reason when it fails."""
        self.services.queue.test_print()

    def show_message(self, text: str, seconds: int) -> None:
        """Show staff's message over the current screen."""
        Clock.schedule_once(lambda _dt: self.shell.show_message(text, seconds), 0)

    def screenshot(self) -> bytes:
        """A PNG of the screen as the visitor sees it."""
        from kivy.core.window import Window

        folder = Path(tempfile.mkdtemp(prefix="hallkiosk-shot-"))
        written = Path(str(on_ui_thread(lambda: Window.screenshot(name=str(folder / "shot.png")))))
        try:
            return written.read_bytes()
        finally:
            written.unlink(missing_ok=True)
            folder.rmdir()

    def set_log_level(self, level: str) -> None:
        """Change how much the terminal logs."""
        logging.getLogger().setLevel(level.upper())


class Connectivity:
    """Starts the heartbeat and sync workers when the terminal is enrolled and accepted.

    Listeners hear (on the UI thread) each time the signed client changes: enrolled from
    the admin screen, enrolled again, revoked by the server. Nobody polls for it.
    """

    def __init__(self, data_dir: Path, services: TerminalServices):
        self.data_dir, self.services = data_dir, services
        self.state = load_state(data_dir)
        self.client: TerminalClient | None = None
        self.heartbeat: HeartbeatAgent | None = None
        self.sync: SyncWorker | None = None
        self._shell: Shell | None = None
        self._listeners: list[ClientListener] = []

    @property
    def enrolled(self) -> bool:
        """Whether this terminal may talk to a server."""
        return self.state.may_send and bool(self.state.server_url)

    @property
    def shell(self) -> Shell:
        """The running app (bound before start)."""
        if self._shell is None:
            raise RuntimeError("the server link is not bound to the app yet")
        return self._shell

    def bind(self, shell: Shell) -> None:
        """Act on this app (remote commands, pushed config, new content)."""
        self._shell = shell

    def subscribe(self, listener: ClientListener) -> None:
        """Call listener(client) on the UI thread whenever the signed client changes."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: ClientListener) -> None:
        """Stop telling listener."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set_client(self, client: TerminalClient | None) -> None:
        changed, self.client = client is not self.client, client
        if changed:
            for listener in list(self._listeners):
                listener(client)

    def start(self) -> None:
        """Start the workers (nothing happens for a terminal that is not enrolled)."""
        if not self.enrolled:
            log.info("terminal not enrolled (%s): working on local content only",
                     self.state.status)
            return
        identity = TerminalIdentity.load_or_create(self.data_dir)
        client = TerminalClient(self.state.server_url, identity)
        config = self.services.config.terminal
        runner = CommandRunner(client, AppCommands(self.shell, self.services, self),
                               self.data_dir)
        # SQLAlchemy (the outbox's and the content store's) imported here, after the first frame
        from content.sync import SyncWorker
        from provisioning.outbox import OutboxSender

        usage = self.services.usage
        outbox = OutboxSender(lambda: usage.outbox, client)  # usage events, ratings ...
        self.heartbeat = HeartbeatAgent(client, self.data_dir, report=self.report,
                                        commands=runner, on_revoked=self._revoked,
                                        on_config=self._config_pushed, outbox=outbox,
                                        interval=config.heartbeat_interval)
        self.heartbeat.start()
        if self.state.content_public_key:
            self.sync = SyncWorker(client, self.data_dir,
                                   self.state.content_public_key,
                                   hall=self.state.hall, on_result=self._synced,
                                   interval=config.sync_interval,
                                   channel=config.content_channel)
            self.sync.start()
        else:
            log.warning("no content signing key from the server: content sync is off")
        self._set_client(client)

    def stop(self) -> None:
        """Stop the workers and close the connection."""
        if self.sync is not None:
            self.sync.stop()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.client is not None:
            self.client.close()

    def restart(self) -> None:
        """Start again from the saved enrolment state (after enrolling from the admin screen)."""
        self.stop()
        self.heartbeat = self.sync = None
        self.state = load_state(self.data_dir)
        self.start()
        if self.heartbeat is None:  # not enrolled (any more)
            self._set_client(None)

    def report(self) -> dict[str, Any]:
        """The health the heartbeat sends (read on the heartbeat thread)."""
        state, speaker = self.services.state, self.services.speaker.status
        printer = self.services.queue.printer.status
        return {"content_version": state.content_version, "screen": state.current_screen,
                "speech": {"state": str(speaker.state), "message": speaker.message},
                "printer": {"state": str(printer.state), "message": printer.message},
                "last_error": state.last_error}

    def _synced(self, result: SyncResult) -> None:
        """On the sync thread: load a new version here, hand it to the UI when ready."""
        if result.status == "failed":
            Clock.schedule_once(lambda _dt: setattr(self.services.state, "last_error",
                                                    f"sync: {result.error}"), 0)
        if result.status != "applied":
            return
        library: Library | None = load_library(self.data_dir)
        if library is not None:
            Clock.schedule_once(lambda _dt: self.shell.offer_library(library), 0)

    def _config_pushed(self, pushed: TerminalConfig) -> None:
        """On the heartbeat thread: new settings from the server, laid over the config of
        the moment on the UI thread (merged here, a change made meanwhile would be lost)."""
        Clock.schedule_once(lambda _dt: self._apply_pushed(pushed), 0)

    def _apply_pushed(self, pushed: TerminalConfig) -> None:
        """On the UI thread: the pushed settings over the current config, if they fit it."""
        try:
            config = merge(self.services.config, pushed)
        except ConfigSchemaError as exc:
            log.error("pushed config does not fit the local config (%s): not applied", exc)
            self.services.state.last_error = f"pushed config not applied: {exc}"[:500]
            return
        self.shell.apply_config(config)
        if self.sync is not None:  # read at the start of each sync run
            self.sync.channel = config.terminal.content_channel

    def _revoked(self) -> None:
        log.error("this terminal was revoked by the server; it keeps showing local content")
        Clock.schedule_once(lambda _dt: self._revoked_on_ui(), 0)

    def _revoked_on_ui(self) -> None:
        self.services.state.last_error = "terminal revoked by the server"
        if self.sync is not None:
            self.sync.stop()
            self.sync = None
        self._set_client(None)  # the hall feed and the rest stop using it
