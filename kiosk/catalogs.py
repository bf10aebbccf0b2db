"""gettext catalogs for the interface, compiled from the .po files in memory.

The .po files under ``kiosk/locale`` are the source of truth; compiling them
at start-up (a few milliseconds) means no build step can leave a stale .mo.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "hallkiosk"


def po_path(language: str) -> Path:
    """Path of a language's .po catalog."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language; English (the msgid language) may have none."""
    path = po_path(language)
    if not path.exists():
        if language == "en":
            return gettext.NullTranslations()
        raise FileNotFoundError(f"no catalog for {language}: {path}")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
