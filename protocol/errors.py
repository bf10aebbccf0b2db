"""How a terminal's request to the server can fail, shared by every client of the server
(the provisioning agent, the content sync, the queue link)."""

from __future__ import annotations


class ServerError(Exception):
    """Any failure talking to the server."""


class ServerUnavailable(ServerError):
    """The server could not be reached, timed out or failed (5xx), after retries.

    retry_after: the seconds the server asked the client to wait (a 503 with Retry-After,
    e.g. a process holding as many live streams as it may), else None."""

    def __init__(self, message: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ServerRefused(ServerError):
    """The server refused the request (4xx) and said why."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    @property
    def revoked(self) -> bool:
        """Whether the server cut this terminal off."""
        return self.status == 403 and self.message == "terminal revoked"


class ServerReplyInvalid(ServerError):
    """The server answered, but its reply is not what the protocol says (not JSON, or a
    field missing or of the wrong type): a server of another version, or a proxy's page."""
