"""The terminal's content sync: fetch, verify, download what is missing, switch atomically.

One run (:func:`sync_once`) asks for the manifest with the stored ETag (304
when nothing changed), verifies its Ed25519 signature with the public key the
terminal received at enrolment, refuses a manifest for another channel or
hall, downloads only files whose sha256 is missing from ``data_dir/files``
(resuming ``<sha256>.part`` with HTTP Range), verifies every hash, assembles
the bundle in a staging folder and imports it into the ContentStore, which
switches versions in one SQLite transaction and keeps the previous one.

Files enter ``files/`` and ``media/`` only complete and verified, under their
own hash, and the state file is written after the switch; so a kill at any
moment leaves the old version or the new one, never a mix. Any failure keeps
the last good version and comes back as a failed :class:`SyncResult`.
:class:`SyncWorker` runs this in its own thread, never on the UI thread.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import requests
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from content.answers.index import documents
from content.bundle import MANIFEST, read_answers, read_bundle
from content.download import Downloader, DownloadError, link_media, remove_unused
from content.errors import ContentInvalid
from content.merge import merge_overlay
from content.overlay import read_overlay
from content.signing import ManifestInvalid, SignatureInvalid, parse_manifest, verify_bytes
from content.store import ContentStore, ContentVersion, open_engine
from protocol.errors import ServerError, ServerRefused

log = logging.getLogger(__name__)
API = "/api/v1"
PublicKey = bytes | str | Path


class SignedSession(Protocol):
    """What the sync needs from the terminal's HTTP client (provisioning.client.TerminalClient)."""

    def request(self, method: str, path: str, *, json: Any = None,
                data: bytes | str | None = None, headers: Mapping[str, str] | None = None,
                stream: bool = False) -> requests.Response:
        """Send one signed request; 2xx/3xx come back, 4xx/5xx raise ServerError."""


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: unchanged, applied a version, or failed (with the reason)."""

    status: Literal["unchanged", "applied", "failed"]
    version: str | None
    downloaded_files: int = 0
    downloaded_bytes: int = 0
    seconds: float = 0.0
    error: str = ""


class SyncError(Exception):
    """A sync step failed; the message says what and why."""


class _Run:
    """One sync run's context."""

    def __init__(self, session: SignedSession, data_dir: Path, public_key: PublicKey,
                 channel: str, hall: str | None, store: ContentStore):
        self.session, self.public_key, self.store = session, public_key, store
        self.channel, self.hall = channel, hall
        self.files = data_dir / "files"
        self.media = data_dir / "media"
        self.work = data_dir / "sync"
        self.state_file = self.work / "state.json"
        self.downloads = Downloader(self._get, self.files)
        for folder in (self.files, self.media, self.work):
            folder.mkdir(parents=True, exist_ok=True)

    def active_version(self) -> str | None:
        """The version the terminal shows now."""
        return next((v for v, state in self.store.versions() if state == "active"), None)

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text("utf-8"))
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_state(self, etag: str, version: str) -> None:
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"etag": etag, "version": version, "hall": self.hall,
                                         "channel": self.channel}), "utf-8")
        os.replace(temporary, self.state_file)

    def _get(self, path: str, headers: Mapping[str, str] | None = None,
             stream: bool = False) -> requests.Response:
        response = self.session.request("GET", API + path, headers=headers, stream=stream)
        if response.status_code >= 400:  # a session that does not raise on errors itself
            response.close()
            raise ServerRefused(response.status_code, response.reason or "")
        return response

    def _verified(self, data: bytes, signature: str, hall: str | None) -> dict[str, Any]:
        try:
            verify_bytes(self.public_key, data, signature)
            manifest = parse_manifest(data)
        except SignatureInvalid as exc:
            raise SyncError(f"{exc} (tampered, or signed with another key); refused") from None
        except ManifestInvalid as exc:
            raise SyncError(f"bad manifest: {exc}; refused") from None
        if manifest["channel"] != self.channel:
            raise SyncError(f"manifest is for channel {manifest['channel']!r}, this terminal "
                            f"follows {self.channel!r}; refused")
        if manifest["hall"] != hall:
            mine = f"hall {hall!r}" if hall else "the province bundle"
            raise SyncError(f"manifest is for hall {manifest['hall']!r}, expected {mine}; "
                            "refused")
        return manifest

    def run(self) -> Literal["unchanged", "applied"]:
        """Sync; return "unchanged" or "applied" (SyncError and others on failure)."""
        state, active = self._state(), self.active_version()
        conditional = (state.get("etag") and state.get("version") == active
                       and state.get("channel") == self.channel and state.get("hall") == self.hall)
        try:
            response = self._get(f"/content/manifest?channel={self.channel}",
                                 {"If-None-Match": str(state["etag"])} if conditional else None)
        except ServerRefused as exc:
            if exc.status == 404:
                raise SyncError(f"nothing published on channel {self.channel!r}") from None
            raise
        if response.status_code == 304:
            return "unchanged"
        etag = response.headers.get("ETag", "")
        signed = [(response.content, self._verified(
            response.content, response.headers.get("X-Content-Signature", ""), None))]
        overlay_sha = response.headers.get("X-Overlay-Sha256")
        if overlay_sha:
            if self.hall is None:
                raise SyncError("the server sends a hall overlay but this terminal has no hall "
                                "configured; refused")
            overlay = self._get(f"/content/overlay?channel={self.channel}")
            if hashlib.sha256(overlay.content).hexdigest() != overlay_sha:
                raise SyncError("overlay changed during the sync; next sync picks it up")
            signed.append((overlay.content, self._verified(
                overlay.content, overlay.headers.get("X-Content-Signature", ""), self.hall)))
        target = "+".join(m["version"] for _, m in signed)
        if target != active:
            self.downloads.fetch_missing([m for _, m in signed])
            self._apply(signed, target)
        self._save_state(etag, target)
        return "applied" if target != active else "unchanged"

    def _stage(self, data: bytes, manifest: dict[str, Any], folder: Path) -> None:
        for name, meta in manifest["files"].items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(self.files / meta["sha256"], target)
            except OSError:  # a file system without hard links
                shutil.copyfile(self.files / meta["sha256"], target)
        (folder / MANIFEST).write_bytes(data)

    def _apply(self, signed: list[tuple[bytes, dict[str, Any]]], target: str) -> None:
        staging = self.work / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        self._stage(*signed[0], staging / "province")
        manifest, content, rows = read_bundle(staging / "province")
        stored = {**manifest, "version": target}
        answers = read_answers(staging / "province")
        if len(signed) > 1:
            self._stage(*signed[1], staging / "overlay")
            overlay_manifest, overlay, overlay_rows = read_overlay(staging / "overlay")
            content, rows = merge_overlay(content, rows, overlay, overlay_rows)
            stored["province_version"] = manifest["version"]
            stored["overlay"] = {"version": overlay_manifest["version"], "hall": overlay.hall,
                                 "files": overlay_manifest["files"],
                                 # the hall's own points: its hours and phone go on slips
                                 "points": [point.id for point in overlay.points],
                                 **overlay.model_dump(mode="json", include={"notices",
                                                                            "windows"})}
            # the overlay's FAQ and guides are answers too: segment the merged content
            # here, off the UI thread, rather than on the first question
            answers = documents(content)
        for files in (stored["files"], stored.get("overlay", {}).get("files", {})):
            for name, meta in files.items():
                if name.startswith("media/"):
                    link_media(self.files, self.media, meta["sha256"])
        self.store.import_content(stored, content, rows, answers)
        shutil.rmtree(staging, ignore_errors=True)
        kept: set[str] = set()
        with Session(self.store.engine) as session:
            for manifest in session.scalars(select(ContentVersion.manifest)):
                for files in (manifest.get("files", {}),
                              (manifest.get("overlay") or {}).get("files", {})):
                    kept |= {str(meta.get("sha256")) for meta in files.values()}
        remove_unused((self.files, self.media), kept)


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"disk full while syncing: {exc}"
    if isinstance(exc, ContentInvalid):
        return f"bundle rejected: {exc.report()}"
    if isinstance(exc, ServerError):
        return f"server: {exc}"
    if isinstance(exc, SQLAlchemyError):
        return f"content store: {exc}"
    if isinstance(exc, SyncError | DownloadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def sync_once(session: SignedSession, data_dir: Path | str, public_key: PublicKey, *,
              channel: str = "stable", hall: str | None = None,
              store: ContentStore | None = None) -> SyncResult:
    """Run one sync; on any failure the active version stays and the result says why."""
    started = time.monotonic()
    data_dir, own, run, version = Path(data_dir), store is None, None, None
    status: Literal["unchanged", "applied", "failed"]
    try:
        store = store or ContentStore(open_engine(data_dir / "terminal.sqlite3"))
        run = _Run(session, data_dir, public_key, channel, hall, store)
        status, error = run.run(), ""
    except Exception as exc:  # every failure is reported the same way and keeps the old version
        status, error = "failed", _describe(exc)
        if not isinstance(exc, SyncError | DownloadError | ServerError | OSError
                          | ContentInvalid):
            log.exception("content sync failed unexpectedly")
    try:
        version = run.active_version() if run is not None else None
    except SQLAlchemyError as exc:
        status, error = "failed", error or _describe(exc)
    finally:
        if own and store is not None:
            store.engine.dispose()
    files, size = (run.downloads.files, run.downloads.bytes) if run else (0, 0)
    if error:
        log.error("content sync failed, keeping %s: %s", version or "no content", error)
    elif status == "applied":
        log.info("content %s applied (%d files, %d bytes downloaded)", version, files, size)
    return SyncResult(status, version, files, size, time.monotonic() - started, error)


class SyncWorker(threading.Thread):
    """Syncs every interval (with jitter) in its own thread; sync_now() wakes it early."""

    def __init__(self, session: SignedSession, data_dir: Path | str, public_key: PublicKey, *,
                 interval: float = 300, channel: str = "stable", hall: str | None = None,
                 on_result: Callable[[SyncResult], None] | None = None):
        super().__init__(name="content-sync", daemon=True)
        self.session, self.data_dir, self.public_key = session, Path(data_dir), public_key
        self.interval, self.channel, self.hall = interval, channel, hall
        self.on_result = on_result  # called on this thread: marshal to the UI thread there
        self.last_result: SyncResult | None = None
        self._wake, self._stopping = threading.Event(), threading.Event()

    def run(self) -> None:
        """Sync until stopped."""
        while not self._stopping.is_set():
            self.last_result = sync_once(self.session, self.data_dir, self.public_key,
                                         channel=self.channel, hall=self.hall)
            if self.on_result is not None:
                try:
                    self.on_result(self.last_result)
                except Exception:
                    log.exception("content sync listener failed")
            self._wake.wait(self.interval * random.uniform(0.9, 1.1))
            self._wake.clear()

    def sync_now(self) -> None:
        """Run the next sync at once (the reload-content command)."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the current sync and wait for the thread."""
        self._stopping.set()
        self._wake.set()
        self.join(timeout)
