"""Voice selection and pyttsx3 driver quirks (no Kivy, no threads)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger("devices.speech")


def choose_voice(voices: Sequence[Any], code: str) -> str | None:
    """Return the id of the voice that best matches a voice id or language code, or None."""
    code = code.lower()

    def rank(voice: Any) -> int:  # 0: exact id, 1: language, 2: id's last part, 3: dialect
        voice_id = str(voice.id).lower()
        languages = [str(language).lower() for language in voice.languages or []]
        return [voice_id == code, code in languages, voice_id.rsplit("/", 1)[-1] == code,
                any(language.startswith(f"{code}-") for language in languages), True].index(True)

    best = min(voices, key=rank, default=None)  # the first of equally good voices wins
    return str(best.id) if best is not None and rank(best) < 4 else None


def route_driver_prints(driver: str) -> None:
    """Send the driver's print() calls ("Audio saved to ...") to the log, not stdout."""
    module = sys.modules.get(f"pyttsx3.drivers.{driver}")
    if module is not None:
        module.print = _log_driver_output  # type: ignore[attr-defined]


def _log_driver_output(*values: object, **_: object) -> None:
    logger.debug("pyttsx3: %s", " ".join(map(str, values)))
