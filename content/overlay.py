"""Hall overlays: what one hall adds to, changes in or hides from the province bundle.

An overlay source is a folder (kept as ``halls/<CODE>/`` next to the province
source) with any of: ``points.csv`` (or ``.xlsx``, the province columns),
``guides/<code>.yaml``, ``slides/slides.yaml`` with its images, ``hide.yaml``
(ids of province guides, points and slides this hall does not offer),
``notices.yaml`` and ``windows.yaml``. Guides, points and slides with a
province id replace the province item in this hall; the others are added.
Notices and windows have no province counterpart and travel in the stored
manifest under ``"overlay"``; the server also copies the notices of a stable
overlay to the hall record for the calling display.

An overlay builds into its own small signed bundle whose manifest names the
hall. Its slide images are stored as ``media/slides/halls/<CODE>/<image>``
(and the slides name them so), which keeps them apart from a province image
of the same name. The province content is not at hand when an overlay is
built, so what refers to it (a guide's category or online service, a hidden
id) is resolved when a terminal merges: anything that does not resolve is
left out and logged once, when that version is applied.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from content.bundle import MANIFEST, copy_slide_images, sha256_file, write_manifest
from content.collector import Collector
from content.errors import ContentError, ContentInvalid
from content.loader import (
    _check_files,
    _check_unique,
    _points,
    _yaml_files,
    _yaml_list,
    load_lexicon,
)
from content.schema import (
    ContentSet,
    Guide,
    LexiconEntry,
    ServicePoint,
    Slide,
)
from content.schema_base import Code, Model, Text
from content.search import IndexRow, index_rows
from content.yaml_lines import LineDict

log = logging.getLogger(__name__)
SOURCE_FILES = ("points.csv", "points.xlsx", "guides", "slides/slides.yaml", "hide.yaml",
                "notices.yaml", "windows.yaml", "lexicon.yaml")
HIDDEN_KINDS = ("guides", "points", "slides")


class Notice(Model):
    """A hall notice (通知公告) shown on the hall's terminals."""

    id: Code
    title: Text
    title_en: Text | None = None
    text: Text
    text_en: Text | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None


class HallWindow(Model):
    """A service window as shown to visitors (number, name, what it handles)."""

    number: int = Field(ge=1)
    name: Text
    services: list[Text] = Field(default_factory=list)


class HiddenItems(Model):
    """Province items this hall does not offer (``hide.yaml``), by code or id."""

    guides: list[Code] = Field(default_factory=list)
    points: list[Code] = Field(default_factory=list)
    slides: list[Code] = Field(default_factory=list)


class Overlay(Model):
    """Everything one hall adds to, replaces in or hides from the province content."""

    hall: Code
    points: list[ServicePoint] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    windows: list[HallWindow] = Field(default_factory=list)
    guides: list[Guide] = Field(default_factory=list)
    slides: list[Slide] = Field(default_factory=list)
    hidden: HiddenItems = Field(default_factory=HiddenItems)
    lexicon: list[LexiconEntry] = Field(default_factory=list)  # words added or replaced


def notices_on(notices: Iterable[Any], day: dt.date) -> list[Any]:
    """The notices whose dates include day (a notice given as plain text always shows)."""
    today = day.isoformat()  # ISO dates compare as text, and a bad date never raises here

    def shown(notice: Any) -> bool:
        if not isinstance(notice, dict):
            return True
        starts, ends = notice.get("starts"), notice.get("ends")
        return (not starts or str(starts) <= today) and (not ends or today <= str(ends))
    return [notice for notice in notices if shown(notice)]


def _hidden(col: Collector, path: Path) -> HiddenItems:
    data = col.read_yaml(path)
    if data is None:
        return HiddenItems()
    if not isinstance(data, LineDict):
        col.add(path, getattr(data, "line", 1), None, None,
                "expected a mapping with lists under guides, points and slides")
        return HiddenItems()
    return col.validate("hide", HiddenItems, data, path, None) or HiddenItems()


def _check_hidden(col: Collector, defined: dict[str, set[str]]) -> None:
    """An id cannot be hidden and given by the same overlay (checked even if hide.yaml is bad)."""
    record = next((item for item in col.items if item.kind == "hide"), None)
    if record is None:
        return
    for kind in HIDDEN_KINDS:
        listed = record.raw.get(kind)
        for index, key in enumerate(listed if isinstance(listed, list) else []):
            if key in defined[kind]:
                col.add(record.path, record.line(kind, index), key, kind,
                        "hidden here and also defined by this overlay")


def load_overlay(src: Path | str, hall: str) -> Overlay:
    """Load and validate an overlay folder; raise ContentInvalid listing every error."""
    src = Path(src)
    if not src.is_dir():
        raise ContentInvalid([ContentError(str(src), None, None, None, "not a folder")])
    col = Collector(src)
    present = {name for name in SOURCE_FILES if (src / name).exists()}
    if not present:
        col.add(src, None, None, None, f"an overlay needs one of {', '.join(SOURCE_FILES)}")
    points = _points(col, src) if present & {"points.csv", "points.xlsx"} else []
    notices = (_yaml_list(col, "notices", src / "notices.yaml", Notice, "id")
               if "notices.yaml" in present else [])
    windows = (_yaml_list(col, "windows", src / "windows.yaml", HallWindow, "number")
               if "windows.yaml" in present else [])
    guides = (_yaml_files(col, "guides", src / "guides", Guide, "code")
              if "guides" in present else [])
    slides = (_yaml_list(col, "slides", src / "slides" / "slides.yaml", Slide, "id")
              if "slides/slides.yaml" in present else [])
    hidden = _hidden(col, src / "hide.yaml") if "hide.yaml" in present else HiddenItems()
    lexicon = load_lexicon(col, src / "lexicon.yaml")
    _check_unique(col)
    _check_files(col, src)
    _check_hidden(col, {"guides": {g.code for g in guides}, "points": {p.id for p in points},
                        "slides": {s.id for s in slides}})
    if col.errors:
        raise ContentInvalid(col.errors)
    try:
        return Overlay(hall=hall, points=points, notices=notices, windows=windows,
                       guides=guides, slides=slides, hidden=hidden, lexicon=lexicon)
    except ValidationError as exc:
        raise ContentInvalid([ContentError(str(src), None, hall, "hall", str(exc))]) from exc


def _rows(overlay: Overlay) -> list[IndexRow]:
    return index_rows(ContentSet(categories=[], guides=overlay.guides, points=overlay.points,
                                 faq=[], online=[], flows=[], slides=[]))


def build_overlay(src: Path | str, out: Path | str, hall: str,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate an overlay folder, write its bundle to a new folder out; return the manifest."""
    src, out = Path(src), Path(out)
    overlay = load_overlay(src, hall)
    out.mkdir(parents=True)
    prefix = f"halls/{hall}/"
    copy_slide_images(src, overlay.slides, out / "media", prefix)
    overlay = overlay.model_copy(update={"slides": [
        slide.model_copy(update={"image": prefix + slide.image}) if slide.image else slide
        for slide in overlay.slides]})
    dumps = json.dumps
    (out / "content.json").write_text(
        dumps(overlay.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")), "utf-8")
    (out / "search.json").write_text(
        dumps([asdict(r) for r in _rows(overlay)], ensure_ascii=False, separators=(",", ":")),
        "utf-8")
    counts = {"points": len(overlay.points), "notices": len(overlay.notices),
              "windows": len(overlay.windows), "guides": len(overlay.guides),
              "slides": len(overlay.slides), "lexicon": len(overlay.lexicon),
              "hidden": sum(len(getattr(overlay.hidden, kind)) for kind in HIDDEN_KINDS)}
    return write_manifest(out, counts, now, hall=hall)


def read_overlay(path: Path | str) -> tuple[dict[str, Any], Overlay, list[IndexRow]]:
    """Verify every file of an overlay bundle against its manifest and load it."""
    path = Path(path)
    problems: list[ContentError] = []
    try:
        manifest = json.loads((path / MANIFEST).read_text("utf-8"))
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContentInvalid(
            [ContentError(MANIFEST, None, None, None, f"unreadable: {exc}")]) from exc
    if not manifest.get("hall"):
        problems.append(ContentError(MANIFEST, None, None, "hall", "not an overlay manifest"))
    for name, meta in files.items():
        file = path / name
        if not file.is_file() or file.stat().st_size != meta["size"] \
                or sha256_file(file) != meta["sha256"]:
            problems.append(ContentError(name, None, None, None, "sha256 does not match manifest"))
    if problems:
        raise ContentInvalid(problems)
    try:
        overlay = Overlay.model_validate_json((path / "content.json").read_bytes())
        rows = [IndexRow(**r) for r in json.loads((path / "search.json").read_text("utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        raise ContentInvalid([ContentError("content.json", None, None, None, str(exc))]) from exc
    return manifest, overlay, rows


def replace_folder(staging: Path, out: Path) -> None:
    """Move a finished staging folder to out, replacing what was there in two renames."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.replace(old)
        staging.replace(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.replace(out)


def staging_folder(out: Path) -> Path:
    """A fresh, world-readable folder next to out for building a bundle."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staging.chmod(0o755)
    return staging
