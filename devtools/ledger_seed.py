"""服务台账 entries for tests, the benchmark and screenshots: finished tickets of a hall with
their ledger entries, written in bulk (no queue actions), reproducible from a seed."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.ledger.entries import search_text
from server.ledger.models import LedgerEntry
from server.models import Hall, Service, User, Window
from server.queue.models import Ticket

CHINA = dt.timezone(dt.timedelta(hours=8))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀兰", "霞")
MATTERS = {  # by service code prefix: what people come about
    "legal": ("拖欠工资，咨询能否申请法律援助", "工伤赔偿申请法律援助", "离婚纠纷法律援助申请",
              "交通事故赔偿咨询", "农民工讨薪"),
    "notary": ("办理继承公证", "出国留学学历公证", "房屋买卖委托公证", "遗嘱公证咨询"),
    "mediation": ("邻里宅基地纠纷调解", "家庭赡养纠纷调解", "物业费纠纷调解"),
    "": ("法律咨询：借款合同纠纷", "土地承包经营权咨询", "劳动合同解除咨询", "婚姻家庭咨询"),
}
RESULTS = ("已解答，当事人表示满意", "已受理，告知补充材料", "已转人民调解委员会", "已出具公证书",
           "已指派律师", "")


@dataclass
class Seeded:
    """What was written: entries by id, and the hall's people and places used."""

    entry_ids: list[int]
    tickets: int


def _matter(rng: random.Random, service: Service) -> str:
    for prefix, matters in MATTERS.items():
        if prefix and service.code.startswith(prefix):
            return rng.choice(matters)
    return rng.choice(MATTERS[""])


def seed_ledger(session: Session, hall: Hall, first: dt.date, days: int, per_day: int,
                seed: int = 7, batch: int = 5_000) -> Seeded:
    """per_day finished tickets with ledger entries on each of days days from first, spread
    over the hall's services, windows and staff (flushed, not committed)."""
    rng = random.Random(seed)
    services = list(session.scalars(select(Service).where(Service.hall_id == hall.id)))
    windows = list(session.scalars(select(Window).where(Window.hall_id == hall.id)))
    staff = list(session.scalars(select(User).where(User.hall_id == hall.id,
                                                    User.role == "staff")))
    entry_ids: list[int] = []
    tickets: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []

    def flush() -> None:
        if not tickets:
            return
        ids = list(session.scalars(
            insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets))
        for ticket_id, entry in zip(ids, entries, strict=True):
            entry["ticket_id"] = ticket_id
        entry_ids.extend(session.scalars(
            insert(LedgerEntry).returning(LedgerEntry.id, sort_by_parameter_order=True), entries))
        tickets.clear()
        entries.clear()

    seq: dict[tuple[int, str], int] = {}
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for index in range(per_day):
            service = rng.choice(services)
            window = rng.choice(windows)
            person = rng.choice(staff) if staff else None
            key = (service.id, day.isoformat())
            seq[key] = seq.get(key, 0) + 1
            number = f"{service.prefix}{seq[key]:03d}"
            at = dt.datetime.combine(day, dt.time(9, 0), CHINA).astimezone(dt.UTC) \
                + dt.timedelta(minutes=index * 420 // max(per_day, 1))
            tickets.append({
                "hall_id": hall.id, "origin_service_id": service.id, "service_id": service.id,
                "day": day.isoformat(), "seq": seq[key], "number": number, "state": "finished",
                "priority": "normal", "rank": 2, "token": secrets.token_urlsafe(16),
                "arrival_at": at, "issued_at": at, "called_at": at + dt.timedelta(minutes=8),
                "started_at": at + dt.timedelta(minutes=9),
                "finished_at": at + dt.timedelta(minutes=25), "window_id": window.id,
                "staff_id": person.id if person else None, "call_count": 1,
                "close_reason": "", "visitor": {"matter": "…"}})
            entries.append({
                "hall_id": hall.id, "day": day.isoformat(), "number": number,
                "service_id": service.id, "window_id": window.id,
                "staff_id": person.id if person else None,
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                "matter": _matter(rng, service), "process": "听取陈述，告知办理流程和所需材料。",
                "result": rng.choice(RESULTS), "recorded_at": at + dt.timedelta(minutes=24),
                "updated_at": at + dt.timedelta(minutes=24)})
            entries[-1]["search_text"] = search_text(number, entries[-1])
            if len(tickets) >= batch:
                flush()
    flush()
    session.flush()
    return Seeded(entry_ids, len(entry_ids))
