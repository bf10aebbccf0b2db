"""Request body caps: one pure ASGI middleware in front of every route.

Each request gets a limit from its method and path: ``max_body_bytes`` (small) unless the
route is one where uploads or batches belong (ROUTE_LIMITS). A declared Content-Length over
the limit is refused with 413 before a byte of the body is read; a body without one
(chunked) is counted as it streams and cut off with 413 when it passes the limit, whatever
the route was doing with it. The connection is then closed, so the rest is never read.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import AsyncIterator, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from protocol.handoff import HANDOFF_PATH, MAX_HANDOFF_BYTES
from server.settings import ServerSettings
from server.staff_photos import MAX_UPLOAD as MAX_PHOTO_BYTES

log = logging.getLogger(__name__)
FORM_OVERHEAD = 64 * 1024  # the CSRF field, part headers and boundaries around a file
MAX_SCREENSHOT_BYTES = 5_000_000
MAX_FORM_FIELD_BYTES = 64 * 1024  # a text field: the longest (10,000 characters) fits
Limit = Callable[[ServerSettings], int]


def _json_batch(settings: ServerSettings) -> int:
    return settings.max_json_bytes


# (method, full path pattern, limit): the only routes allowed more than max_body_bytes.
ROUTE_LIMITS: tuple[tuple[str, re.Pattern[str], Limit], ...] = (
    ("PUT", re.compile(r"/api/v1/content/files/[^/]+"), lambda s: s.max_upload_bytes),
    ("POST", re.compile(r"/content/upload"), lambda s: s.max_upload_bytes + FORM_OVERHEAD),
    ("POST", re.compile(r"/staff/\d+/photo"), lambda _s: MAX_PHOTO_BYTES + FORM_OVERHEAD),
    ("POST", re.compile(r"/api/v1/terminals/screenshot"), lambda _s: MAX_SCREENSHOT_BYTES),
    ("POST", re.compile(re.escape(HANDOFF_PATH)), lambda _s: MAX_HANDOFF_BYTES),  # a PDF
    # terminal batches and health reports, bundle manifests, hash lists, calendars
    ("POST", re.compile(r"/api/v1/(outbox|heartbeat|commands/\d+/ack|content/bundles"
                        r"|content/files/missing|calendar/import)"), _json_batch),
)


def body_limit(settings: ServerSettings, method: str, path: str) -> int:
    """The largest body accepted for method and path."""
    for route_method, pattern, limit in ROUTE_LIMITS:
        if method == route_method and pattern.fullmatch(path):
            return limit(settings)
    return settings.max_body_bytes


def form_limits(settings: ServerSettings) -> dict[str, int]:
    """Limits for parsing a submitted form: fields, files (one at most) and a text field's
    bytes; the same for FastAPI's Form parameters and the routes that parse forms
    themselves (Request.form caches the first parse)."""
    return {"max_fields": settings.max_form_fields, "max_files": 1,
            "max_part_size": MAX_FORM_FIELD_BYTES}


async def closing_request(request: Request) -> AsyncIterator[None]:
    """A dependency closing the form's spooled files after the route, also when a later
    check (CSRF, role) refused it; declare it before the user. (Starlette closes only the
    forms FastAPI itself parsed for Form and File parameters.)"""
    try:
        yield
    finally:
        await request.close()


class BodyTooLarge(HTTPException):
    """Raised from receive() when a streamed body passes its limit (a 413 to any handler)."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"request body too large (limit {limit} bytes)")


def _size(limit: int) -> str:
    return f"{limit / 1_000_000:.1f} MB" if limit >= 1_000_000 else f"{limit // 1024} KB"


def too_large_response(path: str, accept: str, content_type: str, limit: int
                       ) -> tuple[str, bytes]:
    """The content type and body of the 413 answer: a page for a browser's form or page
    request, JSON for everything else."""
    zh = f"提交的内容太大，服务器最多接受 {_size(limit)}。"
    en = f"The request body is too large: the server accepts at most {_size(limit)}."
    browser = "text/html" in accept or content_type.startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded"))
    if path.startswith("/api/") or not browser:
        body = {"error": "body_too_large", "message": zh, "message_en": en,
                "detail": f"request body too large (limit {limit} bytes)"}
        return "application/json", json.dumps(body, ensure_ascii=False).encode()
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>文件太大 / Too large</title></head><body><h1>文件太大 / Too large</h1>"
            f"<p>{html.escape(zh)}</p><p lang=\"en\">{html.escape(en)}</p></body></html>")
    return "text/html; charset=utf-8", page.encode()


class BodyLimitMiddleware:
    """Refuse or cut off request bodies larger than their route's limit (see module doc)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        settings: ServerSettings = scope["app"].state.settings  # as the routes see them
        limit = body_limit(settings, method, path)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            log.warning("%s %s refused: Content-Length %s over the limit of %d", method, path,
                        declared.decode(), limit)
            await self._refuse(scope, send, limit)
            return
        received, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the route made of the cut-off body: the 413 is ours
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            log.warning("%s %s cut off: body passed the limit of %d bytes", method, path, limit)
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        headers = dict(scope["headers"])
        content_type, body = too_large_response(
            scope["path"], headers.get(b"accept", b"").decode("latin-1"),
            headers.get(b"content-type", b"").decode("latin-1"), limit)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", content_type.encode()), (b"connection", b"close"),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
