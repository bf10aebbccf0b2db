"""The document handoff routes: a terminal uploads a PDF, a phone fetches it once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from protocol.handoff import HANDOFF_PATH, HandoffStored
from server.handoff import HandoffStore
from server.models import Terminal
from server.terminal_auth import current_terminal

PDF_SIGNATURE = b"%PDF-"


uploads = APIRouter(tags=["handoff"])  # its body limit: server.body_limit.ROUTE_LIMITS
router = APIRouter(tags=["handoff"], include_in_schema=False)


def store(request: Request) -> HandoffStore:
    """The handoff folder under the server's storage."""
    return HandoffStore(request.app.state.settings.storage_dir / "handoff")


@uploads.post(HANDOFF_PATH, openapi_extra={"requestBody": {
    "required": True, "content": {"application/pdf": {"schema": {"type": "string",
                                                                  "format": "binary"}}}}})
async def upload(request: Request,
                 terminal: Annotated[Terminal, Depends(current_terminal)]) -> HandoffStored:
    """Keep a visitor's PDF for 30 minutes behind a one-time link."""
    data = await request.body()
    if not data.startswith(PDF_SIGNATURE):
        raise HTTPException(status_code=415, detail="a handed-off document must be a PDF")
    handoff = store(request)
    token = handoff.put(data)
    return HandoffStored(url=str(request.url_for("handoff_document", token=token)),
                         expires_in=int(handoff.lifetime))


@router.get("/d/{token}", name="handoff_document")
def document(request: Request, token: str) -> Response:
    """The document, once; afterwards (or after 30 minutes) 404."""
    data = store(request).take(token)
    if data is None:
        raise HTTPException(status_code=404, detail="this link has been used or has expired "
                            "(该链接已使用或已过期)")
    return Response(data, media_type="application/pdf", headers={
        "Cache-Control": "no-store", "Content-Disposition": 'inline; filename="document.pdf"'})


router.include_router(uploads)
