"""Profiles, states and event kinds: one StrEnum each, event kinds in one tense (past)."""

from __future__ import annotations

from enum import StrEnum


class Profile(StrEnum):
    """What a terminal is used for (chosen when it is accepted)."""

    QUERY = "query"
    ROBOT = "robot"
    DISPENSER = "dispenser"
    DISPLAY = "display"
    RATER = "rater"


class TicketState(StrEnum):
    """Where a ticket is; a transferred ticket waits in its new queue."""

    WAITING = "waiting"
    TRANSFERRED = "transferred"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class WindowState(StrEnum):
    """A service window: open, paused with a reason, or closed."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Priority(StrEnum):
    """Who is served first: checked-in appointments, then 绿色通道, then everyone."""

    APPOINTMENT = "appointment"
    GREEN = "green"
    NORMAL = "normal"


class QueueEventKind(StrEnum):
    """What happened in a hall's queue, as its feed and each ticket's log name it."""

    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    RESUMED = "resumed"  # 回呼: a held ticket called back
    STARTED = "started"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    NO_SHOW_UNDONE = "no_show_undone"  # 过号 taken back within the undo time: called again
    HELD = "held"
    TRANSFERRED = "transferred"
    REGISTERED = "registered"  # 服务台账 recorded
    CLOSED = "closed"  # a ticket left open at day end (ticket log only)
    WINDOW_CHANGED = "window_changed"
    DAY_CLOSED = "day_closed"
    NOTICES_CHANGED = "notices_changed"
    HELP_REQUESTED = "help_requested"  # 呼叫工作人员 on a terminal (hall feed only)
    HELP_ACKNOWLEDGED = "help_acknowledged"  # staff answered it (已处理)


# The kinds that call a visitor to a window (spoken by the calling display).
CALL_KINDS = frozenset({QueueEventKind.CALLED, QueueEventKind.RECALLED, QueueEventKind.RESUMED})
# Feed kinds renamed to the past tense (migration 0009 rewrites stored rows).
RENAMED_KINDS = {"start": QueueEventKind.STARTED, "finish": QueueEventKind.FINISHED,
                 "hold": QueueEventKind.HELD, "window": QueueEventKind.WINDOW_CHANGED,
                 "notices": QueueEventKind.NOTICES_CHANGED}


class OutboxKind(StrEnum):
    """What a terminal's outbox item carries."""

    RATING = "rating"
    COMPLAINT = "complaint"
    USAGE_SCREEN = "usage.screen"
    USAGE_SEARCH = "usage.search"
    USAGE_UNANSWERED = "usage.unanswered"  # a question the terminal had no confident answer to
    CASE = "case"  # an application (call-back request, legal-aid pre-application)


class DeviceState(StrEnum):
    """A device's state in a heartbeat."""

    OK = "ok"
    OFFLINE = "offline"
    DISABLED = "disabled"
    ERROR = "error"


class EnrolmentStatus(StrEnum):
    """Where a terminal's enrolment stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
