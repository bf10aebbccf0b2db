"""Find the CJK font for the interface (no Kivy here; registration is in the app).

Debian ships Noto Sans CJK as a collection (.ttc) whose first face is the
Japanese one; Simplified Chinese readers expect the SC face, so the SC face
is extracted once into the data folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_CANDIDATES = {
    "regular": [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ],
    "bold": [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    ],
}
PREFERRED_FAMILY = "Noto Sans CJK SC"


class FontMissing(RuntimeError):
    """No usable CJK font: the message says what was looked for and how to fix it."""


@dataclass(frozen=True)
class FontFiles:
    """The font files the interface registers."""

    regular: Path
    bold: Path


def _extract_face(collection: Path, cache_dir: Path) -> Path:
    """The preferred face of a .ttc as a standalone file (cached), or the file itself."""
    target = cache_dir / f"{collection.stem}-SC.otf"
    if target.exists() and target.stat().st_mtime >= collection.stat().st_mtime:
        return target  # extracted at an earlier start: fontTools is not even imported
    try:
        from fontTools.ttLib import TTCollection
    except ImportError:
        log.warning("fontTools missing; using the first face of %s", collection)
        return collection
    faces = TTCollection(str(collection), lazy=True)
    try:
        for face in faces.fonts:
            if face["name"].getDebugName(1) == PREFERRED_FAMILY:
                cache_dir.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".tmp")
                face.save(str(partial))
                partial.replace(target)
                log.info("extracted %s from %s", PREFERRED_FAMILY, collection)
                return target
    finally:
        faces.close()
    return collection


def _prepare(path: Path, cache_dir: Path) -> Path:
    return _extract_face(path, cache_dir) if path.suffix.lower() == ".ttc" else path


def find_fonts(regular: str, bold: str, cache_dir: Path) -> FontFiles:
    """Resolve the configured or system CJK fonts; raise FontMissing when there is none."""
    if regular:
        chosen = Path(regular)
        if not chosen.is_file():
            raise FontMissing(f"font_path {regular!r} does not exist. Set [terminal] font_path "
                              "to a CJK font file, or install fonts-noto-cjk.")
    else:
        found = [Path(p) for p in SYSTEM_CANDIDATES["regular"] if Path(p).is_file()]
        if not found:
            raise FontMissing(
                "No Chinese font found (looked for " + ", ".join(SYSTEM_CANDIDATES["regular"])
                + "). Install one with 'apt-get install fonts-noto-cjk' or set "
                "[terminal] font_path.")
        chosen = found[0]
    regular_path = _prepare(chosen, cache_dir)
    bold_candidates = [bold] if bold else SYSTEM_CANDIDATES["bold"]
    bold_path = next((Path(p) for p in bold_candidates if Path(p).is_file()), None)
    return FontFiles(regular_path, _prepare(bold_path, cache_dir) if bold_path else regular_path)
