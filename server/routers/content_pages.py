"""The content editors' page: published versions, where they run, how to publish."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from server.deps import get_session
from server.models import User
from server.pages import PageRoute, render
from server.routers.content import list_bundles
from server.security import require_role

router = APIRouter(tags=["console"], route_class=PageRoute, include_in_schema=False)


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, session: Annotated[Session, Depends(get_session)],
                 user: Annotated[User, Depends(require_role("editor", "it_admin"))]
                 ) -> HTMLResponse:
    """Every published version, newest first, with how many terminals run it."""
    listing = list_bundles(user, session, limit=200)
    return render(request, "content.html", user, bundles=listing.bundles,
                  running=sorted(listing.terminals_by_version.items(),
                                 key=lambda item: -item[1]))
