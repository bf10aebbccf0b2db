"""Bring the configured content into the terminal store and load the active version.

A source folder is fingerprinted first, so an unchanged folder costs one
hash pass at start-up instead of a rebuild. A broken source or bundle never
replaces the version already in the store.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.active import STORE_FILE, at_head, read_active, read_manifest
from content.bundle import MANIFEST, build_bundle, read_answers, read_bundle
from content.errors import ContentInvalid
from content.library import Library

if TYPE_CHECKING:
    from content.store import ContentStore

log = logging.getLogger(__name__)
SEED = Path(__file__).parent / "seed"


@dataclass
class InstallResult:
    """The library to show, and the error that kept newer content out, if any."""

    library: Library | None
    error: str = ""


def source_fingerprint(src: Path) -> str:
    """sha256 over every file's relative path and bytes in a source folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        digest.update(path.relative_to(src).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def open_store(data_dir: Path) -> ContentStore:
    """The store for writing, created or migrated first. SQLAlchemy and the migrations are
    imported here, so a start that only reads its content never imports them."""
    from content.store import ContentStore, open_engine

    return ContentStore(open_engine(data_dir / STORE_FILE))


def _bundle_dir(source: Path, data_dir: Path, manifest: dict[str, Any] | None) -> Path | None:
    """The bundle to import, building a source folder when it changed; None if current."""
    if (source / MANIFEST).exists():
        return source
    fingerprint = source_fingerprint(source)
    if manifest and manifest.get("source_sha256") == fingerprint:
        return None
    out = data_dir / "bundles" / "local"
    build_bundle(source, out)
    (out / "source.sha256").write_text(fingerprint)
    return out


def _copy_media(bundle: Path, manifest: dict[str, object], media_dir: Path) -> None:
    files = manifest.get("files", {})
    assert isinstance(files, dict)
    for name, meta in files.items():
        if name.startswith("media/"):
            target = media_dir / meta["sha256"]
            if not target.exists():
                media_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(bundle / name, target.with_suffix(".part"))
                target.with_suffix(".part").replace(target)


def install_and_load(data_dir: Path, source: str = "") -> InstallResult:
    """Import the configured content (or the seed) if newer, then load the active version."""
    store = None if at_head(data_dir / STORE_FILE) else open_store(data_dir)
    error = ""
    src = Path(source) if source else SEED
    try:
        active = read_manifest(data_dir / STORE_FILE)
        # The built-in seed only fills an empty store; it never replaces synced content.
        seed_only = not source and active is not None
        bundle = None if seed_only else _bundle_dir(src, data_dir, active)
        if bundle is not None:
            manifest, content, rows = read_bundle(bundle)
            fingerprint = bundle / "source.sha256"
            if fingerprint.exists():
                manifest["source_sha256"] = fingerprint.read_text().strip()
            _copy_media(bundle, manifest, data_dir / "media")
            store = store or open_store(data_dir)
            store.import_content(manifest, content, rows, read_answers(bundle))
    except ContentInvalid as exc:
        error = f"content from {src} rejected: {exc}\n{exc.report()}"
        log.error(error)
    except OSError as exc:
        error = f"content from {src} unreadable: {exc}"
        log.error(error)
    library = load_library(data_dir)
    if library is None:
        return InstallResult(None, error or "no content installed")
    return InstallResult(library, error)


def load_library(data_dir: Path, store: ContentStore | None = None) -> Library | None:
    """The active version of the terminal store as a Library (None when empty)."""
    if store is not None:
        active = store.active()
    else:
        if not at_head(data_dir / STORE_FILE):
            open_store(data_dir)  # a new store gets its tables, an older one is migrated
        active = read_active(data_dir / STORE_FILE)
    if active is None:
        return None
    overlay = active.manifest.get("overlay") or {}
    # A hall overlay's media (its slide images) sit beside the province's, under their own names.
    files = {**active.manifest.get("files", {}), **overlay.get("files", {})}
    return Library(active.version, active.content, active.index,
                   media={name: data_dir / "media" / str(meta["sha256"])
                          for name, meta in files.items() if name.startswith("media/")},
                   notices=list(overlay.get("notices", [])),
                   hall_points=list(overlay.get("points", [])), answer_docs=active.answers)
