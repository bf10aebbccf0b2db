"""预约签到 on the real app: a real booking's code typed on the keypad takes the priority
ticket; a wrong code and a used one are refused with their own words. End to end: booked
on the phone page in Chromium, checked in on the terminal, the priority ticket issued and
the phone page saying 已签到."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from server.appointments.models import BookableService, Booking
from server.appointments.service import new_code
from server.models import Hall
from server.queue.models import Ticket
from tests.server.appointment_setup import set_up_bookable
from tests.ui.server_link import served_queue_hall
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

CHINA = dt.timezone(dt.timedelta(hours=8))
# Half-hour slots round the clock every day, check-in an hour ahead: whenever the test runs,
# the first slot the phone page offers can be checked in at once.
HALF_HOURS = [f"{m // 60:02d}:{m % 60:02d}-{(m + 30) // 60:02d}:{(m + 30) % 60:02d}"
              for m in range(0, 24 * 60, 30)]
ROUND_THE_CLOCK = [{"code": "lawyer", "name": "律师值班咨询", "queue_service": "legal-aid",
                    "slots": {day: HALF_HOURS for day in ("mon", "tue", "wed", "thu", "fri",
                                                          "sat", "sun")},
                    "capacity": 2, "early_minutes": 60}]


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


def test_booked_on_the_phone_page_checks_in_on_the_terminal(ui: Any, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        with hall.app.state.database.sessions() as session:
            place = session.scalars(select(Hall)).one()
            set_up_bookable(session, place, ROUND_THE_CLOCK)
            hall_code = place.code
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                 headless=True)
            try:
                phone = browser.new_context(locale="zh-CN", is_mobile=True, has_touch=True,
                                            viewport={"width": 390, "height": 844},
                                            device_scale_factor=2).new_page()
                phone.set_default_timeout(10_000)
                phone.goto(f"{hall.url}/book/{hall_code}")
                phone.get_by_role("link", name=re.compile("^律师值班咨询")).click()
                slot = phone.locator("input[name=slot]:not([disabled])").first.get_attribute(
                    "value")
                phone.locator(f"label:has(input[value='{slot}'])").click()
                phone.fill("input[name=name]", "李四")
                phone.fill("input[name=phone]", "13900139000")
                phone.fill("textarea[name=matter]", "工伤赔偿咨询")
                phone.get_by_role("button", name=re.compile("确认预约")).click()
                expect(phone.get_by_role("heading", name="预约成功")).to_be_visible()
                code = phone.locator(".booking-code").inner_text().replace("-", "")

                open_confirm(ui)
                type_code(ui, code)
                ui.tap("确认取号")
                assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
                with hall.app.state.database.sessions() as session:
                    ticket = session.scalars(select(Ticket)).one()
                    booking = session.scalars(select(Booking)).one()
                    assert (booking.code, booking.phone, booking.source) == (
                        code, "13900139000", "phone")
                    assert (ticket.priority, ticket.service.code, booking.state,
                            booking.ticket_id) == ("appointment", "legal-aid", "checked_in",
                                                   ticket.id)
                    number = ticket.number
                assert any(number in text for text in ui.texts())
                phone.reload()  # the visitor's phone page follows
                expect(phone.locator("#booking-title")).to_have_text("已签到")
            finally:
                browser.close()
        ui.tap("完成")
