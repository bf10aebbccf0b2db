"""Enrol the running UI-session terminal into a server for one test, and undo it after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provisioning.enrol import enrol
from provisioning.heartbeat import CONFIG_FILE
from provisioning.identity import STATE_FILE


@contextmanager
def enrolled_terminal(ui: Any, url: str, token: str) -> Iterator[None]:
    """Enrol with token and start the link; after, an unenrolled terminal on its own config.

    The data folder is shared by the whole UI session, and the server may have pushed
    config (a profile, idle limits): both are removed and the original config restored.
    """
    data_dir = Path(ui.app.terminal_config.data_dir)
    original = ui.app.terminal_config
    try:
        assert enrol(url, data_dir, token).status == "accepted"
        ui.app.link.restart()
        yield
    finally:
        for name in (STATE_FILE, CONFIG_FILE):
            (data_dir / name).unlink(missing_ok=True)
        ui.app.link.restart()  # stops the heartbeat; nothing starts without a state file
        ui.app.apply_config(original)
        ui.app.nav.restart()  # leave screens that follow the server (the display's feed)
        ui.frames(2)
