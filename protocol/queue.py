"""The queue on the wire: taking a ticket, the hall's services, the board, feed events.

Replies ignore fields they do not know (a newer server may add some); requests forbid them.
Times are timezone-aware (UTC on the wire).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocol.enums import Priority, QueueEventKind, TicketState, WindowState
from protocol.text import RefusesNul


def window_numbers(numbers: list[int] | tuple[int, ...], separator: str = "、") -> str:
    """Window numbers as a visitor reads them: "3" or "3、4"."""
    return separator.join(str(number) for number in numbers)


class Reply(BaseModel):
    """A reply from the server: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class Request(RefusesNul):
    """A body sent to the server: unknown fields and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid")


class TicketRequest(Request):
    """POST /api/v1/queue/tickets: what a terminal sends to take a ticket."""

    service: str = Field(min_length=1, max_length=40)
    priority: Priority = Priority.NORMAL
    appointment_code: str | None = Field(None, max_length=20)
    idempotency_key: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")


class HallRef(Reply):
    """A hall by code and name."""

    code: str
    name: str


class TicketStatus(Reply):
    """A ticket's state and place in the queue, as anyone who follows it sees it."""

    number: str
    state: TicketState
    priority: Priority
    service: str
    service_name: str
    service_name_en: str = ""
    day: str
    issued_at: AwareDatetime | None
    called_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    call_count: int = 0
    window: int | None = None
    window_name: str | None = None
    close_reason: str = ""
    rated: bool = False
    people_ahead: int | None = None
    wait_minutes: int | None = None
    # The numbers of the hall's windows that serve the ticket's service (from the hall's queue
    # setup: content names the service, never the window); empty when none is set up.
    service_windows: list[int] = Field(default_factory=list)


class TicketView(TicketStatus):
    """A ticket as terminals and the console see it."""

    id: int
    visitor: bool = False


class PhoneStatus(TicketStatus):
    """GET /t/{token}/status: the ticket as its visitor's phone page shows it."""

    state_text: str


class TicketIssued(TicketView):
    """The reply to taking a ticket: the ticket, its phone page token and the hall."""

    token: str
    hall_name: str = ""
    issued_at: AwareDatetime
    people_ahead: int = 0


class WaitingTicket(TicketView):
    """A ticket of the console's waiting list."""

    target_window: int | None = None
    held_at_window: int | None = None


class SkippedTicket(TicketView):
    """A ticket marked 过号 today, newest first: the console can call it back (回呼)."""

    skipped_at_window: int | None = None
    skipped_at: AwareDatetime | None = None


class ServiceView(Reply):
    """One of the hall's services: open now or when it opens, waiting and estimated wait."""

    code: str
    name: str
    name_en: str = ""
    prefix: str
    open: bool
    opens_at: AwareDatetime | None = None
    waiting: int
    wait_minutes: int
    target_wait: int | None = None
    hours: dict[str, Any] = Field(default_factory=dict)
    windows: list[int] = Field(default_factory=list)  # numbers of the windows serving it


class ServicesReply(Reply):
    """GET /api/v1/queue/services."""

    hall: HallRef
    services: list[ServiceView]


class WindowView(Reply):
    """A window on the board: its state, who staffs it, the ticket at it."""

    id: int
    number: int
    name: str = ""
    state: WindowState
    pause_reason: str = ""
    staff: str | None = None
    staff_name: str = ""
    staff_no: str = ""
    staff_photo: str = ""  # the photo's media sha256
    services: list[str] = Field(default_factory=list)
    current: TicketView | None = None


class WindowReply(Reply):
    """The reply to a window action (sign in, pause, resume, close)."""

    number: int
    state: WindowState
    pause_reason: str = ""


class RecentCall(Reply):
    """A call of today, newest first on the board."""

    event_id: int
    number: str
    window: int
    recall: bool = False
    at: AwareDatetime | None = None


class Board(Reply):
    """GET /api/v1/queue/board: what a calling display shows, with its feed position."""

    hall: HallRef
    day: str
    now: AwareDatetime
    last_event_id: int
    windows: list[WindowView]
    services: list[ServiceView]
    recent_calls: list[RecentCall]
    notices: list[dict[str, Any] | str] = Field(default_factory=list)


class StaffMember(Reply):
    """The signed-in staff member."""

    id: int
    username: str
    role: str


class HelpRequest(Request):
    """POST /api/v1/queue/help: a visitor pressed 呼叫工作人员 on this screen."""

    screen: str = Field(min_length=1, max_length=40)  # the screen's name (guide_detail ...)
    title: str = Field("", max_length=100)  # what its header showed the visitor


class HelpAlert(Reply):
    """A visitor's call for staff, as the consoles show it until someone acknowledges it."""

    id: int  # the feed event of the request
    terminal: str  # "3 号终端", or the name IT gave the terminal
    screen: str
    title: str = ""
    at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str = ""


class StaffBoard(Board):
    """GET /api/v1/queue/staff/board: the board, the waiting list and who is asking."""

    waiting: list[WaitingTicket]
    no_shows: list[SkippedTicket] = []
    me: StaffMember
    help: list[HelpAlert] = []  # visitors waiting for staff (呼叫工作人员), oldest first


class QueueEvent(Reply):
    """One entry of a hall's feed (the data of a server-sent event, with its id and kind).

    at is when it happened; the other fields depend on the kind (ticket events carry the
    ticket, its number and service; window events the window and its state).
    """

    model_config = ConfigDict(extra="allow")
    id: int
    kind: QueueEventKind
    at: AwareDatetime
    actor: str = ""
    ticket: int | None = None
    window: int | None = None
    number: str | None = None
    service: str | None = None
    state: str | None = None

    @property
    def is_call(self) -> bool:
        """Whether the event calls a visitor to a window."""
        return self.kind in (QueueEventKind.CALLED, QueueEventKind.RECALLED,
                             QueueEventKind.RESUMED) and bool(self.number) and bool(self.window)


class QueueRefusal(Reply):
    """A refused queue request: a code and the reason in Chinese and English."""

    error: str
    message: str = ""
    message_en: str = ""
    about: str = ""
