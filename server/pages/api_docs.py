"""The API documentation in production mode: ``/openapi.json``, ``/docs`` and ``/redoc``
for a signed-in IT admin only (outside production FastAPI serves them to everyone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from server.models import User
from server.pages.rendering import PageRoute
from server.security import require_role

ItAdmin = Annotated[User, Depends(require_role("it_admin"))]
document = APIRouter(include_in_schema=False)
pages = APIRouter(include_in_schema=False, route_class=PageRoute)  # sign-in redirect


@document.get("/openapi.json")
def openapi_document(request: Request, _user: ItAdmin) -> JSONResponse:
    """The OpenAPI document."""
    return JSONResponse(request.app.openapi())


@pages.get("/docs")
def swagger_page(request: Request, _user: ItAdmin) -> HTMLResponse:
    """Swagger UI over the document."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} API")


@pages.get("/redoc")
def redoc_page(request: Request, _user: ItAdmin) -> HTMLResponse:
    """ReDoc over the document."""
    return get_redoc_html(openapi_url="/openapi.json", title=f"{request.app.title} API")


router = APIRouter()
router.include_router(document)
router.include_router(pages)
