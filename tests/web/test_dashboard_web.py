"""The supervisor dashboard in headless Chromium against a live server with generated
activity: sign in, choose a range, see the charts and figures, download the XLSX and the
monthly report and open them with openpyxl, print view, a bad date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.analytics import export
from server.models import Hall, utcnow
from tests.server.test_dashboard import LOCAL, SUPERVISOR, answers, generated_hall
from tests.web.conftest import LiveServer

SHOTS = Path("/tmp/shots-dashboard")


def shoot(page: Page, name: str, full: bool = True) -> None:
    """Keep a screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def expected(live_server: LiveServer, start: dt.date, end: dt.date) -> dict:
    """The figures of the range, from the raw rows."""
    with live_server.app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "QX-01"))
        assert hall is not None
        today = (utcnow() + LOCAL).date()
        return answers(session, hall, start, end, today)


def test_supervisor_reads_the_dashboard_and_downloads(live_server: LiveServer,
                                                      page: Page) -> None:
    today = (utcnow() + LOCAL).date()
    with live_server.app.state.database.sessions() as session:
        generated_hall(session, start=today - dt.timedelta(days=70), days=71, now=utcnow())
    url = live_server.url
    page.goto(url + "/dashboard")
    expect(page).to_have_url(url + "/login?next=/dashboard")
    page.get_by_label("用户名").fill(SUPERVISOR[0])
    page.get_by_label("密码").fill(SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(url + "/dashboard")
    expect(page.get_by_role("heading", name="统计看板")).to_be_visible()
    default = expected(live_server, today - dt.timedelta(days=29), today)
    expect(page.locator("#kpi-tickets")).to_have_text(str(default["tickets"]))
    expect(page.locator("figure.chart svg")).to_have_count(5)

    start, end = today - dt.timedelta(days=60), today - dt.timedelta(days=10)
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(f"{url}/dashboard?start={start}&end={end}")
    want = expected(live_server, start, end)
    expect(page.locator("#kpi-tickets")).to_have_text(str(want["tickets"]))
    expect(page.locator(".period")).to_contain_text(f"{start.year}年{start.month}月{start.day}日")
    expect(page.locator("figure.chart svg")).to_have_count(5)
    expect(page.locator("#chart-hour svg text", has_text="10时")).to_have_count(1)
    expect(page.locator("#table-services tbody tr")).to_have_count(len(want["services"]) + 1)
    expect(page.locator("#kpi-overdue")).to_have_text(str(len(want["overdue"])))
    no_overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(no_overflow)
    shoot(page, "dashboard")
    shoot(page, "dashboard-top", full=False)

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel（XLSX）").click()
    download = info.value
    assert download.suggested_filename == f"统计-QX-01-{start}-{end}.xlsx"
    download.save_as(SHOTS / download.suggested_filename)
    book = load_workbook(SHOTS / download.suggested_filename)
    assert book.sheetnames[:3] == ["概况", "按业务", "按时段取号"]
    assert book["概况"]["A1"].value == "统计报表 · 青溪市公共法律服务中心"
    summary = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=5)}
    assert summary["取号"] == want["tickets"]
    assert summary["评价"] == sum(want["levels"].values())
    assert summary["投诉建议"] == sum(want["complaints"].values())
    services = book["按业务"]
    assert services.cell(services.max_row, 2).value == want["tickets"]

    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page.get_by_label("月度报告").fill(f"{month:%Y-%m}")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载月度报告").click()
    info.value.save_as(SHOTS / "monthly-report.xlsx")
    report = load_workbook(SHOTS / "monthly-report.xlsx")
    assert report["概况"]["A1"].value.startswith(f"月度报告（{month.year}年{month.month}月）")
    first, last = export.month_range(month)
    monthly = {row[0].value: row[1].value for row in report["概况"].iter_rows(min_row=5)}
    assert monthly["取号"] == expected(live_server, first, last)["tickets"]

    page.get_by_role("button", name="打印版").click()
    expect(page).to_have_url(f"{url}/dashboard/report?month={month:%Y-%m}")
    expect(page.get_by_role("heading", name=export.month_title(month))).to_be_visible()
    expect(page.locator("figure.chart svg")).to_have_count(4)
    shoot(page, "monthly-report")

    page.goto(url + "/dashboard?start=2026-02-30&end=2026-03-01")
    expect(page.get_by_role("alert")).to_contain_text("日期格式不正确")
    expect(page.locator("figure.chart svg")).to_have_count(5)  # the last 30 days instead
    shoot(page, "dashboard-bad-date", full=False)

    page.set_viewport_size({"width": 820, "height": 1000})
    page.goto(f"{url}/dashboard?start={start}&end={end}")
    assert page.evaluate(no_overflow)
    shoot(page, "dashboard-narrow")
