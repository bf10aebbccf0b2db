"""Device status values, the one device error, and a tracker that logs transitions once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class DeviceState(StrEnum):
    """The states a device can be in."""

    OK = "ok"
    OFFLINE = "offline"
    DISABLED = "disabled"
    ERROR = "error"


@dataclass(frozen=True)
class DeviceStatus:
    """A device's state with a human-readable reason."""

    device: str
    state: DeviceState
    message: str = ""


class DeviceError(Exception):
    """The one error devices raise; library exceptions are mapped to it at the boundary."""


StatusListener = Callable[[DeviceStatus], None]


class StatusTracker:
    """Holds a device's current status; logs going offline/error once and coming back once."""

    def __init__(
        self,
        device_name: str,
        logger: logging.Logger,
        listeners: Iterable[StatusListener] = (),
        initial: DeviceState = DeviceState.OK,
        message: str = "",
    ) -> None:
        self.device_name = device_name
        self.current = DeviceStatus(device_name, initial, message)
        self._logger = logger
        self._listeners = list(listeners)
        self._lock = threading.Lock()

    def add_listener(self, on_change: StatusListener) -> None:
        """Call on_change(status) whenever the status changes."""
        self._listeners.append(on_change)

    def update(self, state: DeviceState, message: str = "") -> DeviceStatus:
        """Record the latest state; log and notify only when something changed."""
        status = DeviceStatus(self.device_name, state, message)
        with self._lock:
            previous, self.current = self.current, status
        if status == previous:
            return status
        if state is not previous.state:
            self._log_transition(previous.state, status)
        # Listeners also hear message-only changes so a screen can show the newest reason.
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a broken listener must not take the device thread down
                self._logger.exception("%s: status listener failed", self.device_name)
        return status

    def _log_transition(self, previous: DeviceState, status: DeviceStatus) -> None:
        name, reason = status.device, status.message or "no details"
        if status.state is DeviceState.ERROR:
            self._logger.error("%s error: %s", name, reason)
        elif status.state is DeviceState.OFFLINE:
            self._logger.warning("%s offline: %s", name, reason)
        elif status.state is DeviceState.DISABLED:
            self._logger.info("%s disabled: %s", name, reason)
        elif previous in (DeviceState.ERROR, DeviceState.OFFLINE):
            self._logger.info("%s back: %s", name, status.message or "ok")
        else:
            self._logger.info("%s ok", name)
