"""Opening hours of a service, in the hall's local time (China Standard Time).

The rules live in :mod:`protocol.hours`, shared with the terminal (its after-hours
screen uses the same tables); this module keeps the server's names for them.
"""

from __future__ import annotations

from protocol.hours import (
    LOCAL_TIME,
    WEEKDAYS,
    HoursError,
    describe_opening,
    is_open,
    local_day,
    local_now,
    next_opening,
    validate_hours,
)

__all__ = ["LOCAL_TIME", "WEEKDAYS", "HoursError", "describe_opening", "is_open", "local_day",
           "local_now", "next_opening", "validate_hours"]
