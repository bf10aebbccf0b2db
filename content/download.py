"""Resumable, verified downloads into a content-addressed folder (``files/<sha256>``).

A file is received as ``<sha256>.part``; an interrupted transfer keeps the
part and continues it with an HTTP Range request, now or at the next sync.
Only a part with the right size and sha256 is renamed to its final name, so
whatever sits under a hash is that file, complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import requests

from content.bundle import sha256_file
from protocol.errors import ServerError, ServerRefused

log = logging.getLogger(__name__)
API_FILES = "/content/files/"
ATTEMPTS = 3
CHUNK = 1 << 16
Get = Callable[[str, Mapping[str, str] | None, bool], requests.Response]


class DownloadError(Exception):
    """A file could not be downloaded or did not verify; the message says which and why."""


def write_chunk(handle: IO[bytes], chunk: bytes) -> None:
    """The one place downloads touch the disk (a full disk surfaces here)."""
    handle.write(chunk)


class Downloader:
    """Fetches missing files by hash through a signed GET, counting what it received."""

    def __init__(self, get: Get, folder: Path):
        self.get = get
        self.folder = folder
        self.files = 0
        self.bytes = 0

    def fetch_missing(self, manifests: list[dict[str, Any]]) -> None:
        """Download every file the manifests list that the folder does not hold yet."""
        wanted = {meta["sha256"]: (name, meta["size"])
                  for manifest in manifests for name, meta in manifest["files"].items()}
        missing = {sha: entry for sha, entry in wanted.items()
                   if not (self.folder / sha).exists()}
        needed = sum(size for _, size in missing.values())
        free = shutil.disk_usage(self.folder).free
        if needed > free:
            raise DownloadError(f"not enough disk space: {needed:,} bytes to download, "
                                f"{free:,} free")
        for sha, (name, size) in missing.items():
            self.download(sha, name, size)

    def download(self, sha: str, name: str, size: int) -> None:
        """Bring one file to folder/<sha>, resuming its part; DownloadError if it fails."""
        part, last = self.folder / f"{sha}.part", ""
        if size == 0:
            part.touch()
        for attempt in range(ATTEMPTS):
            offset = part.stat().st_size if part.exists() else 0
            if offset > size:
                part.unlink()
                offset = 0
            if offset < size:
                try:
                    self._fetch(sha, part, offset)
                except (requests.RequestException, ServerError) as exc:
                    if isinstance(exc, ServerRefused) and exc.status != 416:
                        raise DownloadError(f"{name}: server refused the download: {exc}"
                                            ) from None
                    if isinstance(exc, ServerRefused):  # our part is longer than the file
                        part.unlink(missing_ok=True)
                    last = f"{type(exc).__name__}: {exc}"
                    log.warning("download of %s interrupted at byte %d: %s", name,
                                part.stat().st_size if part.exists() else 0, last)
                    time.sleep(0.2 * attempt)
                    continue
            if part.stat().st_size < size:
                last = "the connection closed before the end of the file"
                continue
            if part.stat().st_size != size or sha256_file(part) != sha:
                part.unlink()
                raise DownloadError(f"{name}: downloaded file does not match the manifest's "
                                    "sha256 (tampered or corrupt); discarded")
            os.replace(part, self.folder / sha)
            self.files += 1
            return
        raise DownloadError(f"{name}: download failed after {ATTEMPTS} attempts ({last}); the "
                            "partial file is kept and resumed by the next sync")

    def _fetch(self, sha: str, part: Path, offset: int) -> None:
        headers = {"Range": f"bytes={offset}-"} if offset else None
        response = self.get(API_FILES + sha, headers, True)
        with contextlib.closing(response):
            if response.status_code == 206:
                if not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                    raise DownloadError(f"unexpected Content-Range for {sha[:12]}")
                mode = "ab"
            elif response.status_code == 200:
                mode = "wb"  # the server ignored Range: start again
            else:
                raise DownloadError(f"unexpected HTTP {response.status_code} for {sha[:12]}")
            with part.open(mode) as handle:
                for chunk in response.iter_content(CHUNK):
                    write_chunk(handle, chunk)
                    self.bytes += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())


def link_media(files: Path, media: Path, sha: str) -> None:
    """Make a verified file visible to the app as media/<sha256> (where install.py puts media)."""
    target = media / sha
    if target.exists():
        return
    try:
        os.link(files / sha, target)
    except FileExistsError:
        return
    except OSError:  # a file system without hard links: copy, then rename into place
        shutil.copyfile(files / sha, target.with_suffix(".part"))
        os.replace(target.with_suffix(".part"), target)


def remove_unused(folders: tuple[Path, ...], kept: set[str]) -> None:
    """Delete files (and parts) named by a sha256 that is not in kept."""
    for folder in folders:
        for path in folder.iterdir():
            sha = path.name.removesuffix(".part")
            if len(sha) == 64 and sha not in kept:
                path.unlink(missing_ok=True)
