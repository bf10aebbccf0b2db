"""One-time document links: a PDF kept for 30 minutes, served once, then gone.

Each document is a file ``storage_dir/handoff/<token>.pdf`` named by an unguessable token.
Serving renames it first (atomic: of two phones only one wins), then reads and deletes it;
expired files are removed whenever a document is stored or asked for. Nothing about the
visitor is kept anywhere else.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from protocol.handoff import HANDOFF_MINUTES

TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")


class HandoffStore:
    """The folder of documents waiting for a phone."""

    def __init__(self, folder: Path, lifetime: float = HANDOFF_MINUTES * 60) -> None:
        self.folder, self.lifetime = folder, lifetime

    def put(self, data: bytes) -> str:
        """Keep the document; return its token."""
        self.purge()
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        partial = self.folder / f".{token}.tmp"
        partial.write_bytes(data)
        partial.rename(self.folder / f"{token}.pdf")  # never seen half-written
        return token

    def take(self, token: str) -> bytes | None:
        """The document, once; None when unknown, already taken or expired."""
        self.purge()
        if not TOKEN.match(token):
            return None
        source = self.folder / f"{token}.pdf"
        taken = self.folder / f".{token}.taken"
        try:
            os.rename(source, taken)
        except FileNotFoundError:
            return None
        try:
            return taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)

    def purge(self) -> int:
        """Delete expired documents (and leftovers of interrupted writes); return how many."""
        if not self.folder.is_dir():
            return 0
        horizon = time.time() - self.lifetime
        removed = 0
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < horizon:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # taken meanwhile
        return removed
