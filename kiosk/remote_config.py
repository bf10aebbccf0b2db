"""Config pushed by the server (fleet console) over the local TOML file, applied live.

The server's schema (provisioning.config_schema.TerminalSettings) covers what IT
manages remotely; this maps it onto the terminal's own settings. Idle limits, the
admin PIN, the printer and the profile take effect at once (the profile between
visitors); voices and speaking rate at the next start, because the speech engine
owns them on its thread.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.config import PROFILES, TerminalConfig
from protocol.config import TerminalSettings

log = logging.getLogger(__name__)


def merge_pushed(config: TerminalConfig, settings: TerminalSettings) -> TerminalConfig:
    """config with the pushed settings laid over it (validated like a config file)."""
    merged = config.with_overrides(
        "idle", timeout=settings.idle.timeout, elder_timeout=settings.idle.elder_timeout,
        countdown=settings.idle.countdown)
    merged = merged.with_overrides("speech", voice_zh=settings.speech.voice_zh,
                                   voice_en=settings.speech.voice_en, rate=settings.speech.rate)
    terminal: dict[str, Any] = {}
    if settings.profile in PROFILES:
        terminal["profile"] = settings.profile
    else:
        log.warning("pushed profile %r is not available in this version", settings.profile)
    if settings.admin_pin_hash:
        terminal["admin_pin_hash"] = settings.admin_pin_hash
    merged = merged.with_overrides("terminal", **terminal)
    if settings.printer.kind != "null" or config.printer["kind"] != "simulated":
        # A simulated printer (demo, tests) is kept unless IT names a real one.
        merged = merged.with_overrides("printer", kind=settings.printer.kind,
                                       address=settings.printer.address)
    return merged
