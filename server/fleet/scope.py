"""Which part of the fleet an IT admin sees and acts on: one hall, or the whole province.

An ``it_admin`` account with a hall (``User.hall_id``, set by ``hallkiosk admin
create-user --hall``) is limited to that hall: its terminals with their commands,
screenshots and settings, its enrolment tokens, and the pending requests that carry
that hall. An account without a hall is province-wide and sees everything.

Pending enrolment requests carry no hall: a terminal that enrols with a token is
accepted into the token's hall at once and never waits, and nothing in a request
without a token proves which hall the device stands in. So only province-wide admins
see and decide requests without a hall; a hall's own admin enrols its terminals with
tokens for the hall. (A hall admin who could accept any anonymous request could take
another hall's device into their own.)

A terminal, token or hall outside the scope is treated as if it did not exist, so a
hall admin learns nothing about other halls (the console answers 404); each such
attempt is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from server.models import Hall, Terminal, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetScope:
    """The hall an IT admin is limited to (None: the whole province), and who they are."""

    hall_id: int | None = None
    username: str = ""

    @classmethod
    def of(cls, user: User) -> FleetScope:
        """The scope of a signed-in IT admin."""
        return cls(user.hall_id, user.username)

    def covers(self, hall_id: int | None) -> bool:
        """Whether something of hall_id (None: of no hall) is within the scope."""
        return self.hall_id is None or hall_id == self.hall_id

    def where(self, hall_column: Any) -> ColumnElement[bool]:
        """An SQL condition keeping the rows whose hall_column is within the scope."""
        condition: ColumnElement[bool] = (true() if self.hall_id is None
                                          else hall_column == self.hall_id)
        return condition

    def refused(self, what: str, number: int) -> None:
        """Log an attempt on something outside the scope."""
        log.warning("it_admin %r of hall #%s refused %s #%d: outside the hall", self.username,
                    self.hall_id, what, number)

    def terminal(self, session: Session, terminal_id: int) -> Terminal | None:
        """The terminal when it exists within the scope, else None (logged when elsewhere)."""
        terminal = session.get(Terminal, terminal_id)
        if terminal is not None and not self.covers(terminal.hall_id):
            self.refused("terminal", terminal_id)
            return None
        return terminal

    def hall(self, session: Session, hall_id: int) -> Hall | None:
        """The hall when it exists within the scope, else None (logged when elsewhere)."""
        hall = session.get(Hall, hall_id)
        if hall is not None and not self.covers(hall.id):
            self.refused("hall", hall_id)
            return None
        return hall


PROVINCE = FleetScope()  # the whole province: the CLI and province-wide admins
