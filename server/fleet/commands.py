"""Commands for terminals: queueing one, the SQL test for waiting ones, the acknowledgement.

Functions raise :class:`~server.fleet.errors.FleetError` with an HTTP status for refusals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol import commands as messages
from protocol import config as schema
from server.fleet.errors import FleetError
from server.models import Command, Terminal, utcnow


def commands_waiting(terminal_id: Any, now: Any) -> Any:
    """An SQL EXISTS: whether a terminal has unacknowledged, unexpired commands (now: a
    datetime or a bound parameter)."""
    return select(Command.id).where(Command.terminal_id == terminal_id,
                                    Command.acked_at.is_(None), Command.expires_at > now).exists()


def queue_command(session: Session, terminal_id: int, kind: str, payload: Any = None,
                  ttl_seconds: int = 600) -> Command:
    """Validate and queue a command for a terminal (flushed)."""
    try:
        checked = messages.validate_command(kind, payload)
    except schema.ConfigSchemaError as exc:
        raise FleetError(422, str(exc)) from None
    if not 1 <= ttl_seconds <= 7 * 86400:
        raise FleetError(422, "a command expires after 1 second to 7 days")
    command = Command(terminal_id=terminal_id, kind=kind, payload=checked,
                      expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds))
    session.add(command)
    session.flush()
    return command


def acknowledge(session: Session, terminal: Terminal, command_id: int, ok: bool,
                result: dict[str, Any]) -> tuple[Command, bool]:
    """Record a command's outcome once; returns the command and whether it was a repeat."""
    command = session.get(Command, command_id, with_for_update=True)
    if command is None or command.terminal_id != terminal.id:
        raise FleetError(404, f"no command {command_id} for this terminal")
    if command.acked_at is not None:
        return command, True
    command.acked_at, command.result = utcnow(), {**result, "ok": ok}
    session.commit()
    return command, False
