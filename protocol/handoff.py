"""The document handoff: a terminal uploads a filled-in PDF, the server keeps it behind a
one-time link for the visitor's phone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

HANDOFF_PATH = "/api/v1/terminals/handoff"  # POST the PDF (application/pdf), signed
HANDOFF_MINUTES = 30
MAX_HANDOFF_BYTES = 5 * 1024 * 1024


class HandoffStored(BaseModel):
    """Where the phone fetches the document, once, before it expires."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str  # absolute: the QR code carries it
    expires_in: int  # seconds
