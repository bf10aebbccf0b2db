"""Devices built from the terminal's configuration (no Kivy here)."""

from __future__ import annotations

import logging
from typing import Any

from devices.printer import Printer, make_printer
from devices.status import DeviceError
from kiosk.config import TerminalConfig

log = logging.getLogger(__name__)


def create_printer(config: TerminalConfig) -> Printer:
    """The configured ticket printer; a bad configuration logs why and prints nothing."""
    settings = config.printer
    options: dict[str, Any] = {"paper_width_mm": settings.paper_width, "mode": settings.mode}
    if settings.kind == "simulated":
        options["directory"] = settings.directory
    elif settings.kind != "null":
        options["address"] = settings.address
    if config.terminal.font_path:
        options["font_path"] = config.terminal.font_path
    try:
        return make_printer(settings.kind, **options) if settings.kind != "null" \
            else make_printer("null")
    except DeviceError as error:
        log.error("printer not usable, tickets are shown on screen only: %s", error)
        return make_printer("null")
