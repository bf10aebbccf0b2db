"""Realistic, reproducible hall activity for demos and benchmarks: tickets over the opening
hours of working days (simulate.py), ratings with follow-ups, complaints and the query
terminals' usage events (feedback.py), written with bulk inserts.

The same seed, hall set-up and calendar give the same activity; each day draws from its
own random stream, so generating January then February equals generating both at once.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from devtools.activity import feedback, simulate
from devtools.activity.writer import BatchWriter, Generated
from server.analytics import rollup
from server.analytics.guides import seed_guides
from server.models import Hall, Service, Terminal, User, Window, WindowService, utcnow
from server.queue.core import begin_write
from server.queue.hours import LOCAL_TIME, local_now
from server.queue.models import QueueCounter
from server.ratings.models import CalendarDay
from server.ratings.rules import DEFAULT_FOLLOW_UP_DAYS

SAMPLES = Path(__file__).with_name("samples.yaml")
SERVICE_MINUTES = {"legal-aid": 16.0, "consult": 8.0, "mediation": 25.0, "notary": 12.0}
DEFAULT_MINUTES = 12.0
WEEKDAY_LOAD = (1.2, 1.05, 1.0, 0.95, 0.85, 0.6, 0.6)  # Monday is busiest; 调休 weekends calm
BUSY = 0.5  # share of the windows' working time spent serving, on an average day
GUIDE_READS, SEARCHES, NOT_FOUND = 0.55, 0.2, 0.12  # per ticket; share of searches in vain
UNANSWERED = 0.03  # questions per ticket the query terminal has no confident answer to
GENERATED_TERMINAL = "模拟查询机（生成数据）"


def _plans(session: Session, hall: Hall) -> tuple[list[simulate.ServicePlan], list[Window],
                                                 dict[int, tuple[int, ...]]]:
    services = list(session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.active.is_(True)).order_by(Service.code)))
    windows = list(session.scalars(select(Window).where(Window.hall_id == hall.id)
                                   .order_by(Window.number)))
    served: dict[int, list[int]] = {}
    for window_id, service_id in session.execute(select(
            WindowService.window_id, WindowService.service_id).where(
            WindowService.window_id.in_([w.id for w in windows]))):
        served.setdefault(window_id, []).append(service_id)
    share = dict.fromkeys((s.id for s in services), 0.0)
    for service_ids in served.values():
        for service_id in service_ids:
            if service_id in share:
                share[service_id] += 1 / len(service_ids)
    plans = []
    for service in services:
        minutes = SERVICE_MINUTES.get(service.code, DEFAULT_MINUTES)
        if share[service.id] > 0:  # arrivals in proportion to what the windows can serve
            plans.append(simulate.ServicePlan(
                service.id, service.prefix, minutes, service.target_wait, service.daily_cap,
                dict(service.hours), weight=share[service.id] / minutes))
    active = {p.id for p in plans}
    return plans, windows, {w: tuple(s for s in ids if s in active) for w, ids in served.items()}


def _terminals(session: Session, hall: Hall) -> tuple[list[int], list[int]]:
    rows = session.execute(select(Terminal.id, Terminal.profile).where(
        Terminal.hall_id == hall.id, Terminal.status == "accepted").order_by(Terminal.id)).all()
    querying = [r.id for r in rows if r.profile in ("query", "robot")]
    if not querying:  # usage events need a terminal of the hall to come from
        device_id = uuid.uuid5(uuid.NAMESPACE_URL, f"hallkiosk:generated:{hall.code}").hex
        terminal = session.scalar(select(Terminal).where(Terminal.device_id == device_id))
        if terminal is None:
            terminal = Terminal(device_id=device_id, public_key="", status="accepted",
                                hall_id=hall.id, profile="query", name=GENERATED_TERMINAL)
            session.add(terminal)
            session.flush()
        querying = [terminal.id]
    issuing = [r.id for r in rows if r.profile in ("dispenser", "query", "robot")] or querying
    return querying, issuing


def _calendar(session: Session, start: dt.date, end: dt.date) -> tuple[set[dt.date],
                                                                        set[dt.date]]:
    rows = session.execute(select(CalendarDay.day, CalendarDay.off).where(
        CalendarDay.day >= start, CalendarDay.day <= end + dt.timedelta(days=60)))
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, off in rows:
        (holidays if off else workdays).add(day)
    return holidays, workdays


def _usage(rng: random.Random, context: feedback.DayContext, tickets: int,
           popularity: list[tuple[str, float]], samples: dict[str, Any]) -> list[dict[str, Any]]:
    """Guide pages opened and searches typed on the query terminals (outbox receipts)."""
    keys, weights = zip(*popularity, strict=True)
    found = samples["searches_found"]
    rows = []
    reads = simulate.visit_times(rng, round(tickets * GUIDE_READS * rng.uniform(0.8, 1.2)))
    searches = simulate.visit_times(rng, round(tickets * SEARCHES * rng.uniform(0.8, 1.2)))
    for moment in reads:
        rows.append(("usage.screen", moment, {"screen": "guide_detail",
                                              "key": rng.choices(keys, weights)[0],
                                              "language": "zh_CN"}))
    for moment in searches:
        if rng.random() < NOT_FOUND:
            query, results = rng.choice(samples["searches_missing"]), 0
        else:
            item = found[min(len(found) - 1, int(rng.expovariate(0.25)))]
            query, results = item["query"], item["results"]
        rows.append(("usage.search", moment, {"query": query, "results": results,
                                              "language": "zh_CN"}))
    return [{"idempotency_key": f"gen-{uuid.UUID(int=rng.getrandbits(128), version=4)}",
             "terminal_id": rng.choice(context.terminals), "kind": kind, "payload": payload,
             "occurred_at": context.at(moment),
             "received_at": context.at(moment + rng.uniform(1, 30))}
            for kind, moment, payload in rows if context.at(moment + 30) <= context.now]


def _unanswered(context: feedback.DayContext, tickets: int, samples: dict[str, Any],
                seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Questions the query terminals had no confident answer to: their rows (需求研判) and
    outbox receipts. Drawn from a generator of their own, so the rest of the day's activity
    stays what the seed made it."""
    rng = random.Random(f"{seed}:{context.hall_id}:{context.day}:unanswered")
    questions, receipts = [], []
    for moment in simulate.visit_times(rng, round(tickets * UNANSWERED * rng.uniform(0.5, 1.5))):
        if context.at(moment + 30) > context.now:
            continue
        key = f"gen-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        terminal = rng.choice(context.terminals)
        payload = {"question": rng.choice(samples["unanswered_questions"]),
                   "language": "zh_CN", "score": round(rng.uniform(0, 4), 2)}
        receipts.append({"idempotency_key": key, "terminal_id": terminal,
                         "kind": "usage.unanswered", "payload": payload,
                         "occurred_at": context.at(moment),
                         "received_at": context.at(moment + rng.uniform(1, 30))})
        questions.append({"hall_id": context.hall_id, "terminal_id": terminal,
                          "idempotency_key": key, "day": context.day.isoformat(),
                          "asked_at": context.at(moment), **payload})
    return questions, receipts


@dataclass
class _HallDraw:
    """What every generated day of a hall draws on: its services, windows, staff, terminals
    and the day's expected load."""

    plans: list[simulate.ServicePlan]
    windows: list[Window]
    served: dict[int, tuple[int, ...]]
    staff: list[int]
    handler: User | None  # who visits and closes the work items
    quality: dict[int | None, float]
    popularity: list[tuple[str, float]]
    samples: dict[str, Any]
    querying: list[int]
    issuing: list[int]
    counters: dict[tuple[int, str], QueueCounter]
    daily: int  # tickets on an average working day
    scale: float  # < 1 when more tickets than the windows usually serve: faster service


def _hall_draw(session: Session, hall: Hall, plans: list[simulate.ServicePlan],
               windows: list[Window], served: dict[int, tuple[int, ...]], start: dt.date,
               end: dt.date, seed: int, daily_tickets: int | None) -> _HallDraw:
    querying, issuing = _terminals(session, hall)
    staff = list(session.scalars(select(User.id).where(
        User.hall_id == hall.id, User.role == "staff", User.active.is_(True)).order_by(User.id)))
    handler = session.scalar(select(User).where(
        User.hall_id == hall.id, User.role == "supervisor").order_by(User.id).limit(1))
    hall_rng = random.Random(f"{seed}:{hall.code}")
    quality: dict[int | None, float] = {s: hall_rng.uniform(-0.3, 1.0) for s in staff}
    if staff:
        quality[staff[-1]] = -1.0  # one desk the ratings single out
    codes = list(seed_guides())
    hall_rng.shuffle(codes)
    popularity = [(code, 1 / (rank + 1)) for rank, code in enumerate(codes)]
    mean_minutes = sum(p.weight * p.minutes for p in plans) / sum(p.weight for p in plans)
    capacity = len([w for w in windows if served.get(w.id)]) * (
        simulate.CLOSES - simulate.OPENS - 3600)
    usual = max(1, round(BUSY * capacity / (mean_minutes * 60)))
    daily = daily_tickets or usual
    counters = {(c.service_id, c.day): c for c in session.scalars(select(QueueCounter).where(
        QueueCounter.service_id.in_([p.id for p in plans]),
        QueueCounter.day.between(start.isoformat(), end.isoformat())))}
    return _HallDraw(plans, windows, served, staff, handler, quality, popularity,
                     yaml.safe_load(SAMPLES.read_text("utf-8")), querying, issuing, counters,
                     daily, min(1.0, usual / daily))


def _generate_day(writer: BatchWriter, hall: Hall, draw: _HallDraw, day: dt.date,
                  calendar: tuple[set[dt.date], set[dt.date]], seed: int, now: dt.datetime,
                  follow_up_days: int) -> Generated:
    """Simulate one working day of the hall's queue and queue its rows in the writer."""
    rng = random.Random(f"{seed}:{hall.code}:{day.isoformat()}")
    midnight = dt.datetime.combine(day, dt.time(), LOCAL_TIME).astimezone(dt.UTC)

    def at(seconds: float) -> dt.datetime:
        return midnight + dt.timedelta(seconds=seconds)

    plans, staff, handler = draw.plans, draw.staff, draw.handler
    for plan in plans:
        counter = draw.counters.get((plan.id, day.isoformat()))
        plan.last_seq = counter.last_seq if counter else 0
    desks = [simulate.WindowPlan(
        w.id, draw.served.get(w.id, ()),
        (rng.choice(staff) if staff and rng.random() < 0.08 else
         w.staff_id or (staff[i % len(staff)] if staff else None)),
        (12 * 3600, 13 * 3600) if i % 2 == 0 else (12 * 3600 + 1800, 13 * 3600 + 1800))
        for i, w in enumerate(draw.windows)]
    count = round(draw.daily * WEEKDAY_LOAD[day.weekday()] * max(0.5, rng.gauss(1, 0.08)))
    tickets = simulate.arrivals(rng, day, plans, count)
    simulate.serve(rng, tickets, plans, desks, draw.scale)
    if day == local_now(now).date():  # only what is over by now; the live queue owns the rest
        tickets = [t for t in tickets if t.finished is not None and at(t.finished) <= now]
    context = feedback.DayContext(
        hall.id, day, now, at, *calendar, follow_up_days, handler.id if handler else None,
        f"user:{handler.username}" if handler else "system", draw.quality, draw.samples,
        draw.querying)
    questions, receipts = _unanswered(context, len(tickets), draw.samples, seed)
    made = writer.add_day(rng, context, tickets, plans, draw.issuing,
                          _usage(rng, context, len(tickets), draw.popularity, draw.samples)
                          + receipts, questions)
    for plan in plans:
        seqs = [t.seq for t in tickets if t.service_id == plan.id]
        if seqs:
            writer.counter(plan.id, day.isoformat(), max(seqs),
                           draw.counters.get((plan.id, day.isoformat())))
    return made


def generate_activity(session: Session, hall: Hall, start: dt.date, days: int, seed: int, *,
                      daily_tickets: int | None = None, now: dt.datetime | None = None,
                      follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
                      progress: Callable[[dt.date, Generated], None] | None = None
                      ) -> Generated:
    """Write `days` days of activity of hall from start (not committed); days after now
    are skipped and today stops at now. daily_tickets defaults to what the hall's windows
    serve on an average day; more than that makes the windows work faster, not the
    queues endless."""
    now = now or utcnow()
    begin_write(session)
    today = local_now(now).date()
    plans, windows, served = _plans(session, hall)
    if not plans:
        return Generated()
    end = start + dt.timedelta(days=days - 1)
    rollup.forget(session, hall.id, rollup.days_between(start, end))
    holidays, workdays = _calendar(session, start, end)
    draw = _hall_draw(session, hall, plans, windows, served, start, end, seed, daily_tickets)
    writer = BatchWriter(session)
    total = Generated()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day > today:
            break
        if (day.weekday() >= 5 and day not in workdays) or day in holidays:
            continue
        total.add(_generate_day(writer, hall, draw, day, (holidays, workdays), seed, now,
                                follow_up_days))
        if progress is not None:
            progress(day, total)
    writer.flush()
    return total
