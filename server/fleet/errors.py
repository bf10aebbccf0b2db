"""The one fleet error: an HTTP status and a message for the caller."""

from __future__ import annotations


class FleetError(Exception):
    """A refused fleet operation: HTTP status and a message for the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message
