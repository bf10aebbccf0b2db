"""Reading the ledger: the hall's entries filtered and searched a page at a time, one entry
with its ticket, rating and case, and the counts the monthly archive summarises.

Every query is bound to one hall: the supervisor's own. An entry of another hall is not
found, never refused (no existence oracle)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from protocol.personal import mask_name, mask_phone
from server.cases.models import Case as CaseItem
from server.cases.rules import shown_code
from server.fleet.queries import local_time
from server.ledger.models import LedgerEntry
from server.models import Service, User, Window, as_utc
from server.queue.hours import LOCAL_TIME
from server.queue.models import Ticket, TicketEvent
from server.ratings.followup_views import actor_names
from server.ratings.models import FollowUp, Rating
from server.ratings.rules import LEVELS

PAGE_SIZE = 50
QUERY_MAX = 100  # characters of a search
RESULT_FILTERS = {"": "全部", "filled": "已填写办理结果", "empty": "未填写办理结果"}
NO_CATEGORY = "未分类"
TICKET_STATES = {"waiting": "等候中", "transferred": "已转移", "called": "已叫号",
                 "serving": "办理中", "held": "挂起", "finished": "已办结", "no_show": "过号",
                 "cancelled": "已取消"}
EVENT_NAMES = {"issued": "取号", "called": "叫号", "recalled": "重呼", "resumed": "回呼",
               "started": "开始办理", "finished": "办结", "no_show": "过号",
               "no_show_undone": "撤销过号", "held": "挂起", "transferred": "转移",
               "registered": "登记台账", "closed": "日终关闭"}
PRIORITIES = {"appointment": "预约", "green": "绿色通道", "normal": "普通"}


@dataclass
class Filters:
    """What the supervisor asked for: a range of days and optional narrowing."""

    start: dt.date
    end: dt.date
    window_id: int | None = None
    staff_id: int | None = None
    service_id: int | None = None
    result: str = ""  # a key of RESULT_FILTERS
    q: str = ""

    def query(self) -> str:
        """The filters as a query string for links (pages, export)."""
        values = {"start": self.start.isoformat(), "end": self.end.isoformat(),
                  "window": self.window_id or "", "staff": self.staff_id or "",
                  "service": self.service_id or "", "result": self.result, "q": self.q}
        return urlencode({key: value for key, value in values.items() if value != ""})


@dataclass
class CaseLink:
    """The case (一案一码) an entry belongs to: its code and page."""

    code: str
    url: str


@dataclass
class Options:
    """The choices of the filter form: the hall's windows, staff and services."""

    windows: list[tuple[int, str]] = field(default_factory=list)
    staff: list[tuple[int, str]] = field(default_factory=list)
    services: list[tuple[int, str]] = field(default_factory=list)


def options(session: Session, hall_id: int) -> Options:
    """The hall's windows, people (by name) and services for the filter form."""
    windows = [(w.id, f"{w.number} 号 {w.name}") for w in session.scalars(
        select(Window).where(Window.hall_id == hall_id).order_by(Window.number))]
    people = [(u.id, u.full_name or u.username) for u in session.scalars(
        select(User).where(User.hall_id == hall_id, User.role.in_(("staff", "supervisor")))
        .order_by(User.full_name, User.username))]
    services = [(s.id, s.name) for s in session.scalars(
        select(Service).where(Service.hall_id == hall_id).order_by(Service.code))]
    return Options(windows, people, services)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(hall_id: int, filters: Filters) -> Select[LedgerEntry]:
    """The hall's entries matching filters, newest first (not yet paged)."""
    query = select(LedgerEntry).where(
        LedgerEntry.hall_id == hall_id, LedgerEntry.day >= filters.start.isoformat(),
        LedgerEntry.day <= filters.end.isoformat())
    if filters.window_id is not None:
        query = query.where(LedgerEntry.window_id == filters.window_id)
    if filters.staff_id is not None:
        query = query.where(LedgerEntry.staff_id == filters.staff_id)
    if filters.service_id is not None:
        query = query.where(LedgerEntry.service_id == filters.service_id)
    if filters.result == "filled":
        query = query.where(LedgerEntry.result != "")
    elif filters.result == "empty":
        query = query.where(LedgerEntry.result == "")
    for word in filters.q.lower().split()[:5]:  # every word somewhere in the entry
        query = query.where(LedgerEntry.search_text.like(_like(word), escape="\\"))
    return query.order_by(LedgerEntry.day.desc(), LedgerEntry.id.desc())


def count(session: Session, hall_id: int, filters: Filters) -> int:
    """How many entries match."""
    query = filtered(hall_id, filters).order_by(None).with_only_columns(func.count())
    return session.scalar(query) or 0


def _names(session: Session, entries: list[LedgerEntry]) -> dict[str, dict[int, Any]]:
    def by_id(model: Any, ids: set[int | None]) -> dict[int, Any]:
        wanted = {i for i in ids if i is not None}
        return {row.id: row for row in session.scalars(
            select(model).where(model.id.in_(wanted)))} if wanted else {}
    return {"service": by_id(Service, {e.service_id for e in entries}),
            "window": by_id(Window, {e.window_id for e in entries}),
            "staff": by_id(User, {e.staff_id for e in entries})}


def ratings_of(session: Session, ticket_ids: list[int]) -> dict[int, Rating]:
    """Each ticket's rating (一次一评), by ticket id."""
    if not ticket_ids:
        return {}
    return {r.ticket_id: r for r in session.scalars(
        select(Rating).where(Rating.ticket_id.in_(ticket_ids))) if r.ticket_id is not None}


def case_links(session: Session, entries: list[LedgerEntry]) -> dict[int, CaseLink]:
    """The case (一案一码) each entry's visit opened, by entry id: a case of the entry's hall
    with the visitor's phone, made on the day of the visit (a legal-aid application or a
    call-back request made at the terminal before or after the window). The first such case
    when there are several."""
    phones = {e.phone for e in entries if e.phone}
    if not phones:
        return {}
    days = sorted(e.day for e in entries if e.phone)
    begin = dt.datetime.combine(dt.date.fromisoformat(days[0]), dt.time(), LOCAL_TIME)
    end = dt.datetime.combine(dt.date.fromisoformat(days[-1]) + dt.timedelta(days=1),
                              dt.time(), LOCAL_TIME)
    cases = session.execute(
        select(CaseItem.id, CaseItem.code, CaseItem.hall_id, CaseItem.phone, CaseItem.created_at)
        .where(CaseItem.phone.in_(phones),
               CaseItem.hall_id.in_({e.hall_id for e in entries}),
               CaseItem.created_at >= begin.astimezone(dt.UTC),
               CaseItem.created_at < end.astimezone(dt.UTC))
        .order_by(CaseItem.id)).all()
    first: dict[tuple[int, str, str], CaseLink] = {}
    for case in cases:
        day = as_utc(case.created_at).astimezone(LOCAL_TIME).date().isoformat()
        first.setdefault((case.hall_id, case.phone, day),
                         CaseLink(shown_code(case.code), f"/cases/{case.id}"))
    return {e.id: first[key] for e in entries
            if (key := (e.hall_id, e.phone, e.day)) in first}


def rows(session: Session, entries: list[LedgerEntry], *, masked: bool) -> list[dict[str, Any]]:
    """Entries as the list and the exports show them: names instead of ids, the rating's
    level, the case; name and phone masked (张*, 138****5678) when masked is set."""
    names = _names(session, entries)
    ratings = ratings_of(session, [e.ticket_id for e in entries])
    cases = case_links(session, entries)
    result = []
    for entry in entries:
        service = names["service"].get(entry.service_id or 0)
        window = names["window"].get(entry.window_id or 0)
        staff = names["staff"].get(entry.staff_id or 0)
        rating = ratings.get(entry.ticket_id)
        case = cases.get(entry.id)
        result.append({
            "id": entry.id, "ticket_id": entry.ticket_id, "day": entry.day,
            "time": local_time(entry.recorded_at)[11:16], "number": entry.number,
            "category": service.name if service else NO_CATEGORY,
            "window": f"{window.number} 号窗口" if window else "—",
            "staff": (staff.full_name or staff.username) if staff else "—",
            "name": mask_name(entry.name) if masked else entry.name,
            "phone": mask_phone(entry.phone) if masked and entry.phone else entry.phone,
            "matter": entry.matter, "process": entry.process, "result": entry.result,
            "rating_level": rating.level if rating else None,
            "rating": LEVELS.get(rating.level, "") if rating else "",
            "case": case})
    return result


def page_of(session: Session, hall_id: int, filters: Filters,
            page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of matching entries (masked, as the list shows them) and the total."""
    total = count(session, hall_id, filters)
    entries = list(session.scalars(filtered(hall_id, filters)
                                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return rows(session, entries, masked=True), total


def entry_view(session: Session, hall_id: int, entry_id: int) -> dict[str, Any] | None:
    """One entry of the hall with its ticket (times, state, its log), rating and case;
    None when the hall has no such entry."""
    entry = session.get(LedgerEntry, entry_id)
    if entry is None or entry.hall_id != hall_id:
        return None
    row = rows(session, [entry], masked=False)[0]
    ticket = session.get(Ticket, entry.ticket_id)
    events = list(session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == entry.ticket_id).order_by(TicketEvent.at, TicketEvent.id)))
    actors = actor_names(session, {event.actor for event in events})
    windows = {w.id: w.number for w in session.scalars(
        select(Window).where(Window.hall_id == hall_id))}
    row["ticket"] = None if ticket is None else {
        "number": ticket.number, "day": ticket.day, "service": ticket.service.name,
        "priority": PRIORITIES.get(ticket.priority, ticket.priority),
        "state": TICKET_STATES.get(ticket.state, ticket.state),
        "appointment_code": ticket.appointment_code or "",
        "times": [(label, local_time(value)[:16]) for label, value in (
            ("取号", ticket.arrival_at), ("叫号", ticket.called_at),
            ("开始办理", ticket.started_at), ("办结", ticket.finished_at)) if value],
        "events": [{"at": local_time(event.at)[11:19], "name": EVENT_NAMES.get(event.kind,
                                                                             event.kind),
                    "actor": actors[event.actor],
                    "window": windows.get(event.window_id or 0)} for event in events]}
    rating = ratings_of(session, [entry.ticket_id]).get(entry.ticket_id)
    row["rating_detail"] = None if rating is None else {
        "level": rating.level, "level_name": LEVELS.get(rating.level, ""),
        "reasons": list(rating.reasons), "comment": rating.comment,
        "at": local_time(rating.created_at)[:16],
        "follow_up": session.scalar(select(FollowUp.id).where(FollowUp.rating_id == rating.id))}
    row["arrived_at"] = local_time(ticket.arrival_at)[:16] if ticket else ""
    row["recorded_at"] = local_time(entry.recorded_at)[:16]
    row["updated_at"] = local_time(entry.updated_at)[:16]
    return row


def month_entries(session: Session, hall_id: int, first: dt.date,
                  last: dt.date) -> list[LedgerEntry]:
    """Every entry of the days first..last, oldest first (the archive's order)."""
    return list(session.scalars(select(LedgerEntry).where(
        LedgerEntry.hall_id == hall_id, LedgerEntry.day >= first.isoformat(),
        LedgerEntry.day <= last.isoformat()).order_by(LedgerEntry.day, LedgerEntry.recorded_at,
                                                      LedgerEntry.id)))


