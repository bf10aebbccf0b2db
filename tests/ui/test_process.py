"""The terminal as a process: it runs until told to stop, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.xvfb import virtual_display


def test_sigterm_stops_the_running_terminal(tmp_path: Path) -> None:
    with virtual_display() as display:
        env = {**os.environ, "DISPLAY": display}
        with subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "demo", "--no-server",
             "--data-dir", str(tmp_path)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if "admin PIN for the demo" in line:
                    break
            time.sleep(2)  # in the main loop now, with the window up
            assert process.poll() is None, "the terminal must keep running on its own"
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(timeout=20) == 0
            finally:
                if process.poll() is None:
                    process.kill()
        assert "signal SIGTERM: stopping" in (tmp_path / "logs" / "terminal.log").read_text()
