"""Routes of the content area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["content"])
