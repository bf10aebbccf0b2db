"""Routes of the console area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["console"])
