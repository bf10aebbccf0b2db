"""Routes of the devices area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["devices"])
