"""预约签到 on the real app: a real booking's code typed on the keypad takes the priority
ticket; a wrong code and a used one are refused with their own words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.appointments.models import BookableService, Booking
from server.appointments.service import new_code
from server.models import Hall
from server.queue.models import Ticket
from tests.server.appointment_setup import set_up_bookable
from tests.ui.server_link import served_queue_hall

CHINA = dt.timezone(dt.timedelta(hours=8))


def booked_now(app: Any) -> str:
    """A booking of the hall's 律师值班咨询 whose slot is on now; its code."""
    now = dt.datetime.now(CHINA)
    with app.state.database.sessions() as session:
        hall = session.scalars(select(Hall)).one()
        set_up_bookable(session, hall)
        service = session.scalars(select(BookableService).where(
            BookableService.code == "lawyer")).one()
        code = new_code()
        # a slot covering the whole day: on now, whenever the test runs
        session.add(Booking(hall_id=hall.id, service_id=service.id, day=now.date(),
                            start="00:00", end="23:59", seat=1, code=code,
                            token="t" + code, name="王某", phone="13800138000",
                            matter="劳动合同", state="booked", source="phone",
                            created_at=dt.datetime.now(dt.UTC)))
        session.commit()
    return code


def type_code(ui: Any, code: str) -> None:
    for digit in code:
        ui.tap(digit, ui.screen.ids.digits)


def open_confirm(ui: Any) -> None:
    ui.app.start_session()
    ui.frames(2)
    ui.tap("取号")
    assert ui.wait_until(lambda: any(t.startswith("法律援助\n") for t in ui.texts()))
    ui.tap(next(t for t in ui.texts() if t.startswith("法律援助\n")))
    assert ui.app.nav.current == "ticket_confirm"
    ui.tap("我有预约（输入预约码）")


def test_a_real_booking_checks_in_and_a_wrong_code_is_told(ui: Any, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        code = booked_now(hall.app)
        open_confirm(ui)
        wrong = "1" + code[1:] if code[0] != "1" else "2" + code[1:]
        type_code(ui, wrong)
        assert f"预约码：{wrong[:5]}-{wrong[5:]}" in ui.texts()
        ui.tap("确认取号")
        refused = "没有找到这个预约码，请核对，或到服务台咨询。"
        assert ui.wait_until(lambda: refused in ui.texts(), 15)
        for _ in range(10):
            ui.tap("删除")
        type_code(ui, code)
        ui.tap("确认取号")
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
        with hall.app.state.database.sessions() as session:
            ticket = session.scalars(select(Ticket)).one()
            booking = session.scalars(select(Booking)).one()
            assert (ticket.priority, booking.state, booking.ticket_id) == (
                "appointment", "checked_in", ticket.id)
        ui.tap("完成")
        open_confirm(ui)  # the same code again: used
        type_code(ui, code)
        ui.tap("确认取号")
        assert ui.wait_until(lambda: "这个预约已经签到取号了，请留意叫号。" in ui.texts(), 15)
