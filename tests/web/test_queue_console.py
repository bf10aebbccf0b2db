"""The queue console, the supervisor's hall view and the visitor's phone page, in headless
Chromium against a live server; tickets come from the queue core as a dispenser would."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from server.models import Hall, Window
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from tests.web.conftest import QueueSite

SHOTS = Path("/tmp/queue-web-shots")
NewTab = Callable[..., Page]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def issue(site: QueueSite, service: str = "legal-aid") -> tuple[str, str]:
    """Take a ticket as the hall's dispenser would; its number and phone page token."""
    with site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, site.hall_id)
        assert hall is not None
        ticket, _ = issue_ticket(session, hall, service, actor="test:dispenser")
        session.commit()
        return ticket.number, ticket.token


def ticket_row(site: QueueSite, number: str) -> dict[str, Any]:
    """Today's ticket with this number, as stored."""
    with site.server.app.state.database.sessions() as session:
        ticket = session.query(Ticket).filter_by(hall_id=site.hall_id, number=number).one()
        return {"state": ticket.state, "service": ticket.service.code,
                "call_count": ticket.call_count, "visitor": dict(ticket.visitor)}


def window_row(site: QueueSite, number: int) -> tuple[str, str]:
    """The window's state and pause reason, as stored."""
    with site.server.app.state.database.sessions() as session:
        window = session.query(Window).filter_by(hall_id=site.hall_id, number=number).one()
        return window.state, window.pause_reason


def sign_in(tab: Page, site: QueueSite, username: str, password: str) -> None:
    """Sign in through the form; hall staff and supervisors land on the queue console."""
    tab.goto(site.server.url + "/")
    expect(tab).to_have_url(site.server.url + "/login")
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录").click()
    expect(tab).to_have_url(site.server.url + "/queue")


def open_window(tab: Page, site: QueueSite, number: int = 1) -> None:
    """Sign in as the window's staff member and take the window."""
    sign_in(tab, site, site.staff[number], site.password)
    expect(tab.get_by_role("heading", name="选择窗口")).to_be_visible()
    tab.get_by_role("button", name=f"登录 {number} 号窗口").click()
    expect(tab.get_by_role("heading", name=re.compile(f"^{number} 号窗口 · "))).to_be_visible()
    expect(tab.locator("#window-state")).to_have_text("开放")
    expect(tab.locator("#chooser")).to_be_hidden()
    expect(tab.locator("#live")).to_have_attribute("data-state", "open")


def button(tab: Page, label: str) -> Locator:
    """A console button by the start of its label (labels end with their shortcut keys)."""
    return tab.get_by_role("button", name=re.compile(f"^{label}"))


def waiting(tab: Page, service: str) -> Locator:
    """The numbers listed as waiting for a service."""
    return tab.locator(f'.waiting-group[data-service="{service}"] .waiting-list li')


def test_staff_call_recall_transfer_pause_resume_finish(queue_site: QueueSite,
                                                        new_tab: NewTab) -> None:
    tab = new_tab()
    open_window(tab, queue_site)
    current = tab.locator("#current-number")
    meta = tab.locator("#current-meta")
    alert = tab.get_by_role("alert")

    expect(button(tab, "叫号")).to_be_disabled()  # nobody waiting: a neutral note, no error
    expect(meta).to_have_text("当前没有等候的号码，有人取号后即可叫号。")
    expect(alert).to_be_hidden()

    issue(queue_site), issue(queue_site)
    expect(waiting(tab, "legal-aid")).to_have_text(["A001", "A002"])  # arrived live
    expect(tab.locator("#waiting-total")).to_have_text("共 2 人")
    tab.keyboard.press("n")
    expect(current).to_have_text("A001")
    expect(alert).to_be_hidden()
    expect(meta).to_contain_text("已呼叫 1 次")
    expect(waiting(tab, "legal-aid")).to_have_text(["A002"])

    tab.keyboard.press("r")
    expect(meta).to_contain_text("第 2 次呼叫 · 重呼")
    assert ticket_row(queue_site, "A001")["call_count"] == 2
    button(tab, "开始办理").click()
    expect(meta).to_contain_text("正在办理")
    expect(button(tab, "重呼")).to_be_disabled()
    shoot(tab, "console-serving")
    tab.keyboard.press("f")
    expect(current).to_have_text("—")
    assert ticket_row(queue_site, "A001")["state"] == "finished"

    tab.keyboard.press("F1")
    expect(current).to_have_text("A002")
    button(tab, "转移").click()
    dialog = tab.get_by_role("dialog", name=re.compile("转移号码"))
    expect(dialog).to_contain_text("A002")
    dialog.get_by_label("转到业务").select_option(label="公证（B）")
    shoot(tab, "console-transfer-dialog")
    dialog.get_by_role("button", name="确认转移").click()
    expect(dialog).to_be_hidden()
    expect(current).to_have_text("—")
    expect(waiting(tab, "notary")).to_have_text([re.compile(r"^A002")])
    expect(waiting(tab, "notary")).to_contain_text(["转入"])
    assert ticket_row(queue_site, "A002") | {"visitor": {}} == {
        "state": "transferred", "service": "notary", "call_count": 1, "visitor": {}}

    button(tab, "暂停").click()
    pause = tab.get_by_role("dialog", name="暂停服务")
    pause.get_by_role("button", name="午休").click()
    expect(pause.get_by_label("暂停原因")).to_have_value("午休")
    pause.get_by_role("button", name="确认暂停").click()
    expect(pause).to_be_hidden()
    expect(tab.locator("#window-state")).to_have_text("暂停服务")
    expect(tab.locator("#pause-banner")).to_have_text("暂停服务：午休")
    expect(button(tab, "叫号")).to_be_disabled()
    assert window_row(queue_site, 1) == ("paused", "午休")
    issue(queue_site)
    expect(waiting(tab, "legal-aid")).to_have_text(["A003"])
    tab.keyboard.press("n")  # the shortcut of a disabled button does nothing
    shoot(tab, "console-paused")
    expect(current).to_have_text("—")

    button(tab, "恢复服务").click()
    expect(tab.locator("#window-state")).to_have_text("开放")
    expect(tab.locator("#pause-banner")).to_be_hidden()
    expect(button(tab, "叫号")).to_be_enabled()
    assert ticket_row(queue_site, "A003")["state"] == "waiting"  # "n" did not call it
    button(tab, "叫号").click()
    expect(current).to_have_text("A003")
    button(tab, "办结").click()
    expect(current).to_have_text("—")
    expect(tab.get_by_role("status").filter(has_text="A003 已办结")).to_be_visible()
    assert ticket_row(queue_site, "A003")["state"] == "finished"


def test_hold_and_call_back_skip_call_by_number_and_close(queue_site: QueueSite,
                                                           new_tab: NewTab) -> None:
    for _ in range(3):
        issue(queue_site)
    tab = new_tab()
    open_window(tab, queue_site)
    current = tab.locator("#current-number")
    held = tab.locator("#held-list li")

    tab.keyboard.press("n")
    expect(current).to_have_text("A001")
    tab.keyboard.press("h")
    expect(current).to_have_text("—")
    expect(held).to_have_count(1)
    expect(held.first).to_contain_text("A001")
    expect(waiting(tab, "legal-aid")).to_have_text(["A002", "A003"])

    tab.keyboard.press("n")
    expect(current).to_have_text("A002")
    expect(held.first.get_by_role("button", name="回呼")).to_be_disabled()  # window is busy
    tab.keyboard.press("s")
    expect(current).to_have_text("—")
    expect(tab.locator("#skipped-list li")).to_have_count(1)
    assert ticket_row(queue_site, "A002")["state"] == "no_show"
    held.first.get_by_role("button", name="回呼").click()
    expect(current).to_have_text("A001")
    expect(held).to_have_count(0)
    expect(tab.locator("#current-meta")).to_contain_text("第 2 次呼叫")
    expect(button(tab, "关闭窗口")).to_be_disabled()  # not with a visitor at the window
    tab.keyboard.press("f")
    expect(current).to_have_text("—")

    tab.keyboard.press("g")
    dialog = tab.get_by_role("dialog", name="指定叫号")
    dialog.get_by_label("号码").fill("a099")
    dialog.get_by_role("button", name="叫这个号").click()
    expect(dialog.get_by_role("alert")).to_have_text("没有这个号码。（A099）")
    dialog.get_by_label("号码").fill("a003")
    dialog.get_by_role("button", name="叫这个号").click()
    expect(dialog).to_be_hidden()
    expect(current).to_have_text("A003")
    button(tab, "办结").click()
    expect(current).to_have_text("—")

    button(tab, "关闭窗口").click()
    expect(tab.get_by_role("heading", name="选择窗口")).to_be_visible()
    expect(tab.locator("#desk")).to_be_hidden()
    card = tab.locator('.window-card[data-window="1"]')
    expect(card).to_contain_text("关闭")
    expect(card.get_by_role("button", name="登录 1 号窗口")).to_be_enabled()
    shoot(tab, "console-choose-window")
    assert window_row(queue_site, 1) == ("closed", "")


def test_visitor_ledger_needs_a_good_phone_and_typing_is_not_a_shortcut(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    issue(queue_site)
    tab = new_tab()
    open_window(tab, queue_site)
    tab.keyboard.press("n")
    expect(tab.locator("#current-number")).to_have_text("A001")

    tab.get_by_text("服务台账登记").click()
    ledger = tab.locator("#ledger-form")
    expect(tab.locator("#ledger-target")).to_have_text("登记对象：A001")
    ledger.get_by_label("来访人姓名").fill("王某")
    ledger.get_by_label("联系方式").fill("12345")
    ledger.get_by_label("来访事项").fill("劳动争议咨询")
    ledger.get_by_label("办理过程").click()
    tab.keyboard.type("NRFSH ok")  # shortcut letters, typed into a field: just text
    expect(ledger.get_by_label("办理过程")).to_have_value("NRFSH ok")
    ledger.get_by_role("button", name="保存登记").click()
    expect(tab.get_by_role("alert")).to_have_text("登记信息不完整或格式不对：联系方式。")
    expect(ledger.get_by_label("联系方式")).to_have_attribute("aria-invalid", "true")
    expect(ledger.get_by_label("来访事项")).to_have_attribute("aria-invalid", "false")
    shoot(tab, "console-ledger-error")
    assert ticket_row(queue_site, "A001")["visitor"] == {}
    issue(queue_site)  # the queue moves on: the old message goes, the typing stays
    expect(waiting(tab, "legal-aid")).to_have_text(["A002"])
    expect(tab.get_by_role("alert")).to_be_hidden()
    expect(ledger.get_by_label("来访事项")).to_have_value("劳动争议咨询")

    ledger.get_by_label("联系方式").fill("13800138000")
    ledger.get_by_role("button", name="保存登记").click()
    expect(tab.get_by_role("status").filter(has_text="服务台账已保存")).to_be_visible()
    expect(tab.get_by_role("alert")).to_be_hidden()
    expect(ledger.get_by_label("联系方式")).to_have_attribute("aria-invalid", "false")
    expect(tab.locator("#current-meta")).to_contain_text("已登记台账")
    row = ticket_row(queue_site, "A001")
    assert (row["state"], row["call_count"]) == ("called", 1)  # typing called, finished nothing
    assert {key: row["visitor"][key] for key in ("name", "phone", "matter", "process")} == {
        "name": "王某", "phone": "13800138000", "matter": "劳动争议咨询", "process": "NRFSH ok"}


def test_a_no_show_is_undone_or_called_back_and_keys_need_the_panel(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    issue(queue_site), issue(queue_site)
    tab = new_tab()
    open_window(tab, queue_site)
    current = tab.locator("#current-number")
    status = tab.get_by_role("status")
    tab.keyboard.press("n")  # entering the window gave its panel the focus
    expect(current).to_have_text("A001")
    call_button = button(tab, "叫号").bounding_box()

    tab.locator("#waiting-title").click()  # the focus leaves the panel
    expect(tab.locator(".window-panel")).not_to_have_class(re.compile("keys-on"))
    tab.keyboard.press("s")  # a stray key outside the panel does nothing
    tab.wait_for_timeout(500)
    assert ticket_row(queue_site, "A001")["state"] == "called"

    tab.locator("#current").click()  # back in the panel: its keys work again
    tab.keyboard.press("s")
    expect(current).to_have_text("—")
    expect(status).to_contain_text("A001 已过号。")
    undo = tab.get_by_role("button", name=re.compile("^撤销（([1-9]|10)）$"))
    expect(undo).to_be_visible()
    assert button(tab, "叫号").bounding_box() == call_button  # the message moved no button
    shoot(tab, "console-undo-no-show")
    undo.click()
    expect(current).to_have_text("A001")
    expect(status).to_contain_text("已撤销过号")
    row = ticket_row(queue_site, "A001")
    assert (row["state"], row["call_count"]) == ("called", 1)  # back as it was, not re-called

    tab.keyboard.press("s")
    expect(current).to_have_text("—")
    skipped = tab.locator("#skipped-list li")
    expect(skipped).to_have_count(1)
    expect(skipped.first).to_contain_text("A001")
    tab.keyboard.press("n")
    expect(current).to_have_text("A002")
    expect(skipped.first.get_by_role("button", name="回呼")).to_be_disabled()  # window busy
    tab.keyboard.press("f")
    expect(current).to_have_text("—")
    skipped.first.get_by_role("button", name="回呼").click()  # the visitor came back
    expect(current).to_have_text("A001")
    expect(tab.locator("#current-meta")).to_contain_text("第 2 次呼叫")
    expect(skipped).to_have_count(0)
    assert ticket_row(queue_site, "A001")["state"] == "called"


def test_phone_page_follows_the_ticket_live(queue_site: QueueSite, new_tab: NewTab) -> None:
    issue(queue_site)
    _, token = issue(queue_site)
    phone = new_tab(390, 844, mobile=True)
    phone.goto(f"{queue_site.server.url}/t/{token}")
    expect(phone.locator(".hall-name")).to_have_text("青溪市公共法律服务中心")
    expect(phone.locator("#number")).to_have_text("A002")
    expect(phone.locator("#service")).to_have_text("法律援助")
    expect(phone.locator("#state")).to_have_text("等候中")
    expect(phone.locator("#wait")).to_contain_text("前面还有 1 人")
    expect(phone.locator("#wait")).to_contain_text("预计等候约 6 分钟")
    expect(phone.locator("#call")).to_be_hidden()
    expect(phone.locator("#connection")).to_be_hidden()
    phone.evaluate("window.stillTheSamePage = true")
    shoot(phone, "phone-waiting")

    staff = new_tab()
    open_window(staff, queue_site)
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text("A001")
    expect(phone.locator("#wait")).to_contain_text("前面还有 0 人")
    expect(phone.locator("#hint")).to_have_text("下一位就是您，请留意叫号。")
    staff.keyboard.press("f")
    expect(staff.locator("#current-number")).to_have_text("—")
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text("A002")

    call = phone.locator("#call")
    expect(call).to_be_visible()
    expect(call.locator("#call-text")).to_have_text("请到 1 号窗口办理")
    expect(phone.locator("#state")).to_have_text("请到窗口办理")
    expect(phone.locator("#wait")).to_be_hidden()
    expect(phone).to_have_title(re.compile("^请到1号窗口"))
    shoot(phone, "phone-called")
    staff.keyboard.press("r")
    expect(staff.locator("#current-meta")).to_contain_text("重呼")
    expect(call.locator("#call-note")).to_have_text("第 2 次呼叫，请尽快前往")
    assert phone.evaluate("window.stillTheSamePage") is True  # updated without a reload

    # A page that cannot reach the live feed says so, and catches up once it can.
    cut_off = new_tab(390, 844, mobile=True)
    cut_off.route("**/events", lambda route: route.abort())
    cut_off.goto(f"{queue_site.server.url}/t/{token}")
    connection = cut_off.locator("#connection")
    expect(connection).to_be_visible()
    expect(connection).to_have_text("连接中断，正在重新连接…")
    shoot(cut_off, "phone-reconnecting")
    staff.keyboard.press("b")
    expect(staff.locator("#current-meta")).to_contain_text("正在办理")
    expect(phone.locator("#call-text")).to_have_text("正在 1 号窗口办理")
    expect(cut_off.locator("#call-text")).to_have_text("请到 1 号窗口办理")  # not told yet
    cut_off.unroute("**/events")
    expect(connection).to_be_hidden(timeout=10_000)  # the browser reconnected by itself
    expect(cut_off.locator("#call-text")).to_have_text("正在 1 号窗口办理")  # and refetched
    expect(cut_off.locator("#state")).to_have_text("正在办理")

    staff.keyboard.press("f")
    expect(phone.locator("#state")).to_have_text("已办结")
    expect(phone.locator("#hint")).to_have_text("业务已办结，感谢您的耐心等候。")
    expect(call).to_be_hidden()
    shoot(phone, "phone-finished")

    # The page is complete without scripts: the server renders the same state.
    plain = new_tab(390, 844, mobile=True)
    plain.context.route("**/static/phone.js", lambda route: route.abort())
    plain.goto(f"{queue_site.server.url}/t/{token}")
    expect(plain.locator("#state")).to_have_text("已办结")
    expect(plain.locator("#number")).to_have_text("A002")


def test_supervisor_sees_the_hall_live(queue_site: QueueSite, new_tab: NewTab) -> None:
    supervisor = new_tab()
    sign_in(supervisor, queue_site, *queue_site.supervisor)
    supervisor.get_by_role("navigation", name="叫号页面").get_by_role(
        "link", name="大厅总览").click()
    expect(supervisor).to_have_url(queue_site.server.url + "/queue/hall")
    expect(supervisor.locator("#live")).to_have_attribute("data-state", "open")
    window_1 = supervisor.locator('tr[data-window="1"]')
    expect(window_1.locator(".window-state")).to_have_text("关闭")
    legal_aid = supervisor.locator('tr[data-service="legal-aid"]')
    expect(legal_aid).to_contain_text("30 分钟")  # the service's target wait

    staff = new_tab()
    open_window(staff, queue_site)
    expect(window_1.locator(".window-state")).to_have_text("开放")
    expect(window_1).to_contain_text(queue_site.staff[1])
    issue(queue_site), issue(queue_site)
    expect(legal_aid.locator(".waiting-count")).to_have_text("2 人")
    staff.keyboard.press("n")
    expect(window_1.locator(".window-current")).to_contain_text("A001")
    expect(supervisor.locator("#recent-calls li").first).to_contain_text("A001 → 1 号窗口")
    staff.keyboard.press("f")
    expect(staff.locator("#current-number")).to_have_text("—")
    staff.keyboard.press("n")
    expect(window_1.locator(".window-current")).to_contain_text("A002")
    expect(legal_aid.locator(".waiting-count")).to_have_text("0 人")

    staff.keyboard.press("r")
    expect(window_1.locator(".window-current")).to_contain_text("重呼")
    staff.keyboard.press("f")
    expect(window_1.locator(".window-current")).to_have_text("—")
    button(staff, "暂停").click()
    pause = staff.get_by_role("dialog", name="暂停服务")
    pause.get_by_label("暂停原因").fill("窗口设备维护")
    pause.get_by_role("button", name="确认暂停").click()
    expect(window_1.locator(".window-state")).to_have_text("暂停服务（窗口设备维护）")
    issue(queue_site, "notary")
    expect(supervisor.locator('tr[data-service="notary"] .waiting-count')).to_have_text("1 人")
    shoot(supervisor, "supervisor-hall")

    staff.goto(queue_site.server.url + "/queue/hall")  # window staff do not get this view
    expect(staff.get_by_role("heading", name="没有权限")).to_be_visible()
    anonymous = new_tab()
    anonymous.goto(queue_site.server.url + "/queue/hall")
    expect(anonymous).to_have_url(queue_site.server.url + "/login?next=/queue/hall")
