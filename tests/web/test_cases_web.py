"""案件办理 in headless Chromium: the hall's case list with its deadlines and filters, a
case page where staff 受理 and ask for more (需补正) by its forms, and the visitor's
progress page from the receipt's QR code at a phone's size, masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.models import Hall
from tests.web.conftest import QueueSite
from tests.web.test_followups_web import sign_in

SHOTS = Path("/tmp/cases-shots")
NewTab = Callable[..., Page]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_staff_work_a_case_and_the_visitor_follows_it(queue_site: QueueSite,
                                                       new_tab: NewTab) -> None:
    app = queue_site.server.app
    with app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        case, _ = case_steps.create(session, hall, "legal_aid", name="张三", phone="13812345678",
                                    matter="追索劳动报酬", details={"other_party": "某建筑公司",
                                                              "economic": "低保户"})
        late, _ = case_steps.create(session, hall, "callback", phone="0871-65012345",
                                    matter="离婚财产分割咨询",
                                    at=dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
        session.commit()
        case_id, token, code = case.id, case.token, case_rules.shown_code(case.code)
        late_code = case_rules.shown_code(late.code)
    tab = new_tab()
    sign_in(tab, queue_site, queue_site.supervisor[0], queue_site.supervisor[1])
    tab.get_by_role("link", name="案件办理").click()
    expect(tab.get_by_role("heading", name="案件办理")).to_be_visible()
    rows = tab.locator("table.cases tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(late_code)  # the earliest deadline first
    expect(rows.nth(0)).to_contain_text("已超期")
    expect(tab.locator("#count-overdue")).to_have_text("1")
    shoot(tab, "console-cases")
    tab.get_by_label("类型").select_option("legal_aid")
    tab.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    tab.get_by_role("link", name=code).click()
    expect(tab.locator("#case-state")).to_have_text("已提交")
    tab.locator("#open-needs_more").click()
    tab.locator("#form-needs_more").get_by_role("button").click()
    expect(tab.get_by_role("alert")).to_contain_text("请填写给群众的说明")
    tab.locator("#form-needs_more textarea[name=message]").fill("请补充收入证明。")
    tab.locator("#form-needs_more").get_by_role("button").click()
    expect(tab.locator("#case-state")).to_have_text("需补正")
    tab.locator("#open-accept").click()
    tab.locator("#form-accept textarea[name=message]").fill("材料齐全，已受理。")
    tab.locator("#form-accept textarea[name=note]").fill("指派王律师")
    tab.locator("#form-accept").get_by_role("button").click()
    expect(tab.locator("#case-state")).to_have_text("已受理")
    expect(tab.locator("#case-trail li")).to_have_count(3)
    expect(tab.locator("#case-trail")).to_contain_text("指派王律师")
    tab.locator("#open-transfer").click()
    shoot(tab, "console-case")

    phone = new_tab(390, 844, mobile=True)
    phone.goto(f"{queue_site.server.url}/case/{token}")
    expect(phone.locator("#case-state")).to_have_text("已受理")
    expect(phone.locator("#case-code")).to_have_text(code)
    body = phone.locator("main")
    expect(body).to_contain_text("138****5678")
    expect(body).to_contain_text("张*")
    expect(body).to_contain_text("请补充收入证明。")
    expect(body).to_contain_text("材料齐全，已受理。")
    expect(body).not_to_contain_text("指派王律师")
    expect(body).not_to_contain_text("张三")
    shoot(phone, "phone-case-progress")
    phone.goto(f"{queue_site.server.url}/case/not-a-real-token-at-all")
    expect(phone.locator("main")).to_contain_text("没有找到这个案件")
    shoot(phone, "phone-case-404")
    assert case_id
