"""``hallkiosk demo``: the terminal on seed content with simulated speech."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from content.install import SEED
from devtools.demo_queue import play_loop, printer_settings, start_display, start_rater
from devtools.xvfb import virtual_display
from kiosk.config import TerminalConfig, hash_pin, merge

log = logging.getLogger(__name__)
DEMO_PIN = "2468"


def demo_config(data_dir: Path, orientation: str, *, with_server: bool) -> TerminalConfig:
    """Seed content, windowed, speech into WAV files, the demo admin PIN.

    With the server the seed only fills an empty store and synced content wins;
    without it the seed folder is the content source (rebuilt when it changes).
    """
    data_dir = data_dir.resolve()
    return merge(TerminalConfig(), {
        "terminal": {"data_dir": str(data_dir), "content": "" if with_server else str(SEED),
                     "fullscreen": False, "orientation": orientation,
                     "admin_pin_hash": hash_pin(DEMO_PIN), "sync_interval": 20},
        "printer": printer_settings(data_dir),
        "speech": {"wav_dir": str(data_dir / "speech")}})


def run_demo(*, headless: bool, screenshots: Path | None, orientation: str,
             data_dir: Path, server: bool = True) -> int:
    """Run the server and an enrolled terminal, or walk every screen and write screenshots."""
    from kiosk.terminal import create_app, setup_logging, stop_on_signals

    with_server = server and screenshots is None and bool(os.environ.get("DISPLAY"))
    terminal_dir = data_dir / "terminal" if with_server else data_dir
    config = demo_config(terminal_dir, orientation, with_server=with_server)
    needs_screen = headless or screenshots is not None or not os.environ.get("DISPLAY")
    if needs_screen and screenshots is None:
        # An invisible window nobody can touch helps no one: show the screens as files.
        screenshots = Path("demo-screens")
        print(f"No display: walking every screen on a virtual screen (Xvfb) and writing "
              f"screenshots to {screenshots}/ instead of opening a window.", file=sys.stderr)
    setup_logging(config.data_dir, "WARNING" if screenshots else "INFO")
    holder: list[Any] = []
    stop_on_signals(lambda: holder[0] if holder else None)
    with contextlib.ExitStack() as stack:
        if needs_screen:
            stack.enter_context(virtual_display())
        if with_server:
            from devtools.demo_server import demo_server

            running = stack.enter_context(demo_server(data_dir.resolve(), config.data_dir))
            print(f"server: {running.url}  console: {running.url}/login  accounts: "
                  + ", ".join(f"{user} / {password}" for user, password in running.users),
                  file=sys.stderr)
            print(f"staff console (window staff1 or staff2): {running.url}/queue  "
                  f"printed tickets (ESC/POS bytes and PNG): {config.printer.directory}",
                  file=sys.stderr)
            print(f"supervisor dashboard and 差评回访 (supervisor): {running.url}/dashboard  "
                  f"{running.url}/followups; window 1's rating pad wakes when staff1 presses "
                  "办结", file=sys.stderr)
            for process in (start_display(running, data_dir), start_rater(running, data_dir)):
                stack.callback(process.wait, 20)
                stack.callback(process.terminate)
        app = create_app(config, windowed=True)
        holder.append(app)
        print(f"admin PIN for the demo: {DEMO_PIN} (tap the welcome line 5 times); "
              f"speech is written to {config.speech.wav_dir}", file=sys.stderr)
        if screenshots is None:
            app.run()
            return 0
        from devtools.driver import Driver
        from devtools.walkthrough import walk

        driver = Driver.start(app)
        written = walk(driver, screenshots)
        if server:  # then the queue loop against a real server, on the same terminal
            from devtools.demo_server import demo_server

            with demo_server(data_dir.resolve(), config.data_dir) as running:
                written += play_loop(driver, running, screenshots)
        app.exit_app()
        print(f"{len(written)} screenshots and files written to {screenshots}")
        return 0
