"""One real KioskApp under a private Xvfb for the whole UI session, reset before each test.

Kivy allows one window per process, so the app is built once; each test
starts from the attract loop in portrait, Chinese, normal mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from content.install import SEED
from devtools.xvfb import virtual_display
from kiosk.config import TerminalConfig, hash_pin, merge

ADMIN_PIN = "135790"


@pytest.fixture(scope="session")
def ui_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The terminal's data folder for the UI session."""
    return tmp_path_factory.mktemp("terminal")


@pytest.fixture(scope="session")
def _running(ui_data_dir: Path) -> Iterator[Any]:
    with virtual_display():
        config = merge(TerminalConfig(), {
            "terminal": {"data_dir": str(ui_data_dir), "content": str(SEED),
                         "fullscreen": False, "admin_pin_hash": hash_pin(ADMIN_PIN)},
            "speech": {"wav_dir": str(ui_data_dir / "speech")}})
        from kiosk.terminal import create_app

        app = create_app(config, windowed=True, size=(1080, 1920))
        from devtools.driver import Driver  # imports the Kivy window: only after bootstrap

        driver = Driver.start(app)
        yield driver
        app.exit_app()


@pytest.fixture
def ui(_running: Any) -> Any:
    """The driver of the running app, reset to a fresh visitor session in portrait."""
    driver = _running
    from kivy.core.window import Window

    if tuple(Window.size) != (1080, 1920):
        driver.resize(1080, 1920)
    driver.app.reset_session()
    driver.frames(3)
    assert driver.app.nav.current == "attract"
    return driver
