"""Routes of the auth area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["auth"])
