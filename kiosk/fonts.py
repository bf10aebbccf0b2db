"""Find the CJK font for the interface (no Kivy here; registration is in the app).

Debian ships Noto Sans CJK as a collection (.ttc) whose first face is the
Japanese one; Simplified Chinese readers expect the SC face, so the SC face
is extracted once into the data folder.

The interface then draws with a cut of that face to the characters of GB 2312 and
the Latin, punctuation, symbol and full-width blocks (about 7,500 of its 65,000
glyphs), made once by child processes. Kivy's SDL2 text provider opens the font once
per size and weight and keeps each open for the life of the process: about 2.5 MB
for the whole face, 0.8 MB for the cut (issue #17). A text with a character outside
the cut is drawn with the whole face (``FontFiles.covered``, kiosk.labels).
"""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.wordstore import child_environment

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


CUT_FORMAT = 2  # bump when the cut's characters or options change
CUT_TIMEOUT = 180.0  # seconds; about 12 for each weight of Noto Sans CJK here
CUT_BLOCKS = [(0x20, 0x24F), (0x2000, 0x2BFF), (0x3000, 0x30FF), (0xFE30, 0xFE4F),
              (0xFF00, 0xFFEF)]  # Latin, punctuation/symbols/arrows/shapes, CJK marks, forms


@dataclass(frozen=True)
class FontFiles:
    """The font files the interface registers: with ``covered``, regular and bold are cuts
    holding those characters, and full_regular/full_bold the whole faces."""

    regular: Path
    bold: Path
    full_regular: Path | None = None
    full_bold: Path | None = None
    covered: frozenset[str] | None = field(default=None, repr=False)


def cut_characters() -> frozenset[str]:
    """The characters the interface's cut of the font holds: GB 2312 and CUT_BLOCKS."""
    chars = {chr(c) for start, end in CUT_BLOCKS for c in range(start, end + 1)}
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(bytes((first, second)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def _cut_path(face: Path, cache_dir: Path) -> Path:
    stat = face.stat()
    digest = hashlib.sha256(repr((CUT_FORMAT, str(face), stat.st_size, stat.st_mtime_ns))
                            .encode()).hexdigest()[:12]
    return cache_dir / f"{face.stem}-cut-{digest}{face.suffix}"


def cut_faces(files: FontFiles, cache_dir: Path) -> FontFiles:
    """files with their cuts (made now by child processes if missing), or files unchanged
    when a cut cannot be made."""
    faces = dict.fromkeys([files.regular, files.bold])
    cuts = {face: _cut_path(face, cache_dir) for face in faces}
    missing = [face for face, cut in cuts.items() if not cut.exists()]
    if missing:
        cache_dir.mkdir(parents=True, exist_ok=True)
        environment = child_environment()
        children = [(face, subprocess.Popen(
            [sys.executable, "-m", "kiosk.fonts", str(face), str(cuts[face])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment))
            for face in missing]
        for face, child in children:
            try:
                _out, error = child.communicate(timeout=CUT_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                error = b"timed out"
            if child.returncode != 0 or not cuts[face].exists():
                log.warning("cannot cut the font %s (%s): the interface uses the whole face",
                            face, error.decode(errors="replace").strip()[-300:])
                return files
            log.info("cut %s to the interface's characters", face.name)
        for old in cache_dir.glob("*-cut-*"):
            if old not in cuts.values():
                old.unlink(missing_ok=True)
    return FontFiles(cuts[files.regular], cuts[files.bold], files.regular, files.bold,
                     cut_characters())


def write_cut(face: Path, target: Path) -> None:
    """Save face cut to cut_characters() as target (in the child process)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # keep kerning and the punctuation forms
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(str(face), lazy=False)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[ord(c) for c in cut_characters()])
    cutter.subset(font)
    cut = io.BytesIO()
    font.save(cut)
    font = TTFont(cut)
    number_glyphs_in_order(font)
    partial = target.with_name(target.name + ".tmp")
    font.save(str(partial))
    partial.replace(target)


def number_glyphs_in_order(font: Any) -> None:
    """Give the glyphs of a CID-keyed cut the CIDs 0, 1, 2 ... in glyph order.

    The subsetter keeps each glyph's CID from the whole face, so the cut's charset (glyph
    -> CID) was about 3,800 ranges. FreeType reads a charset's ranges two values at a time
    from the font's stream, and SDL2_ttf opens fonts on a stream of the file: some 7,600
    reads and seeks each time the interface opens the font at another size or weight
    (2.6 ms an open, the whole face 1.5 ms; issue #17, first visits). Numbered in order,
    the charset is one range (0.6 ms). The CIDs of an Adobe-Identity font mean nothing of
    their own, and the other tables name glyphs by index: what is drawn is unchanged.
    Only the CFF table is loaded here; the others are copied as they are.
    """
    if "CFF " not in font:
        return  # TrueType outlines: no charset
    top = font["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return  # a name-keyed CFF: its charset holds glyph names, left alone
    order = [".notdef", *(f"cid{gid:05d}" for gid in range(1, len(top.charset)))]
    strings = top.CharStrings
    strings.charStrings = dict(zip(order, strings.charStrings.values(), strict=True))
    top.charset = order
    font.setGlyphOrder(order)


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


def find_fonts(regular: str, bold: str, cache_dir: Path, cut: bool = False) -> FontFiles:
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
    files = FontFiles(regular_path, _prepare(bold_path, cache_dir) if bold_path else regular_path)
    return cut_faces(files, cache_dir) if cut else files


if __name__ == "__main__":  # python -m kiosk.fonts FACE TARGET: cut FACE (a child process)
    write_cut(Path(sys.argv[1]), Path(sys.argv[2]))
