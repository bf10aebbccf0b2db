"""``hallkiosk demo``: the terminal on seed content with simulated speech."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from content.install import SEED
from kiosk.config import TerminalConfig, hash_pin
from kiosk.xvfb import virtual_display

log = logging.getLogger(__name__)
DEMO_PIN = "2468"


def demo_config(data_dir: Path, orientation: str) -> TerminalConfig:
    """Seed content, windowed, speech into WAV files, the demo admin PIN."""
    data_dir = data_dir.resolve()
    config = TerminalConfig().with_overrides(
        "terminal", data_dir=str(data_dir), content=str(SEED), fullscreen=False,
        orientation=orientation, admin_pin_hash=hash_pin(DEMO_PIN))
    return config.with_overrides("speech", wav_dir=str(data_dir / "speech"))


def run_demo(*, headless: bool, screenshots: Path | None, orientation: str,
             data_dir: Path) -> int:
    """Run the demo terminal, or walk every screen and write screenshots."""
    from kiosk.terminal import create_app, setup_logging, stop_on_signals

    config = demo_config(data_dir, orientation)
    needs_screen = headless or screenshots is not None or not os.environ.get("DISPLAY")
    if needs_screen and screenshots is None:
        # An invisible window nobody can touch helps no one: show the screens as files.
        screenshots = Path("demo-screens")
        print(f"No display: walking every screen on a virtual screen (Xvfb) and writing "
              f"screenshots to {screenshots}/ instead of opening a window.", file=sys.stderr)
    setup_logging(config.data_dir, "WARNING" if screenshots else "INFO")
    holder: list[Any] = []
    stop_on_signals(lambda: holder[0] if holder else None)
    with virtual_display() if needs_screen else contextlib.nullcontext():
        app = create_app(config, windowed=True)
        holder.append(app)
        print(f"admin PIN for the demo: {DEMO_PIN} (tap the welcome line 5 times); "
              f"speech is written to {config.speech['wav_dir']}", file=sys.stderr)
        if screenshots is None:
            app.run()
            return 0
        from kiosk.driver import Driver
        from kiosk.walkthrough import walk

        driver = Driver.start(app)
        written = walk(driver, screenshots)
        app.exit_app()
        print(f"{len(written)} screenshots written to {screenshots}")
        return 0
