"""Applications terminals deliver through their outbox (outbox kind "case"): a call-back
request, a legal-aid pre-application, typed perhaps while the terminal was offline.

The outbox receipt and the case are written in one transaction, so an application is
stored exactly once however often the terminal resends it; the terminal's own code and
token are kept (the receipt printed them before delivery) and the case is dated when
the visitor made it, bounded against clock skew. A refused item keeps its receipt, so
the terminal stops resending it, and the refusal is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from protocol.cases import CaseItem
from protocol.feedback import acted_at
from server.cases import steps as case_steps
from server.cases.errors import CaseError
from server.models import Hall, Terminal, utcnow

log = logging.getLogger(__name__)


def apply(session: Session, terminal: Terminal, key: str, payload: dict[str, Any], *,
          received: dt.datetime | None = None, queued: dt.datetime | None = None) -> str:
    """Store the application one outbox item carries (not committed): "stored" (also for
    a repeat), or "refused: code"."""
    received = received or utcnow()
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
    try:
        if hall is None:
            raise CaseError("not_found")
        item = CaseItem.model_validate(payload)
        with session.begin_nested():
            case, created = case_steps.create(
                session, hall, item.kind, name=item.name, phone=item.phone,
                matter=item.matter, details=item.details, source="terminal",
                actor=f"terminal:{terminal.device_id[:12]}", terminal_id=terminal.id,
                idempotency_key=key, code=item.code, token=item.token,
                at=acted_at(item.at or queued, received), received_at=received)
    except CaseError as error:
        log.warning("terminal %s case %s refused: %s", terminal.id, key, error)
        return f"refused: {error.code}"
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        log.warning("terminal %s case %s malformed: %r", terminal.id, key, error)
        return "refused: malformed"
    log.info("hall %s: %s case %s from terminal %s%s", hall.code, case.kind, case.id,
             terminal.id, "" if created else " (again)")
    return "stored"
