"""差评回访与投诉 in headless Chromium against a live server: a supervisor handles a bad rating
end to end, a staff member appeals another and the supervisor decides, a visitor writes a
complaint on the phone page. Ratings come through the real phone rating API."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import requests
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from devtools.staff_client import StaffSession
from server.models import Hall, User
from server.queue.issuing import issue_ticket
from server.ratings.followup import due_date
from server.ratings.models import Complaint, FollowUp, FollowUpEvent, Rating
from server.ratings.workflow import today
from tests.web.conftest import QueueSite

SHOTS = Path("/tmp/shots-followups")
NewTab = Callable[..., Page]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def rated_ticket(site: QueueSite, console: StaffSession, level: int, reasons: list[str],
                 comment: str = "") -> int:
    """A ticket issued, called and finished at window 1, then rated on the visitor's phone
    page through the rating API; the follow-up's id (0 for a good rating)."""
    with site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, site.hall_id)
        assert hall is not None
        ticket, _ = issue_ticket(session, hall, "legal-aid", actor="test:dispenser")
        session.commit()
        ticket_id, token = ticket.id, ticket.token
    assert console.post("/windows/1/call-next").ok
    assert console.post(f"/windows/1/tickets/{ticket_id}/finish").ok
    answer = requests.post(f"{site.server.url}/t/{token}/rating", timeout=10,
                           json={"level": level, "reasons": reasons, "comment": comment})
    assert answer.status_code == 201, answer.text
    with site.server.app.state.database.sessions() as session:
        item = session.scalar(select(FollowUp.id).where(FollowUp.rating_id == answer.json()["id"]))
        return item or 0


def opened_two_weeks_ago(site: QueueSite, item_id: int) -> str:
    """Move an item's due date (and the one its trail recorded) to where it would be had
    it opened 14 days ago."""
    with site.server.app.state.database.sessions() as session:
        item = session.get(FollowUp, item_id)
        assert item is not None
        item.due_on = due_date(session, today() - dt.timedelta(days=14), 5)
        opened = session.scalar(select(FollowUpEvent).where(
            FollowUpEvent.follow_up_id == item_id, FollowUpEvent.kind == "opened"))
        assert opened is not None
        opened.detail = {"due_on": item.due_on.isoformat()}
        session.commit()
        return item.due_on.isoformat()


def sign_in(tab: Page, site: QueueSite, username: str, password: str) -> None:
    """Sign in through the form (hall staff land on the queue console)."""
    tab.goto(site.server.url + "/login")
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录").click()
    expect(tab).to_have_url(site.server.url + "/queue")


def take_step(tab: Page, name: str, text: str) -> None:
    """Fill the text of the step form named name and submit it."""
    form = tab.get_by_role("form", name=name)
    form.locator("textarea").fill(text)
    form.get_by_role("button").click()


def timeline(tab: Page) -> list[str]:
    """The step names of the audit trail, in order."""
    return [text.split(" · ")[0].strip() for text in
            tab.locator("#timeline li .what").all_inner_texts()]


def test_supervisor_handles_a_bad_rating_and_decides_an_appeal(queue_site: QueueSite,
                                                               new_tab: NewTab) -> None:
    console = StaffSession(queue_site.server.url, queue_site.staff[1], queue_site.password)
    assert console.post("/windows/1/sign-in").ok
    late = rated_ticket(queue_site, console, 1, ["服务态度差", "多次跑腿"], "材料说了三次才说清")
    assert rated_ticket(queue_site, console, 5, ["办事效率高"]) == 0
    appealed = rated_ticket(queue_site, console, 2, ["等候时间过长"])
    due = opened_two_weeks_ago(queue_site, late)

    boss = new_tab()
    sign_in(boss, queue_site, *queue_site.supervisor)
    boss.get_by_role("navigation", name="主导航").get_by_role("link", name="差评回访与投诉").click()
    expect(boss).to_have_url(queue_site.server.url + "/followups")
    row = boss.locator(f'tr[data-id="{late}"]')
    expect(row).to_have_class("overdue")
    expect(row.locator(".due")).to_have_text(f"{due} 已超期")
    expect(row).to_contain_text("非常不满意")
    expect(row).to_contain_text("A001 · 1 号窗口")
    expect(boss.locator(f'tr[data-id="{appealed}"]')).not_to_have_class("overdue")
    expect(boss.locator("#count-overdue")).to_have_text("1")
    shoot(boss, "01-supervisor-list")
    boss.get_by_label("期限").select_option(label="已超期")
    boss.get_by_role("button", name="筛选").click()
    expect(boss.locator("table.followups tbody tr")).to_have_count(1)

    row = boss.locator(f'tr[data-id="{late}"]')
    row.get_by_role("link", name=f"#{late}").click()
    expect(boss.locator("#item-overdue")).to_have_text("已超期")
    expect(boss.get_by_role("region", name="评价内容")).to_contain_text("材料说了三次才说清")
    assign = boss.get_by_role("form", name="指派")
    assign.get_by_label("办理人").select_option(value=str(_user_id(queue_site, 2)))
    assign.get_by_label("说明").fill("请今天内回访")
    assign.get_by_role("button", name="指派").click()
    expect(boss.get_by_role("status")).to_have_text("已指派。")
    expect(boss.locator("#item-assignee")).to_have_text(queue_site.staff[2])

    take_step(boss, "回访", "")
    expect(boss.get_by_role("alert")).to_have_text("请填写回访记录。")
    shoot(boss, "02-detail-error")
    take_step(boss, "回访", "已电话回访群众，核实材料告知不清属实")
    expect(boss.get_by_role("status")).to_have_text("回访记录已保存。")
    expect(boss.locator("#item-state")).to_have_text("已回访")
    take_step(boss, "办结", "已组织一次性告知培训，材料清单张贴到窗口")
    expect(boss.get_by_role("status")).to_have_text("已办结。")
    expect(boss.locator("#item-state")).to_have_text("已办结")
    expect(boss.locator("#item-overdue")).to_have_count(0)
    assert timeline(boss) == ["创建", "指派", "回访", "办结"]
    expect(boss.locator("#timeline")).to_contain_text("已组织一次性告知培训")
    expect(boss.locator("#timeline")).to_contain_text(queue_site.supervisor[0])
    shoot(boss, "03-detail-closed")

    staff = new_tab()
    sign_in(staff, queue_site, queue_site.staff[1], queue_site.password)
    staff.get_by_role("navigation", name="主导航").get_by_role("link", name="我的评价").click()
    expect(staff.locator("table.my-ratings tbody tr")).to_have_count(3)
    expect(staff.locator("table.my-ratings tr.bad")).to_have_count(2)
    appeal_row = staff.locator("tr.bad", has_text="等候时间过长")
    expect(staff.locator("tr.bad", has_text="多次跑腿").get_by_text("申诉")).to_have_count(0)
    appeal_row.locator("summary", has_text="申诉").click()
    appeal_row.get_by_role("button", name="提交申诉").click()
    expect(staff.get_by_role("alert")).to_have_text("请填写申诉理由。")
    appeal_row = staff.locator("tr.bad", has_text="等候时间过长")
    appeal_row.get_by_label("申诉理由").fill("当时系统停电，等候非本人原因")
    shoot(staff, "04-staff-appeal-form")
    appeal_row.get_by_role("button", name="提交申诉").click()
    expect(staff.get_by_role("status")).to_have_text("申诉已提交，等待主管复核。")
    expect(staff.locator("tr.bad", has_text="等候时间过长")).to_contain_text("申诉复核中")
    shoot(staff, "05-staff-my-ratings")

    boss.goto(queue_site.server.url + "/followups?state=appealed")
    boss.locator(f'tr[data-id="{appealed}"]').get_by_role("link").click()
    expect(boss.get_by_role("region", name="办理情况")).to_contain_text("当时系统停电")
    decide = boss.get_by_role("form", name="申诉复核")
    decide.get_by_label("撤销评价（不计入统计）").check()
    decide.get_by_label("复核意见").fill("核实当日停电两小时，申诉成立")
    shoot(boss, "06-detail-appealed")
    decide.get_by_role("button", name="保存复核结论").click()
    expect(boss.get_by_role("status")).to_have_text("复核意见已保存。")
    expect(boss.locator("#item-state")).to_have_text("已办结")
    expect(boss.get_by_text("申诉成立，不计入统计")).to_be_visible()
    assert timeline(boss) == ["创建", "申诉", "复核：撤销评价"]
    shoot(boss, "07-detail-overturned")

    staff.reload()
    expect(staff.locator("tr.bad", has_text="等候时间过长")).to_contain_text("复核：撤销评价")
    with queue_site.server.app.state.database.sessions() as session:
        item = session.get(FollowUp, appealed)
        assert item is not None and item.appeal_decision == "overturned"
        assert session.get(Rating, item.rating_id) is not None  # kept, only not counted

    # The supervisor's figures, downloaded as XLSX: the overturned rating is not counted.
    boss.get_by_role("navigation", name="主导航").get_by_role("link", name="统计看板").click()
    with boss.expect_download() as info:
        boss.get_by_role("link", name="导出 Excel（XLSX）").click()
    info.value.save_as(SHOTS / "figures.xlsx")
    book = load_workbook(SHOTS / "figures.xlsx")
    summary = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=5)}
    assert (summary["评价"], summary["差评"], summary["申诉撤销的评价（不计入）"]) == (2, 1, 1)
    staff_rows = {row[0].value: row[1:] for row in book["人员评价"].iter_rows(min_row=4)}
    staff_row = next(v for k, v in staff_rows.items() if k and queue_site.staff[1] in str(k))
    assert [cell.value for cell in staff_row][:5] == [1, 0, 0, 0, 1]  # 非常满意 … 非常不满意


def _user_id(site: QueueSite, window: int) -> int:
    with site.server.app.state.database.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == site.staff[window]))
        assert user_id is not None
        return user_id


def test_visitor_complains_on_the_phone_and_the_supervisor_sees_it(queue_site: QueueSite,
                                                                    new_tab: NewTab) -> None:
    phone = new_tab(width=390, height=844, mobile=True)
    phone.goto(queue_site.server.url + "/complain/QX-01")
    expect(phone.get_by_text("青溪市公共法律服务中心")).to_be_visible()
    shoot(phone, "08-complain-form")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("alert")).to_have_text("请选择投诉建议的类别。")
    phone.get_by_text("大厅环境与设施").click()
    phone.get_by_label("内容").fill("二楼没有老花镜，也没有轮椅坡道指示")
    phone.get_by_label("联系电话（选填）").fill("1380013")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("alert")).to_have_text("请输入正确的手机号码或带区号的固定电话。")
    expect(phone.get_by_label("联系电话（选填）")).to_have_attribute("aria-invalid", "true")
    expect(phone.get_by_label("内容")).to_have_value("二楼没有老花镜，也没有轮椅坡道指示")
    expect(phone.get_by_role("radio", name=re.compile("大厅环境与设施"))).to_be_checked()
    shoot(phone, "09-complain-error")
    phone.get_by_label("联系电话（选填）").fill("138 0013 8000")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("status")).to_contain_text("已收到您的投诉")
    shoot(phone, "10-complain-sent")
    phone.reload()  # the browser resends the form: still one complaint
    expect(phone.get_by_role("status")).to_contain_text("已收到您的投诉")
    with queue_site.server.app.state.database.sessions() as session:
        complaints = session.scalars(select(Complaint)).all()
        assert [(c.category, c.phone, c.source) for c in complaints] == [
            ("environment", "13800138000", "online")]

    boss = new_tab()
    sign_in(boss, queue_site, *queue_site.supervisor)
    boss.goto(queue_site.server.url + "/followups?kind=complaint")
    row = boss.locator("table.followups tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("大厅环境与设施")
    row.get_by_role("link").click()
    expect(boss.get_by_role("region", name="投诉内容")).to_contain_text("13800138000")
    take_step(boss, "回访", "已电话联系，群众同意本周内整改")
    expect(boss.locator("#item-state")).to_have_text("已回访")
    take_step(boss, "办结", "已配备老花镜五副，增设坡道指示牌，并电话答复群众")
    expect(boss.locator("#item-state")).to_have_text("已办结")
    assert timeline(boss) == ["创建", "回访", "办结"]
    shoot(boss, "11-complaint-closed")
