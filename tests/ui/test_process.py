"""The terminal as a process: it runs until told to stop, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devtools.xvfb import virtual_display


def test_sigterm_stops_the_running_terminal(tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # systemd's end of sd_notify
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(30)
    with virtual_display() as display, notify:
        env = {**os.environ, "DISPLAY": display, "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
               "WATCHDOG_USEC": "1000000"}
        with subprocess.Popen(
            [sys.executable, "-m", "hallkiosk_cli", "demo", "--no-server",
             "--data-dir", str(tmp_path)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if "admin PIN for the demo" in line:
                    break
            time.sleep(2)  # in the main loop now, with the window up
            assert process.poll() is None, "the terminal must keep running on its own"
            # READY=1 after the first frame, then WATCHDOG=1 every half WATCHDOG_USEC.
            messages = [notify.recv(64).decode() for _ in range(4)]
            assert messages[0] == "READY=1" and messages[1:] == ["WATCHDOG=1"] * 3
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(timeout=20) == 0
            finally:
                if process.poll() is None:
                    process.kill()
        assert "signal SIGTERM: stopping" in (tmp_path / "logs" / "terminal.log").read_text()
