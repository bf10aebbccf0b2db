"""One simulated working day of a hall's queue: visitors arrive over the opening hours
(morning peak, lunch dip) and the windows call them first come, first served (绿色通道
first), as staff at the console would. Pure Python, no database; times are seconds
after local midnight."""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from server.queue.hours import LOCAL_TIME, is_open

OPENS, CLOSES = 9 * 3600, 17 * 3600 + 1800  # windows work 09:00-17:30
FIRST_ARRIVAL = 8 * 3600 + 1800  # the first visitors wait at the door from 08:30
SLOT = 300  # arrivals are drawn per five-minute slot
LATEST_CALL = 19 * 3600  # nobody is still called after 19:00: the rest are closed at day end
# Arrivals per hour relative to the day's average: a morning peak, a lunch dip, a calmer
# afternoon that tails off before closing.
INTENSITY = ((8 * 3600 + 1800, 0.5), (9 * 3600, 1.4), (10 * 3600, 1.6), (11 * 3600, 1.2),
             (12 * 3600, 0.5), (13 * 3600, 0.6), (14 * 3600, 1.2), (15 * 3600, 1.1),
             (16 * 3600, 0.8), (17 * 3600, 0.4))
GREEN_SHARE = 0.04  # 绿色通道: elderly, disabled, pregnant, veterans


@dataclass
class ServicePlan:
    """A service as the simulation needs it."""

    id: int
    prefix: str
    minutes: float  # mean service time
    target_wait: int  # minutes
    daily_cap: int
    hours: dict[str, Any]
    weight: float = 1.0  # share of the day's visitors
    last_seq: int = 0  # numbers already issued on the day (by the live queue)


@dataclass
class WindowPlan:
    """A window: the services it calls, who sits there today, when they have lunch."""

    id: int
    services: tuple[int, ...]
    staff_id: int | None
    lunch: tuple[int, int]


@dataclass
class SimTicket:
    """A ticket of the day with its timestamps (seconds after local midnight)."""

    service_id: int
    arrival: float
    priority: str = "normal"
    seq: int = 0
    number: str = ""
    state: str = "cancelled"
    called: float | None = None
    started: float | None = None
    finished: float | None = None
    window_id: int | None = None
    staff_id: int | None = None
    call_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wait(self) -> float:
        """Seconds from arrival to the (last) call."""
        return (self.called or self.arrival) - self.arrival


def _intensity(second: int) -> float:
    weight = 0.0
    for start, value in INTENSITY:
        if second >= start:
            weight = value
    return weight


def slot_weights(service: ServicePlan, day: dt.date) -> list[float]:
    """Relative arrivals per slot from 08:30 to 17:30, zero while the service is closed."""
    weights = []
    for start in range(FIRST_ARRIVAL, CLOSES, SLOT):
        moment = dt.datetime.combine(day, dt.time(start // 3600, start % 3600 // 60),
                                     LOCAL_TIME)
        opened = is_open(service.hours, moment) if service.hours else True
        weights.append(_intensity(start) if opened else 0.0)
    return weights


def arrivals(rng: random.Random, day: dt.date, services: list[ServicePlan],
             count: int) -> list[SimTicket]:
    """About count visitors of the day (fewer when services are closed), each with a
    service and an arrival time, numbered."""
    slots = {s.id: slot_weights(s, day) for s in services}
    full_day = sum(_intensity(start) for start in range(FIRST_ARRIVAL, CLOSES, SLOT))
    total_weight = sum(s.weight for s in services) or 1.0
    tickets = []
    for service in services:
        totals = _cumulate(slots[service.id])
        # A service open part of the day (or not at all) gets that part of its visitors.
        expected = count * service.weight / total_weight * totals[-1] / full_day
        for _ in range(int(expected) + (rng.random() < expected % 1)):
            index = bisect.bisect_right(totals, rng.random() * totals[-1])
            arrival = FIRST_ARRIVAL + index * SLOT + rng.random() * SLOT
            priority = "green" if rng.random() < GREEN_SHARE else "normal"
            tickets.append(SimTicket(service.id, arrival, priority))
    tickets.sort(key=lambda t: t.arrival)
    by_id = {s.id: s for s in services}
    issued: dict[int, int] = {}
    numbered = []
    for ticket in tickets:
        service = by_id[ticket.service_id]
        seq = service.last_seq + issued.get(service.id, 0) + 1
        if seq > service.daily_cap:
            continue  # 当日号已取完: the dispenser refused this visitor
        issued[service.id] = issued.get(service.id, 0) + 1
        ticket.seq, ticket.number = seq, f"{service.prefix}{seq:03d}"
        numbered.append(ticket)
    return numbered


def _cumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _duration(rng: random.Random, mean_seconds: float) -> float:
    sigma = 0.55  # service times are skewed: most are short, a few take very long
    mu = math.log(mean_seconds) - sigma * sigma / 2
    return max(60.0, rng.lognormvariate(mu, sigma))


def serve(rng: random.Random, tickets: list[SimTicket], services: list[ServicePlan],
          windows: list[WindowPlan], scale: float = 1.0) -> None:
    """Windows call the day's tickets as they come free; fills states and timestamps."""
    by_id = {s.id: s for s in services}
    queues: dict[int, tuple[deque[SimTicket], deque[SimTicket]]] = {
        s.id: (deque(), deque()) for s in services}
    for ticket in tickets:  # in arrival order
        queues[ticket.service_id][0 if ticket.priority == "green" else 1].append(ticket)
    free = [(float(OPENS), index) for index in range(len(windows))]
    heapq.heapify(free)
    while free:
        now, index = heapq.heappop(free)
        window = windows[index]
        if window.lunch[0] <= now < window.lunch[1]:
            heapq.heappush(free, (float(window.lunch[1]), index))
            continue
        heads = [q[0] for sid in window.services for q in queues.get(sid, ()) if q]
        if not heads or now >= LATEST_CALL:
            continue  # this window's queues are empty for the rest of the day
        ready = [t for t in heads if t.arrival <= now]
        if not ready:
            heapq.heappush(free, (min(t.arrival for t in heads), index))
            continue
        ticket = min(ready, key=lambda t: (t.priority != "green", t.arrival))
        queues[ticket.service_id][0 if ticket.priority == "green" else 1].popleft()
        service = by_id[ticket.service_id]
        ticket.window_id, ticket.staff_id = window.id, window.staff_id
        patience = min(1.0, (now - ticket.arrival) / (2 * 60 * service.target_wait))
        if rng.random() < 0.02 + 0.05 * patience:  # 过号: called, recalled, never came
            ticket.call_count = rng.choice((2, 3))
            ticket.called = now + 60 * (ticket.call_count - 1)
            ticket.state, ticket.finished = "no_show", ticket.called + 60
            done = ticket.finished + 10
        else:
            ticket.call_count = 1 if rng.random() < 0.92 else 2
            ticket.called = now + 45 * (ticket.call_count - 1)
            ticket.started = ticket.called + rng.uniform(15, 75)
            ticket.finished = ticket.started + _duration(rng, service.minutes * 60 * scale)
            ticket.state = "finished"
            done = ticket.finished + rng.uniform(10, 40)
        heapq.heappush(free, (done, index))
    # Whoever was never called is closed at day end (批量弃号), as the live queue does.
    for ticket in tickets:
        if ticket.called is None:
            ticket.state = "cancelled"


def visit_times(rng: random.Random, count: int) -> list[float]:
    """count moments of the day (seconds, sorted) spread like the visitors' arrivals."""
    starts = list(range(FIRST_ARRIVAL, CLOSES, SLOT))
    totals = _cumulate([_intensity(start) for start in starts])
    moments = [starts[bisect.bisect_right(totals, rng.random() * totals[-1])] + rng.random() * SLOT
               for _ in range(count)]
    return sorted(moments)
