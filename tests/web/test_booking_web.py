"""Booking on the visitor's phone page in headless Chromium at a phone's size: choose a
service and a slot, book with name, phone and matter, see the code and QR code with the
name and number masked, a full slot greyed out, a wrong number explained, cancel."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.appointments.models import Booking
from server.models import Hall
from tests.server.appointment_setup import BOOKABLE, set_up_bookable
from tests.web.conftest import QueueSite

SHOTS = Path("/tmp/shots-booking")
NewTab = Callable[..., Page]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_book_on_the_phone_then_cancel(queue_site: QueueSite, new_tab: NewTab) -> None:
    app = queue_site.server.app
    with app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        one_seat = [item | {"capacity": 1} if item["code"] == "notary" else item
                    for item in BOOKABLE]
        set_up_bookable(session, hall, one_seat)
        code = hall.code
    tab = new_tab(390, 844, mobile=True)
    tab.goto(f"{queue_site.server.url}/book/{code}")
    expect(tab.get_by_role("heading", name=re.compile("请选择预约业务"))).to_be_visible()
    expect(tab.get_by_text("青溪村服务点")).to_be_visible()
    shoot(tab, "1-services")
    tab.get_by_role("link", name=re.compile("^公证")).click()
    first_slot = tab.locator("input[name=slot]:not([disabled])").first
    slot_value = first_slot.get_attribute("value")
    assert slot_value
    tab.locator(f"label:has(input[value='{slot_value}'])").click()
    tab.fill("input[name=name]", "张三")
    tab.fill("input[name=phone]", "12345")
    tab.fill("textarea[name=matter]", "办理继承公证")
    tab.get_by_role("button", name=re.compile("确认预约")).click()
    expect(tab.get_by_role("alert")).to_contain_text("请输入正确的手机号码")
    expect(tab.locator("input[name=name]")).to_have_value("张三")  # what was typed is kept
    shoot(tab, "2-wrong-phone")
    tab.locator(f"label:has(input[value='{slot_value}'])").click()
    tab.fill("input[name=phone]", "+86 138-1234-5678")
    tab.get_by_role("button", name=re.compile("确认预约")).click()

    expect(tab.get_by_role("heading", name="预约成功")).to_be_visible()
    shown = tab.locator(".booking-code").inner_text()
    assert re.fullmatch(r"\d{5}-\d{5}", shown)
    expect(tab.locator(".qr svg")).to_be_visible()
    body = tab.locator("body").inner_text()
    assert "张*" in body and "138****5678" in body
    assert "张三" not in body and "13812345678" not in body
    shoot(tab, "3-booked")
    booking_url = tab.url
    with app.state.database.sessions() as session:
        booking = session.scalar(select(Booking))
        assert booking is not None
        assert (booking.phone, booking.code, booking.state) == (
            "13812345678", shown.replace("-", ""), "booked")

    other = new_tab(390, 844, mobile=True)  # the only seat is taken: greyed out for others
    other.goto(f"{queue_site.server.url}/book/{code}?service=notary")
    full = other.locator(f"input[value='{slot_value}']")
    expect(full).to_be_disabled()
    expect(other.locator(f"label:has(input[value='{slot_value}'])")).to_contain_text("已约满")
    shoot(other, "4-slot-full")

    tab.goto(booking_url)
    tab.get_by_role("button", name=re.compile("取消预约")).click()
    expect(tab.get_by_role("heading", name="预约已取消")).to_be_visible()
    expect(tab.get_by_role("button", name=re.compile("取消预约"))).to_have_count(0)
    shoot(tab, "5-cancelled")
    other.reload()
    expect(other.locator(f"input[value='{slot_value}']")).to_be_enabled()
    with app.state.database.sessions() as session:
        booking = session.scalar(select(Booking))
        assert booking is not None and booking.state == "cancelled" and booking.seat is None


def test_unknown_booking_page_is_a_chinese_page(queue_site: QueueSite, new_tab: NewTab) -> None:
    tab = new_tab(390, 844, mobile=True)
    response = tab.goto(f"{queue_site.server.url}/a/not-a-real-booking-token")
    assert response is not None and response.status == 404
    expect(tab.get_by_text("没有找到这个预约")).to_be_visible()
