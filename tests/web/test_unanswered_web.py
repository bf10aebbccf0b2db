"""The dashboard's 需求研判 section in headless Chromium: questions the query terminal could
not answer, grouped by wording with counts and last asked, masked, long ones wrapped."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.fleet.outbox import receive_outbox
from server.models import Hall, Terminal
from server.security import create_user
from tests.web.conftest import LiveServer

SHOTS = Path("/tmp/shots-dashboard")
SUPERVISOR = ("li.supervisor", "unanswered-pass")
QUESTIONS = ["工伤认定要多久？", "工伤认定要多久", "工伤认定要多久。",
             "我的电话13912345678，房租押金不退怎么办", "房租押金不退怎么办",
             "邻居装修噪音太大" * 12, "公司不交社保可以辞职吗"]


def test_supervisor_sees_the_unanswered_questions(live_server: LiveServer, page: Page) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with live_server.app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "GZ-CG-01"))
        assert hall is not None
        terminal = Terminal(device_id="web-query-terminal", public_key="", status="accepted",
                            hall_id=hall.id, profile="query")
        session.add(terminal)
        create_user(session, *SUPERVISOR, "supervisor", hall.code)
        session.commit()
        receive_outbox(session, terminal, [
            {"key": str(uuid.uuid4()), "kind": "usage.unanswered",
             "created_at": (now + dt.timedelta(seconds=n)).isoformat(),
             "payload": {"question": text, "language": "zh", "score": 1.2}}
            for n, text in enumerate(QUESTIONS)])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/login?next=/dashboard")
    page.get_by_label("用户名").fill(SUPERVISOR[0])
    page.get_by_label("密码").fill(SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.url + "/dashboard")
    section = page.locator("section", has=page.locator("#demand-title"))
    section.scroll_into_view_if_needed()
    expect(page.locator("#unanswered-total")).to_have_text(str(len(QUESTIONS)))
    rows = page.locator("#table-unanswered tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("工伤认定要多久")
    expect(rows.nth(0).locator("td").first).to_have_text("3")
    expect(page.locator("#table-unanswered")).to_contain_text("我的电话[手机号],房租押金不退怎么办")
    expect(page.locator("#table-unanswered")).not_to_contain_text("13912345678")
    no_overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(no_overflow)
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "unanswered.png"))
