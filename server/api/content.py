"""Content routes: editors publish signed bundles, terminals fetch manifests and files.

Publishing uploads only missing files (by sha256), then the signed manifest, accepted
when its signature verifies with ``content_public_key`` and every listed file is stored.
A hall overlay is stored under the channel key ``<channel>@<hall>``; for a terminal of
that hall ``GET /content/manifest`` adds ``X-Overlay-Sha256`` and its ETag covers both
manifests, so one conditional request still answers "anything new?" (304 when not).
The overlay manifest itself comes from ``GET /content/overlay``. Publishing an overlay on
the stable channel also puts its notices on the hall record for the calling display, in the
same transaction (``server/hall_notices.py``).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from content.signing import (
    CHANNEL,
)
from server import publishing
from server.deps import get_session, get_settings
from server.models import Bundle, Hall, MediaBlob, Terminal, User
from server.publishing import BundleInfo, BundleList, BundleUpload, channel_key
from server.security import require_role
from server.settings import ServerSettings
from server.storage import (
    SHA256_PATTERN,
    MediaStorage,
    UploadRejected,
    get_storage,
    range_satisfiable,
)
from server.terminal_auth import current_terminal

log = logging.getLogger(__name__)
router = APIRouter(tags=["content"])
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN, description="lower-case hex sha256")]
Channel = Annotated[str, Query(pattern=CHANNEL.pattern.replace("\\Z", "$"),
                               description="content channel")]
Editor = Annotated[User, Depends(require_role("editor"))]
DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServerSettings, Depends(get_settings)]
Storage = Annotated[MediaStorage, Depends(get_storage)]
SignedBy = Annotated[Terminal, Depends(current_terminal)]


class HashList(BaseModel):
    """File hashes to check."""
    hashes: list[Annotated[str, Field(pattern=SHA256_PATTERN)]] = Field(max_length=100_000)


class MissingFiles(BaseModel):
    """The hashes the server does not store yet."""
    missing: list[str]


class StoredFile(BaseModel):
    """A file the server stores."""
    sha256: str
    size: int


# The signed manifest is sent byte for byte (its signature covers the bytes), so it is
# described here rather than parsed into a model (content/signing.py parse_manifest checks it).
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["format", "version", "channel", "files"],
                   "properties": {
                       "format": {"type": "integer"}, "version": {"type": "string"},
                       "channel": {"type": "string"},
                       "hall": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                       "files": {"type": "object", "additionalProperties": {
                           "type": "object", "required": ["sha256", "size"],
                           "properties": {"sha256": {"type": "string"},
                                          "size": {"type": "integer", "minimum": 0}}}}}}
MANIFEST_REPLY: dict[str, Any] = {"content": {"application/json": {"schema": MANIFEST_SCHEMA}},
                  "description": "the exact signed manifest"}


def _latest(session: Session, key: str) -> Bundle | None:
    return session.scalar(select(Bundle).where(Bundle.channel == key)
                          .order_by(Bundle.id.desc()).limit(1))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _matches(if_none_match: str | None, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}
    return "*" in tags or etag in tags


@router.post("/content/files/missing")
def missing_files(body: HashList, _editor: Editor, session: DbSession,
                  storage: Storage) -> MissingFiles:
    """Which of these hashes still have to be uploaded."""
    wanted = list(dict.fromkeys(body.hashes))
    known: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        known.update(session.execute(select(MediaBlob.sha256, MediaBlob.size)
                                     .where(MediaBlob.sha256.in_(chunk))).all())
    return MissingFiles(missing=[h for h in wanted
                                 if h not in known or storage.size(h) != known[h]])


@router.put("/content/files/{sha256}", status_code=201, responses={
    400: {"description": "content does not have this sha256"},
    413: {"description": "larger than max_upload_bytes"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload_file(sha256: Sha256, request: Request, editor: Editor, session: DbSession,
                      settings: Settings, storage: Storage) -> StoredFile:
    """Store one file under its sha256 (raw body; checked before it is kept)."""
    # An over-long body is refused before it is read: server/body_limit.py.
    upload = storage.upload(sha256, settings.max_upload_bytes)
    try:
        async for chunk in request.stream():
            await run_in_threadpool(upload.write, chunk)
        size = await run_in_threadpool(upload.finish)
    except UploadRejected as exc:
        upload.abort()
        log.warning("upload %s by %r refused: %s", sha256[:12], editor.username, exc.message)
        raise HTTPException(exc.status, exc.message) from None
    except BaseException:
        upload.abort()
        raise
    if session.get(MediaBlob, sha256) is None:
        session.add(MediaBlob(sha256=sha256, size=size))
        try:
            session.commit()
        except IntegrityError:  # the same file, uploaded at the same moment by someone else
            session.rollback()
    return StoredFile(sha256=sha256, size=size)


@router.post("/content/bundles", status_code=201, responses={
    400: {"description": "signature does not verify"},
    409: {"description": "files missing, version exists, or publishing not configured"},
    422: {"description": "malformed manifest"}})
def publish_bundle(body: BundleUpload, editor: Editor, session: DbSession, settings: Settings,
                   storage: Storage) -> BundleInfo:
    """Record a signed bundle once its signature and every listed file check out."""
    return publishing.publish(session, settings, storage, editor, body)


@router.get("/content/bundles")
def list_bundles(_user: Annotated[User, Depends(require_role("editor", "it_admin"))],
                 session: DbSession, limit: Annotated[int, Query(ge=1, le=1000)] = 100
                 ) -> BundleList:
    """Published versions, newest first, with how many terminals run each."""
    return publishing.bundle_list(session, limit)


@router.get("/content/manifest", responses={
    200: MANIFEST_REPLY,
    304: {"description": "unchanged since If-None-Match"}, 404: {"description": "none"}})
def get_manifest(request: Request, terminal: SignedBy, session: DbSession,
                 channel: Channel = "stable") -> Response:
    """The latest province manifest of the channel (ETag also covers the hall's overlay)."""
    bundle = _latest(session, channel)
    if bundle is None:
        raise HTTPException(404, f"nothing published on channel {channel!r}")
    hall = session.scalar(select(Hall.code).where(Hall.id == terminal.hall_id))
    overlay = _latest(session, channel_key(channel, hall)) if hall else None
    digest = _sha256(bundle.manifest)
    if overlay is not None:
        digest = hashlib.sha256(f"{digest}+{_sha256(overlay.manifest)}".encode()).hexdigest()
    etag = f'"{digest}"'
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    headers = {"ETag": etag, "X-Content-Signature": bundle.signature}
    if overlay is not None:
        headers["X-Overlay-Sha256"] = _sha256(overlay.manifest)
    return Response(bundle.manifest.encode("utf-8"), media_type="application/json",
                    headers=headers)


@router.get("/content/overlay", responses={
    200: MANIFEST_REPLY,
    404: {"description": "no overlay for this terminal's hall"}})
def get_overlay(terminal: SignedBy, session: DbSession, channel: Channel = "stable"
                ) -> Response:
    """The latest overlay manifest for the terminal's hall on the channel."""
    hall = session.scalar(select(Hall.code).where(Hall.id == terminal.hall_id))
    overlay = _latest(session, channel_key(channel, hall)) if hall else None
    if overlay is None:
        raise HTTPException(404, "no overlay for this terminal's hall")
    return Response(overlay.manifest.encode("utf-8"), media_type="application/json",
                    headers={"ETag": f'"{_sha256(overlay.manifest)}"',
                             "X-Content-Signature": overlay.signature})


@router.get("/content/files/{sha256}", response_class=FileResponse, responses={
    206: {"description": "the requested range"}, 404: {"description": "not stored"},
    416: {"description": "range not satisfiable"}})
def download_file(sha256: Sha256, request: Request, _terminal: SignedBy,
                  storage: Storage) -> Response:
    """One stored file; supports Range (206 Partial Content)."""
    size = storage.size(sha256)
    if size is None:
        raise HTTPException(404, "file not stored")
    requested = request.headers.get("range")
    if requested is not None and not range_satisfiable(requested, size):
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    return FileResponse(storage.path(sha256), media_type="application/octet-stream")
