"""预约名单 in headless Chromium at a laptop's and a phone's size: the day's bookings per
service and slot with their states, the day picker, nothing overlapping, no sideways
scroll, each booking a card on the phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.appointments import service as appointments
from server.models import Hall
from tests.server.appointment_setup import set_up_bookable
from tests.web.conftest import QueueSite
from tests.web.test_webux import overlaps, sign_in, visible_boxes

SHOTS = Path("/tmp/shots-bookings")
NewTab = Callable[..., Page]
FRIDAY = dt.date(2026, 12, 4)
THURSDAY_0900 = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)  # 09:00 in the hall
FRIDAY_0900 = THURSDAY_0900 + dt.timedelta(days=1)


def _seed(site: QueueSite) -> str:
    with site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, site.hall_id)
        assert hall is not None
        set_up_bookable(session, hall)
        people = [("notary", "09:00", "张三丰", "13812345678", "继承公证，需要核对房产证和户口簿"),
                  ("notary", "09:00", "欧阳明月", "13900001111", "学历公证"),
                  ("notary", "10:00", "王五", "13700002222", "委托书公证"),
                  ("lawyer", "14:00", "赵六", "13600003333", "劳动合同纠纷咨询，拖欠三个月工资")]
        made = [appointments.book(session, hall, service, FRIDAY, start, name=name,
                                  phone=phone, matter=matter, now=THURSDAY_0900)
                for service, start, name, phone, matter in people]
        session.commit()
        appointments.cancel(session, made[2], now=THURSDAY_0900)
        ticket, _ = appointments.check_in(session, hall, made[0].code, actor="t",
                                          now=FRIDAY_0900)
        session.commit()
        return ticket.number


def test_the_days_bookings_at_a_laptops_and_a_phones_size(queue_site: QueueSite,
                                                          new_tab: NewTab) -> None:
    number = _seed(queue_site)
    for width, height in ((1366, 768), (390, 844)):
        tab = new_tab(width, height, mobile=width < 500)
        sign_in(tab, queue_site.server.url, queue_site.staff[1], queue_site.password)
        if width < 500:
            tab.get_by_role("button", name="菜单").click()
        tab.locator("#main-nav").get_by_role("link", name="预约名单").click()
        expect(tab.get_by_role("heading", name="预约名单Bookings")).to_be_visible()
        tab.fill("input[name=day]", FRIDAY.isoformat())
        tab.get_by_role("button", name="查看").click()
        notary = tab.locator("#service-notary")
        expect(notary.locator("tr.booking")).to_have_count(3)
        expect(notary.locator("tr.slot-head")).to_have_text(["09:00–10:00 2 人",
                                                             "10:00–11:00 1 人"])
        expect(notary.locator("tr.booking .pill")).to_have_text(["已签到", "未到", "已取消"])
        expect(notary.locator(".ticket")).to_have_text(f"{number} 号")
        expect(tab.locator("#service-lawyer tr.booking .pill")).to_have_text(["未到"])
        expect(tab.locator("#total-no_show")).to_have_text("2")
        expect(tab.get_by_text("138****5678")).to_be_visible()
        expect(tab.get_by_text("张三丰")).to_have_count(0)
        scroll = tab.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"scrolls sideways at {width} px ({scroll} px)"
        assert overlaps(visible_boxes(tab.locator("main a, main button, main input"))) == []
        first = notary.locator("tr.booking").first.bounding_box()
        code = notary.locator("td.code").first.bounding_box()
        assert first and code
        if width < 500:  # a card: its fields stacked, each full width
            assert notary.locator("thead").is_hidden()
            assert code["y"] > notary.locator("td.time").first.bounding_box()["y"]
            assert first["width"] > 300
        else:  # a table row: the fields side by side
            assert code["y"] == notary.locator("td.time").first.bounding_box()["y"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"bookings-{width}.png"), full_page=True)
