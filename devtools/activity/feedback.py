"""Generated ratings, follow-up work items and complaints for a simulated day: rows as
dicts for bulk inserts, cross-referenced by position ("_ticket", "_rating" ...) until the
writer gives them ids."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devtools.activity.simulate import CLOSES, OPENS, ServicePlan, SimTicket
from server.queue.hours import local_day
from server.ratings.complaints import CATEGORIES
from server.ratings.rules import BAD_LEVELS, add_working_days
from server.ratings.rules import DEFAULT_REASONS as REASONS

Row = dict[str, Any]
RATED_SHARE = 0.6
# Levels 5..1 of a satisfied visitor and of a visitor who waited long or met a weak desk.
CONTENT = {5: 0.82, 4: 0.13, 3: 0.04, 2: 0.007, 1: 0.003}
UPSET = {5: 0.35, 4: 0.22, 3: 0.2, 2: 0.14, 1: 0.09}
COMPLAINT_WEIGHTS = {"waiting": 30, "attitude": 15, "process": 20, "environment": 10,
                     "integrity": 2, "suggestion": 15, "other": 8}
HOUR = dt.timedelta(hours=1)


@dataclass
class DayContext:
    """What the feedback of one day needs to know."""

    hall_id: int
    day: dt.date
    now: dt.datetime
    at: Callable[[float], dt.datetime]  # seconds after local midnight -> aware UTC
    holidays: set[dt.date]
    workdays: set[dt.date]
    follow_up_days: int
    handler_id: int | None  # who visits and closes the work items (a supervisor)
    handler: str  # that person as an event actor
    quality: dict[int | None, float]  # staff id -> -1 (weak) .. 1 (excellent)
    samples: dict[str, Any]
    terminals: list[int]


def level_for(rng: random.Random, lateness: float, quality: float) -> int:
    """A level 1..5: waiting past the target and a weak desk make a bad one likelier."""
    upset = min(0.9, 0.04 + 0.35 * max(0.0, lateness - 0.8) + 0.12 * max(0.0, -quality))
    levels = list(CONTENT)
    weights = [(1 - upset) * CONTENT[n] + upset * UPSET[n] for n in levels]
    return rng.choices(levels, weights=weights)[0]


def reasons_for(rng: random.Random, level: int, lateness: float) -> list[str]:
    """Reasons a visitor ticks for this level (none is allowed for a good level)."""
    offered = list(REASONS[level])
    if level >= 4:
        return rng.sample(offered, rng.choice((0, 0, 1, 1, 2)))
    picked = rng.sample(offered, 1 if level == 3 or rng.random() < 0.6 else 2)
    waiting = [r for r in offered if r.startswith("等候时间")]
    if lateness > 1 and waiting and waiting[0] not in picked and rng.random() < 0.7:
        picked[0] = waiting[0]
    return picked


def ratings(rng: random.Random, context: DayContext, tickets: list[SimTicket],
            services: dict[int, ServicePlan], first_index: int) -> list[Row]:
    """Ratings of about 60% of the finished tickets (positions from first_index), plus a
    rating of the hall in general now and then."""
    rows: list[Row] = []
    for position, ticket in enumerate(tickets):
        if ticket.state != "finished" or rng.random() >= RATED_SHARE:
            continue
        assert ticket.finished is not None
        lateness = ticket.wait / (60 * services[ticket.service_id].target_wait)
        level = level_for(rng, lateness, context.quality.get(ticket.staff_id, 0.0))
        pad = rng.random() < 0.85
        created = context.at(ticket.finished + (rng.uniform(5, 40) if pad
                                                else rng.uniform(60, 7200)))
        if created > context.now:
            continue
        rows.append({"_ticket": first_index + position, "hall_id": context.hall_id,
                     "service_id": ticket.service_id, "window_id": ticket.window_id,
                     "staff_id": ticket.staff_id, "level": level,
                     "reasons": reasons_for(rng, level, lateness), "comment": "",
                     "source": "pad" if pad else "phone", "terminal_id": None,
                     "idempotency_key": None, "created_at": created,
                     "received_at": created})
    if context.terminals and rng.random() < 0.5:  # 评价服务 on a query terminal, no ticket
        created = context.at(rng.uniform(OPENS, CLOSES))
        level = level_for(rng, 0.0, 0.0)
        if created <= context.now:
            rows.append({"_ticket": None, "hall_id": context.hall_id, "service_id": None,
                         "window_id": None, "staff_id": None, "level": level,
                         "reasons": reasons_for(rng, level, 0.0), "comment": "",
                         "source": "terminal", "terminal_id": rng.choice(context.terminals),
                         "idempotency_key": None, "created_at": created,
                     "received_at": created})
    return rows


def work_item(rng: random.Random, context: DayContext, opened: dt.datetime,
              base: Row) -> tuple[Row, list[Row]]:
    """A follow-up row opened at `opened` and its events: most are closed in time, some
    are left open past their due date (overdue), recent ones are still in progress."""
    due = add_working_days(dt.date.fromisoformat(local_day(opened)), context.follow_up_days,
                           context.holidays, context.workdays)
    today = dt.date.fromisoformat(local_day(context.now))
    visited = opened + rng.uniform(2, 40) * HOUR
    closed = visited + rng.uniform(1, 40) * HOUR
    neglected = due < today and rng.random() < 0.1
    note, resolution = rng.choice(context.samples["visit_notes"]), ""
    if neglected:
        state = "visited" if visited <= context.now and rng.random() < 0.5 else "open"
    else:
        state = ("closed" if closed <= context.now else
                 "visited" if visited <= context.now else "open")
    if state == "closed":
        resolution = rng.choice(context.samples["resolutions"])
    row = {**base, "hall_id": context.hall_id, "state": state, "due_on": due,
           "assignee_id": context.handler_id, "visit_note": note if state != "open" else "",
           "visited_at": visited if state != "open" else None, "resolution": resolution,
           "closed_at": closed if state == "closed" else None, "appeal_reason": "",
           "appeal_decision": "", "created_at": opened}
    events = [{"kind": "opened", "at": opened, "actor": "system", "note": "",
               "detail": {"due_on": due.isoformat()}}]
    if state != "open":
        events.append({"kind": "visited", "at": visited, "actor": context.handler,
                       "note": note, "detail": {}})
    if state == "closed":
        events.append({"kind": "closed", "at": closed, "actor": context.handler,
                       "note": resolution, "detail": {}})
    return row, events


def complaints(rng: random.Random, context: DayContext) -> list[Row]:
    """Now and then a complaint or suggestion (投诉建议), from a terminal or online."""
    count = 0 if rng.random() < 0.65 else (1 if rng.random() < 0.85 else 2)
    rows = []
    for _ in range(count):
        category = rng.choices(list(COMPLAINT_WEIGHTS), list(COMPLAINT_WEIGHTS.values()))[0]
        assert category in CATEGORIES
        created = context.at(rng.uniform(OPENS, CLOSES))
        online = rng.random() < 0.3 or not context.terminals
        if created > context.now:
            continue
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.5 else ""
        rows.append({"hall_id": context.hall_id, "category": category,
                     "kind": "suggestion" if category == "suggestion" else "complaint",
                     "phone": phone, "content": rng.choice(context.samples["complaints"][category]),
                     "source": "online" if online else "terminal",
                     "terminal_id": None if online else rng.choice(context.terminals),
                     "idempotency_key": None, "created_at": created,
                     "received_at": created})
    return rows


def is_bad(level: int) -> bool:
    """Whether a level opens a follow-up (不满意, 非常不满意)."""
    return level in BAD_LEVELS
