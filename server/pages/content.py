"""The content editors' page: published versions, where they run, and publishing a zip."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from server.body_limit import closing_request, form_limits
from server.content_upload import UploadRefused, publish_archive
from server.deps import get_session, get_settings
from server.models import User
from server.pages.rendering import PageRoute, render
from server.publishing import PublishError, bundle_list
from server.security import require_role
from server.settings import ServerSettings
from server.storage import MediaStorage, get_storage

log = logging.getLogger(__name__)
router = APIRouter(tags=["console"], route_class=PageRoute, include_in_schema=False)
ContentUser = Annotated[User, Depends(require_role("editor", "it_admin"))]
DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServerSettings, Depends(get_settings)]


def _content_page(request: Request, session: Session, user: User, status: int = 200,
                  published: str | None = None, **context: Any) -> HTMLResponse:
    listing = bundle_list(session, limit=200)
    if published is not None and any(b.version == published for b in listing.bundles):
        context["done"] = (f"已发布内容版本 {published}。终端会在下次同步内容时获取，"
                           "并在访客离开后切换。")
    settings: ServerSettings = request.app.state.settings
    return render(request, "content.html", user, status, bundles=listing.bundles,
                  running=sorted(listing.terminals_by_version.items(),
                                 key=lambda item: -item[1]),
                  max_upload_mb=settings.max_upload_bytes // 1_000_000, **context)


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, session: DbSession, user: ContentUser,
                 published: str | None = None) -> HTMLResponse:
    """Every published version with how many terminals run it, and the upload form."""
    # ?published= is where an upload redirects to; only a listed version is announced.
    return _content_page(request, session, user, published=published)


@router.post("/content/upload", response_class=HTMLResponse)
async def upload_bundle(request: Request,
                        _closing: Annotated[None, Depends(closing_request)],
                        user: ContentUser, session: DbSession, settings: Settings,
                        storage: Annotated[MediaStorage, Depends(get_storage)]) -> Response:
    """Publish a signed bundle uploaded as a zip; back to /content naming the version."""
    form = await request.form(**form_limits(settings))  # parsed by the CSRF check already
    upload = form.get("bundle")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise UploadRefused("请选择要上传的内容包（.zip 文件）。")
        if upload.size is not None and upload.size > settings.max_upload_bytes:
            raise UploadRefused(f"文件超过服务器的上限 {settings.max_upload_bytes // 1_000_000} "
                                "MB。", 413)
        info = await run_in_threadpool(publish_archive, upload.file, user, session, settings,
                                       storage)
    except (UploadRefused, PublishError) as exc:
        name = upload.filename if isinstance(upload, UploadFile) else None
        log.warning("content upload %r by %r refused: %s", name, user.username, exc.message)
        return await run_in_threadpool(_content_page, request, session, user, exc.status,
                                       error=exc.message)
    log.info("content %s uploaded through the page by %r", info.version, user.username)
    return RedirectResponse(f"/content?published={quote(info.version)}", status_code=303)
