"""Content-addressed file storage: ``storage_dir/media/<aa>/<sha256>``.

An upload is written to ``storage_dir/tmp``, hashed and counted while it is
written, flushed to disk and only then renamed into place, so a stored file
always has the content its name promises and a crash leaves at most a stray
temporary file (removed on the next start).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from fastapi import Request

SHA256_PATTERN = r"^[0-9a-f]{64}$"
_SHA256 = re.compile(SHA256_PATTERN)
_DIGITS = re.compile(r"[0-9]+")


class UploadRejected(Exception):
    """An upload that must not be stored: HTTP status and the reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def is_sha256(value: str) -> bool:
    """Whether value is a lower-case hex sha256."""
    return bool(_SHA256.fullmatch(value))


class Upload:
    """One file being received: written to a temporary file, hashed and counted."""

    def __init__(self, storage: MediaStorage, sha256: str, max_bytes: int):
        self.storage, self.sha256, self.max_bytes = storage, sha256, max_bytes
        descriptor, name = tempfile.mkstemp(prefix=f"{sha256[:12]}-", dir=storage.tmp)
        self.path = Path(name)
        self.handle: BinaryIO = os.fdopen(descriptor, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append a chunk; UploadRejected(413) once the size limit is passed."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise UploadRejected(413, f"upload larger than the limit of {self.max_bytes} bytes")
        self.digest.update(chunk)
        self.handle.write(chunk)

    def finish(self) -> int:
        """Check the hash, make the file durable and move it into place; return its size."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        actual = self.digest.hexdigest()
        if actual != self.sha256:
            self.abort()
            raise UploadRejected(400, f"content has sha256 {actual}, not {self.sha256} "
                                 "(corrupted or tampered upload)")
        target = self.storage.path(self.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, 0o644)
        os.replace(self.path, target)
        return self.size

    def abort(self) -> None:
        """Drop the temporary file."""
        if not self.handle.closed:
            self.handle.close()
        self.path.unlink(missing_ok=True)


class MediaStorage:
    """Files by sha256 under one root folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.media = self.root / "media"
        self.tmp = self.root / "tmp"
        self.media.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives (whether or not it exists)."""
        if not is_sha256(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.media / sha256[:2] / sha256

    def size(self, sha256: str) -> int | None:
        """Size of a stored file, or None when it is not stored."""
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def upload(self, sha256: str, max_bytes: int) -> Upload:
        """Start receiving the file with this hash."""
        if not is_sha256(sha256):
            raise UploadRejected(422, "the path must end in a lower-case hex sha256")
        return Upload(self, sha256, max_bytes)

    def clean_temporary(self, older_than: float = 3600) -> int:
        """Remove temporary files of interrupted uploads older than older_than seconds."""
        # Age, not mere presence: another server process may be receiving that file now.
        horizon, removed = time.time() - older_than, 0
        for stray in self.tmp.iterdir():
            try:
                if stray.stat().st_mtime < horizon:
                    stray.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def range_satisfiable(header: str, size: int) -> bool:
    """Whether every part of a bytes Range header is well formed and satisfiable."""
    unit, _, ranges = header.partition("=")
    if unit.strip() != "bytes" or not ranges.strip():
        return False
    for part in ranges.split(","):
        first, dash, last = part.strip().partition("-")
        if not dash or not (first or last) or not _DIGITS.fullmatch(first + last):
            return False
        if first and (int(first) >= size or (last and int(last) < int(first))):
            return False
        if not first and int(last) == 0:
            return False
    return True


def get_storage(request: Request) -> MediaStorage:
    """The process's media storage (created, and old temporary files cleaned, on first use)."""
    state = request.app.state
    if not hasattr(state, "media_storage"):
        storage = MediaStorage(state.settings.storage_dir)
        storage.clean_temporary()
        state.media_storage = storage
    media_storage: MediaStorage = state.media_storage
    return media_storage
