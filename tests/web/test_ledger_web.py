"""服务台账 in headless Chromium against a live server: a staff member registers a visitor
through the console API, the visitor rates on the phone page; the supervisor finds the
entry among many by window and words, opens it with its ticket and rating, pages through
the list, downloads the filtered list and the month's archive; the list fits a phone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import requests
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from devtools.ledger_seed import seed_ledger
from devtools.staff_client import StaffSession
from server.models import Hall, utcnow
from server.queue.hours import local_now
from server.queue.issuing import issue_ticket
from tests.web.conftest import QueueSite

SHOTS = Path("/tmp/shots-ledger")
NewTab = Callable[..., Page]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Page, site: QueueSite) -> None:
    tab.goto(site.server.url + "/login")
    tab.get_by_label("用户名").fill(site.supervisor[0])
    tab.get_by_label("密码").fill(site.supervisor[1])
    tab.get_by_role("button", name="登录").click()
    expect(tab).not_to_have_url(site.server.url + "/login")


def test_supervisor_finds_opens_and_exports_ledger_entries(queue_site: QueueSite,
                                                           new_tab: NewTab) -> None:
    today = local_now(utcnow()).date()
    app = queue_site.server.app
    with app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        seed_ledger(session, hall, today - dt.timedelta(days=10), 10, 12)  # not today
        ticket, _ = issue_ticket(session, hall, "legal-aid", actor="test:dispenser")
        session.commit()
        ticket_id, token = ticket.id, ticket.token
    console = StaffSession(queue_site.server.url, queue_site.staff[1], queue_site.password)
    assert console.post("/windows/1/sign-in").ok
    assert console.post("/windows/1/call-next").ok
    assert console.post(f"/windows/1/tickets/{ticket_id}/visitor", json={
        "name": "欧阳娜娜", "phone": "139 1234 5678", "matter": "=离婚财产分割咨询",
        "process": "告知起诉条件", "result": "已解答"}).ok
    assert console.post(f"/windows/1/tickets/{ticket_id}/finish").ok
    rated = requests.post(f"{queue_site.server.url}/t/{token}/rating", timeout=10,
                          json={"level": 2, "reasons": ["等候时间过长"]})
    assert rated.status_code == 201, rated.text

    boss = new_tab(1366, 768)
    sign_in(boss, queue_site)
    boss.get_by_role("navigation", name="主导航").get_by_role("link", name="服务台账").click()
    expect(boss).to_have_url(queue_site.server.url + "/ledger")
    expect(boss.locator("#ledger-total")).to_have_text("共 121 条")
    expect(boss.locator("table.ledger-list tbody tr")).to_have_count(50)
    first_row = boss.locator("table.ledger-list tbody tr").first
    expect(first_row).to_contain_text("欧*")  # masked in the list
    expect(first_row).to_contain_text("139****5678")
    shoot(boss, "01-ledger-1366")
    boss.get_by_role("link", name="下一页").click()
    expect(boss.get_by_text("第 2 / 3 页")).to_be_visible()
    expect(boss.locator("table.ledger-list tbody tr")).to_have_count(50)

    filters = boss.get_by_role("form", name="筛选台账")
    filters.get_by_label("窗口").select_option(label="1 号 法律援助窗口")
    filters.get_by_label("搜索").fill("离婚 财产")
    filters.get_by_role("button", name="查询").click()
    expect(boss.locator("#ledger-total")).to_have_text("共 1 条")
    row = boss.locator("table.ledger-list tbody tr")
    expect(row).to_contain_text("=离婚财产分割咨询")
    expect(row).to_contain_text("不满意")
    expect(row).to_contain_text("法律援助")

    with boss.expect_download() as info:
        boss.get_by_role("link", name="导出当前结果（XLSX）").click()
    info.value.save_as(SHOTS / "filtered.xlsx")
    sheet = load_workbook(SHOTS / "filtered.xlsx")["服务台账"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert len(rows) == 1 and rows[0][7:10] == ("欧*", "139****5678", "'=离婚财产分割咨询")
    assert "搜索：离婚 财产" in sheet["A2"].value

    row.get_by_role("link", name="A001").click()
    expect(boss.locator("#entry-name")).to_have_text("欧阳娜娜")  # in full on its page
    expect(boss.locator("#entry-phone")).to_have_text("13912345678")
    expect(boss.locator("#ticket")).to_contain_text("已办结")
    expect(boss.locator("#ticket")).to_contain_text("登记台账")
    expect(boss.locator("#rating")).to_contain_text("等候时间过长")
    shoot(boss, "02-entry-1366")
    boss.locator("#rating").get_by_role("link", name="查看差评回访").click()
    expect(boss).to_have_url(re.compile(r"/followups/\d+$"))

    boss.goto(queue_site.server.url + "/ledger")
    archive = boss.locator("form.archive-form")
    archive.get_by_label("月度归档").fill(f"{today:%Y-%m}")
    with boss.expect_download() as info:
        archive.get_by_role("button", name="下载归档（XLSX）").click()
    assert info.value.suggested_filename == f"服务台账归档-QX-01-{today:%Y-%m}.xlsx"
    info.value.save_as(SHOTS / "archive.xlsx")
    book = load_workbook(SHOTS / "archive.xlsx")
    in_month = 1 + 12 * sum(1 for back in range(1, 11)
                            if (today - dt.timedelta(days=back)).month == today.month)
    assert book["台账"].max_row - 4 == in_month

    boss.goto(f"{queue_site.server.url}/dashboard")
    expect(boss.locator("#matters-total")).to_have_text("121")
    boss.locator("section", has=boss.locator("#matters-title")).screenshot(
        path=str(SHOTS / "03-dashboard-demand-1366.png"))

    phone = new_tab(390, 844, mobile=True)
    sign_in(phone, queue_site)
    phone.goto(queue_site.server.url + "/ledger")
    expect(phone.locator("#ledger-total")).to_have_text("共 121 条")
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    number = phone.locator("table.ledger-list tbody tr").first.get_by_role("link")
    assert number.bounding_box()["height"] >= 40  # a finger-sized link
    shoot(phone, "04-ledger-390")
    number.click()
    expect(phone.locator("#entry-name")).to_have_text("欧阳娜娜")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    shoot(phone, "05-entry-390")
    phone.goto(f"{queue_site.server.url}/dashboard")
    demand = phone.locator("section", has=phone.locator("#matters-title"))
    expect(demand.locator("#matters-total")).to_have_text("121")
    demand.screenshot(path=str(SHOTS / "06-dashboard-demand-390.png"))
