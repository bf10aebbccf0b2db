"""A published hall overlay's notices (通知公告) on the hall record, for the calling display.

Terminals read notices from the overlay they sync; the calling display reads
the hall board, whose notices come from ``Hall.overlay``. Publishing an
overlay on the stable channel copies its notices there in the publishing
transaction and adds a ``notices`` entry to the hall's feed, so a display
fetches the new board at once. Other channels are for trying content on pilot
terminals and leave the hall's public screen alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from content.overlay import Overlay
from content.signing import DEFAULT_CHANNEL
from protocol.enums import QueueEventKind
from server.models import Hall, utcnow
from server.queue.core import record
from server.storage import MediaStorage

DISPLAY_CHANNEL = DEFAULT_CHANNEL


def overlay_notices(storage: MediaStorage, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The notices of an overlay whose files are stored; ValueError if it is no overlay."""
    stored = storage.path(manifest["files"]["content.json"]["sha256"])
    try:
        overlay = Overlay.model_validate_json(stored.read_bytes())
    except OSError as exc:
        raise ValueError(f"content.json cannot be read: {exc}") from None
    notices: list[dict[str, Any]] = overlay.model_dump(mode="json")["notices"]
    return notices


def show_notices(session: Session, hall: Hall, notices: list[dict[str, Any]], version: str,
                 actor: str) -> None:
    """Put notices on the hall record and tell the hall's displays (in session's transaction)."""
    hall.overlay = {**(hall.overlay or {}), "notices": notices, "content_version": version}
    record(session, None, hall.id, QueueEventKind.NOTICES_CHANGED, actor, utcnow(), version=version,
           count=len(notices))
