"""Hall overlays: local points, windows and notices of one hall, merged over the province bundle.

An overlay source is a folder (kept as ``halls/<CODE>/`` next to the province
source) with any of ``points.csv`` (or ``.xlsx``, same columns as the province
file), ``notices.yaml`` and ``windows.yaml``. It builds into its own small
signed bundle whose manifest names the hall. On the terminal, overlay points
replace province points with the same id and the others are added; notices
and windows have no province counterpart and travel in the stored manifest
under ``"overlay"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from content.bundle import BUNDLE_FORMAT, MANIFEST, sha256_file
from content.errors import ContentError, ContentInvalid
from content.loader import _Collector, _points, _yaml_list
from content.schema import Code, ContentSet, Model, ServicePoint, Text
from content.search import IndexRow, index_rows


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


class Overlay(Model):
    """Everything one hall adds to the province content."""

    hall: Code
    points: list[ServicePoint] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    windows: list[HallWindow] = Field(default_factory=list)


def load_overlay(src: Path | str, hall: str) -> Overlay:
    """Load and validate an overlay folder; raise ContentInvalid listing every error."""
    src = Path(src)
    if not src.is_dir():
        raise ContentInvalid([ContentError(str(src), None, None, None, "not a folder")])
    col = _Collector(src)
    has_points = (src / "points.csv").exists() or (src / "points.xlsx").exists()
    points = _points(col, src) if has_points else []
    notices = (_yaml_list(col, "notices", src / "notices.yaml", Notice, "id")
               if (src / "notices.yaml").exists() else [])
    windows = (_yaml_list(col, "windows", src / "windows.yaml", HallWindow, "number")
               if (src / "windows.yaml").exists() else [])
    if not (has_points or (src / "notices.yaml").exists() or (src / "windows.yaml").exists()):
        col.add(src, None, None, None,
                "an overlay needs points.csv, notices.yaml or windows.yaml")
    for kind, keys in (("points", [p.id for p in points]), ("notices", [n.id for n in notices]),
                       ("windows", [str(w.number) for w in windows])):
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            col.add(src, None, key, kind, "duplicate id")
    if col.errors:
        raise ContentInvalid(col.errors)
    try:
        return Overlay(hall=hall, points=points, notices=notices, windows=windows)
    except ValidationError as exc:
        raise ContentInvalid([ContentError(str(src), None, hall, "hall", str(exc))]) from exc


def _rows(overlay: Overlay) -> list[IndexRow]:
    return index_rows(ContentSet(categories=[], guides=[], points=overlay.points, faq=[],
                                 online=[], flows=[], slides=[]))


def build_overlay(src: Path | str, out: Path | str, hall: str,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate an overlay folder, write its bundle to a new folder out; return the manifest."""
    overlay, out = load_overlay(src, hall), Path(out)
    out.mkdir(parents=True)
    dumps = json.dumps
    (out / "content.json").write_text(
        dumps(overlay.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")), "utf-8")
    (out / "search.json").write_text(
        dumps([asdict(r) for r in _rows(overlay)], ensure_ascii=False, separators=(",", ":")),
        "utf-8")
    files = {name: {"sha256": sha256_file(out / name), "size": (out / name).stat().st_size}
             for name in ("content.json", "search.json")}
    content_hash = hashlib.sha256(dumps(files, sort_keys=True).encode()).hexdigest()
    built = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    manifest = {
        "format": BUNDLE_FORMAT, "version": f"{built:%Y%m%d.%H%M%S}-{content_hash[:8]}",
        "built_at": built.isoformat(), "content_sha256": content_hash, "hall": hall,
        "counts": {"points": len(overlay.points), "notices": len(overlay.notices),
                   "windows": len(overlay.windows)},
        "files": files,
    }
    (out / MANIFEST).write_text(dumps(manifest, ensure_ascii=False, separators=(",", ":")),
                                "utf-8")
    return manifest


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


def merge_overlay(content: ContentSet, rows: list[IndexRow], overlay: Overlay,
                  overlay_rows: list[IndexRow]) -> tuple[ContentSet, list[IndexRow]]:
    """Province content with the hall's points merged in (same id replaces, others added)."""
    local = {p.id: p for p in overlay.points}
    known = {p.id for p in content.points}
    points = [local.get(p.id, p) for p in content.points]
    points += [p for p in overlay.points if p.id not in known]
    merged_rows = [r for r in rows if not (r.kind == "point" and r.key in local)]
    return content.model_copy(update={"points": points}), merged_rows + overlay_rows


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
