"""Build a content bundle from a source folder, and verify one.

A bundle is a folder: ``content.json`` (the validated content),
``search.json`` (index rows with pinyin precomputed), ``media/`` (slide
images and other files) and ``manifest.json`` naming every file with its
sha256 and size. Signing the manifest comes with the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from content.answers.index import AnswerDoc, documents, dump_documents, load_documents
from content.errors import ContentError, ContentInvalid
from content.loader import load_source
from content.schema import ContentSet, Slide
from content.search import IndexRow, index_rows

BUNDLE_FORMAT = 1
MANIFEST = "manifest.json"
REQUIRED_FILES = ("content.json", "search.json")
ANSWERS = "answers.json"  # the answer documents, segmented at build time (older bundles lack it)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")


def copy_slide_images(src: Path, slides: list[Slide], media: Path, prefix: str = "") -> None:
    """Copy each slide's image from src/slides to media/slides/<prefix><image>."""
    for slide in slides:
        if slide.image:
            target = media / "slides" / f"{prefix}{slide.image}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / "slides" / slide.image, target)


def write_manifest(folder: Path, counts: dict[str, int], now: dt.datetime | None = None,
                   **extra: Any) -> dict[str, Any]:
    """Hash every file in folder, write its manifest.json (version from the hashes); return it."""
    files = {
        p.relative_to(folder).as_posix(): {"sha256": sha256_file(p), "size": p.stat().st_size}
        for p in sorted(folder.rglob("*")) if p.is_file()
    }
    content_hash = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    built = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": f"{built:%Y%m%d.%H%M%S}-{content_hash[:8]}",
        "built_at": built.isoformat(),
        "content_sha256": content_hash,
        **extra,
        "counts": counts,
        "files": files,
    }
    _write_json(folder / MANIFEST, manifest)
    return manifest


def build_bundle(src: Path | str, out: Path | str,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate src and write a bundle to out (replaced atomically); return the manifest."""
    src, out = Path(src), Path(out)
    content = load_source(src)
    rows = index_rows(content)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a bundle is published content
    try:
        _write_json(staging / "content.json", content.model_dump(mode="json"))
        _write_json(staging / "search.json", [asdict(r) for r in rows])
        _write_json(staging / ANSWERS, dump_documents(documents(content)))
        copy_slide_images(src, content.slides, staging / "media")
        manifest = write_manifest(staging, {
            "categories": len(content.categories), "guides": len(content.guides),
            "points": len(content.points), "faq": len(content.faq),
            "online": len(content.online), "flows": len(content.flows),
            "slides": len(content.slides), "lexicon": len(content.lexicon),
            "intents": len(content.intents),
            "laws": len(content.laws),
            "cases": len(content.cases),
        }, now)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def read_bundle(path: Path | str) -> tuple[dict[str, Any], ContentSet, list[IndexRow]]:
    """Verify every file of a bundle against its manifest and load it."""
    path = Path(path)
    problems: list[ContentError] = []
    try:
        manifest = json.loads((path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ContentInvalid(
            [ContentError(MANIFEST, None, None, None, f"unreadable: {exc}")]) from exc
    if manifest.get("format") != BUNDLE_FORMAT:
        problems.append(ContentError(MANIFEST, None, None, "format",
                                     f"unsupported bundle format {manifest.get('format')!r}"))
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    for required in REQUIRED_FILES:
        if required not in files:
            problems.append(ContentError(MANIFEST, None, None, "files",
                                         f"{required} is not listed in the manifest"))
    for name, meta in files.items():
        file = path / name
        if not file.is_file():
            problems.append(ContentError(name, None, None, None, "missing from bundle"))
        elif file.stat().st_size != meta["size"] or sha256_file(file) != meta["sha256"]:
            problems.append(ContentError(name, None, None, None, "sha256 does not match manifest"))
    if problems:
        raise ContentInvalid(problems)
    content = ContentSet.model_validate_json((path / "content.json").read_bytes())
    rows = [IndexRow(**r) for r in json.loads((path / "search.json").read_text("utf-8"))]
    return manifest, content, rows


def read_answers(path: Path | str) -> list[AnswerDoc] | None:
    """The answer documents of a verified bundle folder; None when it has none (older)."""
    file = Path(path) / ANSWERS
    if not file.is_file():
        return None
    return load_documents(json.loads(file.read_text("utf-8")))
