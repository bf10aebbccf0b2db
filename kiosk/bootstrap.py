"""Configure Kivy before anything imports it: window, input, logging, exit keys.

Call :func:`configure` first; importing ``kivy.core.window`` or any module
that does (the app, screens) before it would freeze Kivy's defaults.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kiosk.fonts import FontFiles

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


FONTS: FontFiles | None = None  # what configure() registered (kiosk.labels reads it)


def configure(*, orientation: str, fullscreen: bool, kivy_home: Path, fonts: FontFiles,
              size: tuple[int, int] | None = None, log_level: str = "warning") -> None:
    """Set Kivy's environment and Config; must run before the first Kivy import."""
    if "kivy" in sys.modules and "kivy.core.window" in sys.modules:
        raise RuntimeError("bootstrap.configure() must run before the Kivy window is created")
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config

    width, height = size or SIZES[orientation]
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", log_level)
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "1")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "multisamples", "0")
    # Every Label uses the CJK font: regular, italic, bold, bold italic.
    global FONTS
    FONTS = fonts
    regular, bold = str(fonts.regular), str(fonts.bold)
    Config.set("kivy", "default_font", repr(["HallKioskCJK", regular, regular, bold, bold]))
    # Touch screens report as mouse on many kiosks; no red multitouch-emulation dots.
    Config.set("input", "mouse", "mouse,disable_multitouch")
