"""The supervisor dashboard on SQLite and PostgreSQL: figures over generated activity checked
against answers computed here, in plain Python, from the raw rows; roll-ups of days that
are over give the same figures and are dropped when their rows change; CSV, XLSX and the
monthly report; the page and its downloads for a supervisor only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from devtools.activity.generate import generate_activity
from server.analytics import export, rollup
from server.analytics.models import StatsDay
from server.analytics.stats import figures
from server.db import Database, upgrade
from server.models import Hall, OutboxReceipt, Service, Terminal, User, Window, utcnow
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.models import Complaint, FollowUp, Rating
from server.security import create_user
from tests.server.queue_setup import make_queue_hall

LOCAL = dt.timedelta(hours=8)  # China Standard Time
BANDS = (10, 20, 30, 60)  # minutes
START = dt.date(2026, 3, 2)  # a Monday; ten days to Wednesday 11 March
TODAY = dt.date(2026, 3, 11)
NOW = dt.datetime(2026, 3, 11, 7, 0, tzinfo=dt.UTC)  # 15:00 in the hall
SUPERVISOR = ("zhao.supervisor", "dashboard-pass")
SECOND = 1 / 60 + 1e-9  # minutes: percentiles are exact to the second


def utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite gives it back naive)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local_date(value: dt.datetime) -> dt.date:
    """The hall's date of a timestamp."""
    return (utc(value) + LOCAL).date()


def p90(values: list[float]) -> float | None:
    """percentile_cont(0.9) of whole seconds, in minutes."""
    ordered = sorted(round(v) for v in values)
    if not ordered:
        return None
    position = 0.9 * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return (ordered[low] + (ordered[high] - ordered[low]) * (position - low)) / 60


def answers(session: Session, hall: Hall, start: dt.date, end: dt.date,
            today: dt.date) -> dict[str, Any]:
    """Every figure the dashboard shows, from the raw rows."""
    session.expire_all()
    services = {s.id: s for s in session.scalars(select(Service).where(
        Service.hall_id == hall.id))}
    tickets = [t for t in session.scalars(select(Ticket).where(Ticket.hall_id == hall.id))
               if start.isoformat() <= t.day <= end.isoformat()]
    by_service: dict[int, dict[str, Any]] = {}
    hours: Counter[tuple[int, int]] = Counter()
    for t in tickets:
        row = by_service.setdefault(t.service_id, {"tickets": 0, "no_show": 0, "finished": 0,
                                                   "late": 0, "waits": [], "served": []})
        row["tickets"] += 1
        row["no_show"] += t.state == "no_show"
        hours[(utc(t.arrival_at) + LOCAL).hour, t.service_id] += 1
        if t.called_at is not None:
            wait = (utc(t.called_at) - utc(t.arrival_at)).total_seconds()
            row["waits"].append(wait)
            row["late"] += wait > services[t.service_id].target_wait * 60
        if t.state == "finished":
            row["finished"] += 1
            row["served"].append((utc(t.finished_at) - utc(t.started_at or t.called_at))
                                 .total_seconds())
    overturned = {f.rating_id for f in session.scalars(select(FollowUp).where(
        FollowUp.hall_id == hall.id, FollowUp.appeal_decision == "overturned"))}
    all_ratings = [r for r in session.scalars(select(Rating).where(Rating.hall_id == hall.id))
                   if start <= local_date(r.created_at) <= end]
    ratings = [r for r in all_ratings if r.id not in overturned]
    by_ticket = {t.id: t for t in session.scalars(select(Ticket).where(
        Ticket.hall_id == hall.id))}
    bands: Counter[tuple[int, bool]] = Counter()
    for r in ratings:
        ticket = by_ticket.get(r.ticket_id) if r.ticket_id else None
        if ticket is not None and ticket.called_at is not None:
            minutes = (utc(ticket.called_at) - utc(ticket.arrival_at)).total_seconds() / 60
            band = next((i for i, limit in enumerate(BANDS) if minutes < limit), len(BANDS))
            bands[band, r.level >= 4] += 1
    items = list(session.scalars(select(FollowUp).where(FollowUp.hall_id == hall.id)))
    overdue = sorted((f for f in items if f.state != "closed" and f.due_on < today),
                     key=lambda f: (f.due_on, f.id))
    terminals = set(session.scalars(select(Terminal.id).where(Terminal.hall_id == hall.id)))
    receipts = [o for o in session.scalars(select(OutboxReceipt))
                if o.terminal_id in terminals and start <= local_date(o.occurred_at) <= end]
    guides = Counter(o.payload["key"] for o in receipts if o.kind == "usage.screen"
                     and o.payload.get("screen") == "guide_detail" and o.payload.get("key"))
    searches = [o.payload for o in receipts if o.kind == "usage.search"]
    empty = [p for p in searches if p.get("results") == 0]
    return {
        "services": by_service, "hours": hours, "tickets": len(tickets),
        "all_waits": [w for row in by_service.values() for w in row["waits"]],
        "all_served": [w for row in by_service.values() for w in row["served"]],
        "levels": Counter(r.level for r in ratings),
        "by_window": Counter((r.window_id or 0, r.level) for r in ratings),
        "by_staff": Counter((r.staff_id, r.level) for r in ratings if r.staff_id),
        "excluded": len(all_ratings) - len(ratings), "bands": bands,
        "states": Counter(f.state for f in items if start <= local_date(f.created_at) <= end),
        "overdue": [f.id for f in overdue],
        "complaints": Counter(c.category for c in session.scalars(select(Complaint).where(
            Complaint.hall_id == hall.id)) if start <= local_date(c.created_at) <= end),
        "guides": guides, "searches": len(searches), "empty": len(empty),
        "wanted": Counter(str(p["query"]).strip().lower() for p in empty),
    }


def check(session: Session, hall: Hall, start: dt.date = START, end: dt.date = TODAY,
          today: dt.date = TODAY) -> Any:
    """The dashboard's figures equal the answers from the raw rows; the figures."""
    got = figures(session, hall, start, end, today=today)
    want = answers(session, hall, start, end, today)
    assert got.total.tickets == want["tickets"] and want["tickets"] > 0
    assert {r.service_id for r in got.services} == set(want["services"])
    for row in got.services:
        raw = want["services"][row.service_id]
        assert (row.tickets, row.no_show, row.finished, row.called, row.over_target) == (
            raw["tickets"], raw["no_show"], raw["finished"], len(raw["waits"]), raw["late"])
        assert row.no_show_rate == pytest.approx(raw["no_show"] / raw["tickets"])
        # SQLite's julianday() is exact to about 0.1 ms: averages agree within 6 ms.
        assert row.wait_avg == pytest.approx(sum(raw["waits"]) / len(raw["waits"]) / 60,
                                             abs=1e-4)
        assert row.service_avg == pytest.approx(sum(raw["served"]) / len(raw["served"]) / 60,
                                                abs=1e-4)
        assert row.over_target_share == pytest.approx(raw["late"] / len(raw["waits"]))
        assert abs(row.wait_p90 - p90(raw["waits"])) <= SECOND
        assert abs(row.service_p90 - p90(raw["served"])) <= SECOND
    assert abs(got.total.wait_p90 - p90(want["all_waits"])) <= SECOND
    assert abs(got.total.service_p90 - p90(want["all_served"])) <= SECOND
    assert {(h.hour, s): n for h in got.hours for s, n in h.by_service.items()} == want["hours"]
    assert {level: n for level, n in got.ratings.levels.items() if n} == want["levels"]
    levels = want["levels"]
    assert got.ratings.satisfied == pytest.approx((levels[5] + levels[4]) / sum(levels.values()))
    windows = {w.id: f"{w.number} 号窗口 · {w.name}" for w in session.scalars(select(Window))}
    windows[0] = "大厅总体评价（未关联窗口）"
    assert {(row.label, level): n for row in got.by_window for level, n in row.levels.items()
            if n} == {(windows[w], level): n for (w, level), n in want["by_window"].items()}
    assert got.excluded == want["excluded"]
    assert [(b.ratings, b.satisfied) for b in got.bands] == [
        (want["bands"][i, True] + want["bands"][i, False], want["bands"][i, True])
        for i in range(len(BANDS) + 1)]
    staff = {u.id: u.full_name or u.username for u in session.scalars(select(User))}
    assert {(row.label, level): n for row in got.by_staff for level, n in row.levels.items()
            if n} == {(staff[s], level): n for (s, level), n in want["by_staff"].items()}
    assert {k: v for k, v in got.follow_ups.items() if v} == want["states"]
    assert got.overdue_total == len(want["overdue"])
    assert [o.id for o in got.overdue] == want["overdue"][:50]
    assert {c.key: c.count for c in got.complaints} == want["complaints"]
    assert [(g.key, g.count) for g in got.guides] == sorted(
        want["guides"].items(), key=lambda item: (-item[1], item[0]))[:15]
    assert (got.searches, got.searches_empty) == (want["searches"], want["empty"])
    assert [(w.label, w.count) for w in got.wanted] == sorted(
        want["wanted"].items(), key=lambda item: (-item[1], item[0]))[:20]
    return got


def generated_hall(session: Session, *, start: dt.date = START, days: int = 10,
                   now: dt.datetime = NOW) -> Hall:
    """The queue test hall with a supervisor, a query terminal and generated days."""
    q = make_queue_hall(session)
    create_user(session, *SUPERVISOR, "supervisor", q.hall.code)
    session.add(Terminal(device_id="dashboard-test-terminal", public_key="", status="accepted",
                         hall_id=q.hall.id, profile="query", name="查询机"))
    session.commit()
    made = generate_activity(session, q.hall, start, days, 5, daily_tickets=60, now=now)
    session.commit()
    assert made.tickets > 10 * days and made.ratings and made.usage_events
    return q.hall


def test_generated_activity_is_realistic_and_reproducible(session: Session) -> None:
    hall = generated_hall(session)
    tickets = list(session.scalars(select(Ticket).where(Ticket.hall_id == hall.id)))
    days = {t.day for t in tickets}
    assert days == {d.isoformat() for d in (START + dt.timedelta(n) for n in range(10))
                    if d.weekday() < 5}  # working days only, today up to now
    hours = Counter((utc(t.arrival_at) + LOCAL).hour for t in tickets)
    assert hours[10] > hours[12] and hours[9] > hours[17]  # morning peak, lunch dip
    assert all(utc(t.finished_at) <= NOW for t in tickets if t.day == TODAY.isoformat())
    notary = session.scalar(select(Service).where(Service.hall_id == hall.id,
                                                  Service.code == "notary"))
    assert notary is not None
    assert max(t.seq for t in tickets if t.service_id == notary.id) <= notary.daily_cap
    mediation = [t for t in tickets if t.service.code == "mediation"]
    assert all(dt.date.fromisoformat(t.day).weekday() == 0 and
               (utc(t.arrival_at) + LOCAL).hour < 12 for t in mediation)  # its hours
    states = Counter(t.state for t in tickets)
    assert states["finished"] > 0.85 * len(tickets) and states["no_show"] > 0
    ratings = list(session.scalars(select(Rating)))
    assert 0.5 < len([r for r in ratings if r.ticket_id]) / states["finished"] < 0.7
    items = list(session.scalars(select(FollowUp).where(FollowUp.kind == "rating")))
    assert len(items) == len([r for r in ratings if r.level <= 2])
    receipts = list(session.scalars(select(OutboxReceipt)))
    assert {o.kind for o in receipts} == {"usage.screen", "usage.search", "usage.unanswered"}
    assert any(o.payload.get("results") == 0 for o in receipts)


def test_generation_is_reproducible_and_split_by_day(session: Session, tmp_path: Any) -> None:
    """The same seed gives the same activity, in one go or a few days at a time, on
    either database."""
    generated_hall(session)
    other = Database(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    upgrade(other.engine)
    with other.sessions() as again:
        hall = generated_hall(again, days=4)
        generate_activity(again, hall, START + dt.timedelta(days=4), 6, 5, daily_tickets=60,
                          now=NOW)
        again.commit()
        split = _fingerprint(again)
    other.engine.dispose()
    assert _fingerprint(session) == split


def _fingerprint(session: Session) -> list[tuple[Any, ...]]:
    tickets = session.scalars(select(Ticket).order_by(Ticket.day, Ticket.service_id, Ticket.seq))
    ratings = session.scalars(select(Rating).order_by(Rating.created_at))
    return [(t.day, t.number, t.state, utc(t.arrival_at), t.called_at and utc(t.called_at),
             t.window_id, t.staff_id) for t in tickets] + [
        (r.level, tuple(r.reasons), utc(r.created_at)) for r in ratings]


def test_figures_equal_the_raw_rows_before_and_after_roll_up(session: Session) -> None:
    hall = generated_hall(session)
    first = check(session, hall)  # rolls up every day before today
    session.commit()
    rolled = set(session.scalars(select(StatsDay.day).where(StatsDay.part == "queue")))
    assert rolled == {d.isoformat() for d in (START + dt.timedelta(n) for n in range(9))}
    second = check(session, hall)  # from the roll-ups, today live
    assert second == first
    check(session, hall, START + dt.timedelta(days=3), START + dt.timedelta(days=5))
    check(session, hall, TODAY, TODAY)


def test_roll_ups_follow_changes(session: Session) -> None:
    hall = generated_hall(session)
    # A past day still holding an open ticket is read live until the ticket is closed.
    ticket, _ = issue_ticket(session, hall, "legal-aid", actor="test",
                             now=dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.UTC))
    session.commit()
    check(session, hall)
    session.commit()
    rolled = set(session.scalars(select(StatsDay.day).where(StatsDay.part == "queue")))
    assert "2026-03-03" in rolled and "2026-03-04" not in rolled
    ticket.state, ticket.close_reason = "cancelled", "day_end"  # 批量弃号 at day end
    session.commit()
    check(session, hall)
    session.commit()
    assert session.scalar(select(StatsDay.day).where(StatsDay.part == "queue",
                                                     StatsDay.day == "2026-03-04"))
    # A rating overturned on appeal after its day was rolled up no longer counts.
    item = session.scalar(select(FollowUp).where(FollowUp.kind == "rating").limit(1))
    assert item is not None
    item.appeal_decision, item.state = "overturned", "closed"
    session.commit()
    assert check(session, hall).excluded == 1
    # Generating more activity for days already rolled up drops their roll-ups.
    generate_activity(session, hall, START, 3, 9, daily_tickets=30, now=NOW)
    session.commit()
    check(session, hall)
    # Odd payloads from a terminal never break the figures.
    terminal = session.scalar(select(Terminal.id).where(Terminal.hall_id == hall.id))
    assert terminal is not None
    session.add_all([OutboxReceipt(idempotency_key=f"odd-{n}", terminal_id=terminal,
                                   kind=kind, payload=payload, received_at=NOW, occurred_at=NOW)
                     for n, (kind, payload) in enumerate([
                         ("usage.search", {"query": "  拆迁补偿 ", "results": "many"}),
                         ("usage.search", {"query": "Lvshi", "results": 0}),
                         ("usage.screen", {"screen": "guide_detail"})])])
    session.commit()
    check(session, hall)


def test_exports_hold_the_figures(session: Session) -> None:
    hall = generated_hall(session)
    got = check(session, hall)
    text = export.to_csv(got).decode("utf-8")
    assert text.startswith("\ufeff【概况】")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    queue_at = rows.index(["【按业务】"])
    assert rows[queue_at + 1][:3] == ["业务", "取号", "已叫号"]
    total = next(r for r in rows[queue_at:] if r[0] == "全部业务")
    assert int(total[1]) == got.total.tickets
    assert total[7] == f"{got.total.wait_p90:.1f}"
    book = load_workbook(io.BytesIO(export.to_xlsx(got, "统计报表")))
    assert book.sheetnames == ["概况", "按业务", "按时段取号", "窗口评价", "人员评价",
                               "等候与满意度", "超期回访", "投诉建议", "热门指南", "搜索无结果",
                               "未能回答的提问"]
    sheet = book["按业务"]
    assert sheet["A1"].value == f"统计报表 · {hall.name}"
    assert sheet["A2"].value == f"统计期间：{START} 至 {TODAY}"
    assert [c.value for c in sheet[4]][:2] == ["业务", "取号"]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "全部业务" and last[1] == got.total.tickets
    assert last[5] == pytest.approx(got.total.no_show_rate, abs=1e-4)
    assert sheet.cell(sheet.max_row, 6).number_format == "0.0%"
    overdue = book["超期回访"]
    assert overdue.max_row == 4 + len(got.overdue)
    levels = book["窗口评价"]
    assert sum(row[6].value for row in levels.iter_rows(min_row=5)) == got.ratings.total


def sign_in(client: TestClient, username: str, password: str) -> None:
    """A session cookie for the client."""
    assert client.post("/api/v1/session", json={"username": username,
                                                "password": password}).status_code == 200


def test_dashboard_pages_and_downloads(client: TestClient) -> None:
    app: Any = client.app
    today = (utcnow() + LOCAL).date()
    month_start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with app.state.database.sessions() as session:
        hall = generated_hall(session, start=month_start - dt.timedelta(days=3),
                              days=(today - month_start).days + 4, now=utcnow())
        create_user(session, "zhang.staff", "dashboard-pass", "staff", hall.code)
        create_user(session, "wu.nohall", "dashboard-pass", "supervisor")
        session.commit()
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith(
        "/login")
    sign_in(client, "zhang.staff", "dashboard-pass")
    assert client.get("/dashboard").status_code == 403
    sign_in(client, "wu.nohall", "dashboard-pass")
    assert "未关联大厅" in client.get("/dashboard").text
    assert client.get("/dashboard/export.xlsx").status_code == 403
    sign_in(client, *SUPERVISOR)
    page = client.get("/dashboard")
    assert page.status_code == 200 and page.text.count("<svg") == 5
    assert f"{today - dt.timedelta(days=29)}" in page.text and "统计看板" in page.text
    for bad, message in (("start=2026-02-30", "日期格式不正确"),
                         ("start=2026-03-10&end=2026-03-01", "开始日期不能晚于结束日期"),
                         ("start=2020-01-01&end=2026-01-01", "统计期间最长")):
        reply = client.get(f"/dashboard?{bad}")
        assert reply.status_code == 400 and message in reply.text and "<svg" in reply.text
        refused = client.get(f"/dashboard/export.csv?{bad}")
        assert refused.status_code == 400 and message in refused.text
    assert "月份格式不正确" in client.get("/dashboard/report.xlsx?month=2026-13").text
    month = f"{month_start:%Y-%m}"
    first, last = export.month_range(month_start)
    with app.state.database.sessions() as session:
        hall_row = session.scalar(select(Hall).where(Hall.code == "QX-01"))
        assert hall_row is not None
        want = answers(session, hall_row, first, last, today)
    report = client.get(f"/dashboard/report.xlsx?month={month}")
    assert report.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in report.headers["content-disposition"]
    book = load_workbook(io.BytesIO(report.content))
    summary = book["概况"]
    assert summary["A1"].value == (f"月度报告（{month_start.year}年{month_start.month}月）"
                                   f" · 青溪市公共法律服务中心")
    assert summary["A2"].value == f"统计期间：{first} 至 {last}"
    values = {row[0].value: row[1].value for row in summary.iter_rows(min_row=5)}
    assert values["取号"] == want["tickets"] > 0
    assert values["评价"] == sum(want["levels"].values())
    printed = client.get(f"/dashboard/report?month={month}")
    assert printed.status_code == 200 and "月度报告" in printed.text
    assert printed.text.count("<svg") == 4
    query = f"start={first}&end={last}"
    download = client.get(f"/dashboard/export.csv?{query}")
    assert download.headers["content-type"].startswith("text/csv")
    assert f"取号,{want['tickets']}" in download.content.decode("utf-8-sig")
    with app.state.database.sessions() as session:
        assert session.scalar(select(StatsDay.day).where(StatsDay.day == f"{first}"))
    assert rollup.days_between(first, first) == [first.isoformat()]
