"""The terminal's heartbeat agent: a worker thread that reports health and takes orders back.

Every interval (30 s, ±10% jitter so a hall's terminals do not beat in step)
it posts the app's health report, applies the config in the reply, hands
commands to the :class:`~provisioning.commands.CommandRunner` and delivers
the outbox. It never runs on the Kivy UI thread; losing the server is logged
once ("server offline") and finding it again once ("server back").
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from devices.status import DeviceState, StatusTracker
from protocol.config import ConfigSchemaError, TerminalConfig, overlay, parse_pushed
from protocol.terminal import HeartbeatReport
from provisioning.client import ServerError, ServerRefused, ServerUnavailable, TerminalClient
from provisioning.commands import CommandRunner
from provisioning.enrol import watch_revocation
from provisioning.identity import load_state, write_json_atomically

if TYPE_CHECKING:
    from provisioning.outbox import OutboxSender

log = logging.getLogger(__name__)
CONFIG_FILE = "pushed_config.json"
APP_VERSION = "0.1.0"
ReportSource = Callable[[], dict[str, Any]]


def load_pushed_config(data_dir: Path | str) -> tuple[str, TerminalConfig | None]:
    """The last config the server pushed and this terminal accepted: (version, settings)."""
    try:
        data = json.loads((Path(data_dir) / CONFIG_FILE).read_text("utf-8"))
        return str(data["version"]), parse_pushed(data["settings"])
    except FileNotFoundError:
        return "", None
    except (OSError, ValueError, KeyError, TypeError, ConfigSchemaError) as exc:
        log.error("pushed config unreadable (%s): using the local config", exc)
        return "", None


class HeartbeatAgent:
    """Sends heartbeats from its own thread until stopped or revoked."""

    def __init__(self, client: TerminalClient, data_dir: Path | str, *,
                 report: ReportSource | None = None, commands: CommandRunner | None = None,
                 outbox: OutboxSender | None = None,
                 on_config: Callable[[TerminalConfig], None] | None = None,
                 on_revoked: Callable[[], None] | None = None,
                 interval: float = 30.0, jitter: float = 0.1):
        self.client = client
        self.data_dir = Path(data_dir)
        self.report = report or (lambda: {})
        self.commands = commands
        self.outbox = outbox
        self.on_config = on_config
        self.interval = interval
        self.jitter = jitter
        self.started = time.monotonic()
        self.config_version, self.config = load_pushed_config(self.data_dir)
        self.last_error = ""
        self.server = StatusTracker("server", log)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        watch_revocation(client, self.data_dir, on_revoked)

    def base_report(self) -> dict[str, Any]:
        """Report fields the agent knows itself; the app's report overrides them."""
        try:
            disk_free = shutil.disk_usage(self.data_dir).free
        except OSError:
            disk_free = 0
        return {"app_version": APP_VERSION, "content_version": "", "screen": "",
                "uptime": int(time.monotonic() - self.started),
                "printer": {"state": "disabled", "message": ""},
                "speech": {"state": "disabled", "message": ""},
                "disk_free": disk_free, "last_error": self.last_error}

    def _report(self) -> dict[str, Any]:
        """The app's report over the agent's own, checked against the server's schema."""
        extra = {"config_version": self.config_version,
                 "outbox_size": self.outbox.outbox.size() if self.outbox else 0}
        try:
            report = {**self.base_report(), **self.report(), **extra}
            HeartbeatReport.model_validate(report)
        except ValidationError as exc:  # an app bug must not silence the heartbeat
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                for e in exc.errors())
            log.error("the app's heartbeat report is invalid (%s): sent without it", problem)
            report = {**self.base_report(), **extra,
                      "last_error": f"invalid heartbeat report: {problem}"[:500]}
        except Exception as exc:  # the app's report callback failed: beat without it
            log.exception("the app's heartbeat report failed")
            report = {**self.base_report(), **extra,
                      "last_error": f"heartbeat report failed: {exc}"[:500]}
        return report

    def beat(self) -> bool:
        """Send one heartbeat and act on the reply; whether the server answered."""
        if self.client.revoked:
            return False
        report = self._report()
        try:
            reply = self.client.json_request("POST", "/api/v1/heartbeat", json=report)
        except ServerUnavailable as exc:
            self.server.update(DeviceState.OFFLINE, str(exc))
            return False
        except ServerRefused as exc:
            self.server.update(DeviceState.ERROR, exc.message)
            return False
        self.server.update(DeviceState.OK)
        self.interval = float(reply.get("heartbeat_interval") or self.interval)
        self.apply_config(reply.get("config") or {})
        try:
            if self.commands is not None:
                self.commands.run_all(reply.get("commands") or [])
            if self.outbox is not None and report["outbox_size"]:
                self.outbox.deliver()
        except ServerError as exc:  # the next beat retries; revocation was recorded already
            log.warning("after heartbeat: %s", exc)
        return True

    def apply_config(self, config: dict[str, Any]) -> None:
        """Validate, save and apply the config of a heartbeat reply when its version is new."""
        version, settings = str(config.get("version") or ""), config.get("settings")
        if not version or version == self.config_version or settings is None:
            return
        try:
            accepted = parse_pushed(settings)
        except ConfigSchemaError as exc:
            self.last_error = f"config {version} refused: {exc}"[:500]
            log.error("%s", self.last_error)
            return
        write_json_atomically(self.data_dir / CONFIG_FILE, {"version": version,
                                                            "settings": overlay(accepted)})
        self.config_version, self.config, self.last_error = version, accepted, ""
        log.info("applied config %s", version)
        if self.on_config is not None:
            try:
                self.on_config(accepted)
            except Exception:  # the app failing to apply live must not stop the heartbeat
                log.exception("applying config %s live failed", version)

    def next_delay(self) -> float:
        """Seconds until the next heartbeat: the interval with jitter."""
        return self.interval * random.uniform(1 - self.jitter, 1 + self.jitter)

    def _run(self) -> None:
        while not self._stop.is_set() and not self.client.revoked:
            try:
                self.beat()
            except Exception:  # a bug in one beat must not end the agent
                log.exception("heartbeat failed")
            self._wake.wait(self.next_delay())
            self._wake.clear()
        if self.client.revoked:
            log.error("heartbeat stopped: this terminal was revoked")

    def start(self) -> bool:
        """Start the worker thread; refuses (False) when the terminal is not accepted."""
        state = load_state(self.data_dir)
        if state.status != "accepted":
            log.error("heartbeat not started: enrolment is %s", state.status)
            return False
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return True

    def wake(self) -> None:
        """Send the next heartbeat now (after enrolment, or when the outbox has news)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it (at most timeout seconds)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


class SystemdNotifier:
    """sd_notify without libsystemd: datagrams to $NOTIFY_SOCKET; a no-op outside systemd."""

    def __init__(self, socket_path: str | None = None):
        self.path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET")

    def notify(self, message: str) -> bool:
        """Send one state line (READY=1, WATCHDOG=1, STOPPING=1); whether it was sent."""
        if not self.path:
            return False
        address = "\0" + self.path[1:] if self.path.startswith("@") else self.path
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), address)
        except OSError as exc:
            log.warning("sd_notify %s failed: %s", message, exc)
            return False
        return True

    def ready(self) -> bool:
        """Tell systemd the app has started."""
        return self.notify("READY=1")

    def watchdog(self) -> bool:
        """Tell systemd the app is alive (call from the UI thread's clock)."""
        return self.notify("WATCHDOG=1")
