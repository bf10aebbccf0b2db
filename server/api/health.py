"""Liveness and readiness: the process answers and the database is reachable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.deps import get_session

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server answers and its database is reachable."""

    status: str
    database: str  # sqlite or postgresql


@router.get("/health")
def health(session: Annotated[Session, Depends(get_session)]) -> Health:
    """Report that the server and its database work."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)
