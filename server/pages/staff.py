"""窗口人员公示: a supervisor keeps the name, staff number and optional photo that the
hall's rating pads show beside each window (``/staff``)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from server.body_limit import closing_request, form_limits
from server.deps import PathId, get_session
from server.models import User
from server.pages.rendering import PageRoute, redirect_with_notice, render
from server.security import require_role
from server.staff_photos import MAX_UPLOAD, PhotoRejected, store
from server.storage import MediaStorage, get_storage

log = logging.getLogger(__name__)
router = APIRouter(tags=["staff pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
Storage = Annotated[MediaStorage, Depends(get_storage)]
PUBLIC_ROLES = ("staff", "supervisor")  # accounts that serve at a window


def _staff(session: Session, supervisor: User) -> list[User]:
    if supervisor.hall_id is None:
        raise HTTPException(status_code=403, detail="no hall")
    return list(session.scalars(select(User).where(
        User.hall_id == supervisor.hall_id, User.role.in_(PUBLIC_ROLES), User.active)
        .order_by(User.staff_no, User.username)))


def _member(session: Session, supervisor: User, user_id: int) -> User:
    """One account of the supervisor's hall; 404 for any other (not revealed)."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if (user is None or supervisor.hall_id is None or user.hall_id != supervisor.hall_id
            or user.role not in PUBLIC_ROLES):
        raise HTTPException(status_code=404)
    return user


def _page(request: Request, session: Session, supervisor: User, *, status: int = 200,
          error: str = "", error_for: int = 0) -> Response:
    return render(request, "staff.html", supervisor, status, nav="staff",
                  staff=_staff(session, supervisor), error=error, error_for=error_for,
                  max_mb=MAX_UPLOAD // 1024 // 1024)


@router.get("/staff")
def staff_page(request: Request, session: DbSession, user: Supervisor) -> Response:
    """Every window account of the hall with what its rating pad shows."""
    return _page(request, session, user)


@router.post("/staff/{user_id}")
def save_details(request: Request, user_id: PathId, session: DbSession, user: Supervisor,
                 full_name: Annotated[str, Form(max_length=200)] = "",
                 staff_no: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Name and staff number as shown to visitors."""
    member = _member(session, user, user_id)
    full_name, staff_no = full_name.strip(), staff_no.strip()
    if len(full_name) > 40 or len(staff_no) > 20:
        return _page(request, session, user, status=422, error_for=member.id,
                     error="姓名最多 40 个字，工号最多 20 个字符。")
    member.full_name, member.staff_no = full_name, staff_no
    session.commit()
    log.info("%r set the 公示 of %r: %s %s", user.username, member.username, full_name,
             staff_no)
    return redirect_with_notice(request, "/staff", "staff_saved")


@router.post("/staff/{user_id}/photo")
async def upload_photo(request: Request, user_id: PathId,
                       _closing: Annotated[None, Depends(closing_request)],
                       session: DbSession, user: Supervisor, storage: Storage) -> Response:
    """Replace the photo: checked, cut to a portrait and stored; the pads fetch it. The
    form is read only here, after the session, role and CSRF checks (a File parameter
    would be read before them); decoding and writing run in the thread pool."""
    member = await run_in_threadpool(_member, session, user, user_id)
    form = await request.form(**form_limits(request.app.state.settings))
    photo = form.get("photo")
    data = (await photo.read(MAX_UPLOAD + 1)) if isinstance(photo, UploadFile) else b""
    try:
        sha256 = await run_in_threadpool(store, storage, data)
    except PhotoRejected as error:
        return await run_in_threadpool(partial(_page, request, session, user, status=422,
                                               error=str(error), error_for=member.id))
    await run_in_threadpool(_save_photo, session, member, sha256)
    log.info("%r set the photo of %r (%s)", user.username, member.username, sha256[:12])
    return redirect_with_notice(request, "/staff", "photo_saved")


def _save_photo(session: Session, member: User, sha256: str) -> None:
    member.photo_sha256 = sha256
    session.commit()


@router.post("/staff/{user_id}/photo/remove")
def remove_photo(request: Request, user_id: PathId, session: DbSession, user: Supervisor
                 ) -> Response:
    """No photo on the pads any more (the name and number stay)."""
    member = _member(session, user, user_id)
    member.photo_sha256 = None
    session.commit()
    log.info("%r removed the photo of %r", user.username, member.username)
    return redirect_with_notice(request, "/staff", "photo_removed")


@router.get("/staff/{user_id}/photo")
def photo(user_id: PathId, session: DbSession, user: Supervisor, storage: Storage) -> Response:
    """The stored portrait, for the page."""
    member = _member(session, user, user_id)
    if not member.photo_sha256 or storage.size(member.photo_sha256) is None:
        raise HTTPException(status_code=404)
    return FileResponse(storage.path(member.photo_sha256), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=86400"})
