"""The rating on the visitor's phone page, in headless Chromium at a phone's size: offered
live once staff finish the ticket, reasons by level, stored once, refusals explained."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from devtools.staff_client import StaffSession
from server.models import Hall, User
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket
from server.ratings.models import FollowUp, Rating
from server.ratings.rules import DEFAULT_REASONS as REASONS
from tests.web.conftest import QueueSite

SHOTS = Path("/tmp/shots-phone")
NewTab = Callable[..., Page]
LEVEL_NAMES = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def phone(new_tab: NewTab, site: QueueSite, token: str) -> Page:
    """The ticket page on a phone-sized screen."""
    tab = new_tab(390, 844, mobile=True)
    tab.goto(f"{site.server.url}/t/{token}")
    return tab


def issue(site: QueueSite) -> Ticket:
    with site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, site.hall_id)
        assert hall is not None
        ticket, _ = issue_ticket(session, hall, "legal-aid", actor="test:dispenser")
        session.commit()
        return ticket


def finished_ticket(site: QueueSite, window: int = 2) -> Ticket:
    """A ticket called and finished at a window, straight through the queue core."""
    ticket = issue(site)
    with site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, site.hall_id)
        assert hall is not None
        by_number = {w.number: w for w in hall.windows}
        user = session.scalar(select(User).where(
            User.username == site.staff[window]))
        assert user is not None
        actions.sign_in(session, by_number[window].id, user)
        actions.call_next(session, by_number[window].id, user)
        actions.act(session, by_number[window].id, user, ticket.id, "finish")
        session.commit()
    return ticket


def ratings(site: QueueSite, ticket_id: int | None = None) -> list[dict[str, Any]]:
    with site.server.app.state.database.sessions() as session:
        query = select(Rating).order_by(Rating.id)
        if ticket_id is not None:
            query = query.where(Rating.ticket_id == ticket_id)
        return [{"level": r.level, "reasons": r.reasons, "comment": r.comment,
                 "source": r.source, "ticket": r.ticket_id, "window": r.window_id,
                 "staff": r.staff_id, "id": r.id} for r in session.scalars(query)]


def level(tab: Page, name: str) -> Any:
    return tab.locator("#levels .level", has=tab.locator(".level-name", has_text=re.compile(
        f"^{name}$")))


def test_offer_appears_live_when_staff_finish_and_the_rating_is_stored(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    ticket = issue(queue_site)
    tab = phone(new_tab, queue_site, ticket.token)
    expect(tab.locator("#state")).to_have_text("等候中")
    offer, thanks = tab.locator("#rate"), tab.locator("#thanks")
    expect(offer).to_be_hidden()
    expect(thanks).to_be_hidden()

    staff = StaffSession(queue_site.server.url, queue_site.staff[1], queue_site.password)
    assert staff.post("/windows/1/sign-in").ok
    called = staff.post("/windows/1/call-next").json()
    assert called["number"] == ticket.number
    expect(tab.locator("#state")).to_have_text("请到窗口办理")
    expect(offer).to_be_hidden()  # not before the service is finished
    tab.evaluate("window.stillTheSamePage = true")
    assert staff.post(f"/windows/1/tickets/{called['id']}/finish").ok

    expect(offer).to_be_visible()  # live, without a reload
    assert tab.evaluate("window.stillTheSamePage") is True
    expect(tab.locator("#state")).to_have_text("已办结")
    expect(tab.locator("#rate-title")).to_contain_text("请评价本次服务")
    expect(tab.locator("#levels .level-name")).to_have_text(LEVEL_NAMES)
    expect(tab.get_by_role("button", name=re.compile("^跳过"))).to_be_visible()
    expect(tab.locator("#details")).to_be_hidden()
    for button in tab.locator("#levels .level").all():  # large targets (适老化: 60 px or more)
        box = button.bounding_box()
        assert box is not None and box["height"] >= 60 and box["width"] >= 300
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    shoot(tab, "1-offer")

    level(tab, "满意").click()
    expect(tab.locator("#reasons .reason")).to_have_text(list(REASONS[4]))
    level(tab, "不满意").click()  # changing one's mind shows the reasons of the new level
    expect(level(tab, "不满意")).to_have_attribute("aria-pressed", "true")
    expect(level(tab, "满意")).to_have_attribute("aria-pressed", "false")
    expect(tab.locator("#reasons .reason")).to_have_text(list(REASONS[2]))
    tab.locator("#reasons .reason", has_text="等候时间过长").click()
    tab.locator("#reasons .reason", has_text="多次跑腿").click()
    tab.locator("#reasons .reason", has_text="多次跑腿").click()  # and off again
    tab.locator("#reasons .reason", has_text="业务不熟练").click()
    expect(tab.locator('#reasons .reason[aria-pressed="true"]')).to_have_text(
        ["等候时间过长", "业务不熟练"])
    tab.get_by_label("留言").fill("材料要求没有一次说清楚，跑了两趟。")
    expect(tab.locator("#counter")).to_have_text("17/500")
    shoot(tab, "2-bad-level-reasons")
    assert ratings(queue_site) == []  # nothing is stored before the visitor submits

    tab.get_by_role("button", name=re.compile("^提交评价")).click()
    expect(thanks).to_be_visible()
    expect(thanks).to_contain_text("感谢您的评价！")
    expect(tab.locator("#thanks-text")).to_have_text("您的评价：不满意。我们会认真核实，尽快改进。")
    expect(offer).to_be_hidden()
    shoot(tab, "3-thanks")
    stored = ratings(queue_site)
    assert len(stored) == 1
    with queue_site.server.app.state.database.sessions() as session:
        window_1 = [w for w in session.get(Hall, queue_site.hall_id).windows  # type: ignore
                    if w.number == 1][0]
        assert {k: stored[0][k] for k in ("level", "reasons", "comment", "source", "ticket",
                                          "window")} == {
            "level": 2, "reasons": ["等候时间过长", "业务不熟练"],
            "comment": "材料要求没有一次说清楚，跑了两趟。", "source": "phone",
            "ticket": ticket.id, "window": window_1.id}
        assert stored[0]["staff"] == window_1.staff_id
        assert session.scalar(select(FollowUp).where(FollowUp.rating_id == stored[0]["id"]))

    tab.reload()  # rated: the page thanks and does not offer again
    expect(thanks).to_be_visible()
    expect(tab.locator("#thanks-text")).to_have_text("本次服务已评价，每次服务只能评价一次。")
    expect(offer).to_be_hidden()
    expect(tab.locator("#later")).to_be_hidden()
    assert tab.request.get(f"{queue_site.server.url}/t/{ticket.token}/status").json()["rated"]
    shoot(tab, "4-reloaded")


def test_refusals_are_explained_in_chinese_and_nothing_typed_is_lost(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    ticket = finished_ticket(queue_site)
    tab = new_tab(390, 844, mobile=True)

    def add_a_foreign_reason(route: Route) -> None:
        # As if the page had been given a reason of another level: the server must refuse it.
        body = route.fetch().json()
        for entry in body["levels"]:
            if entry["level"] == 1:
                entry["reasons"].append("办事效率高")
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps(body, ensure_ascii=False))

    tab.route("**/api/v1/ratings/levels", add_a_foreign_reason)
    posts: list[str] = []
    tab.on("request", lambda request: posts.append(request.url)
           if request.method == "POST" else None)
    tab.goto(f"{queue_site.server.url}/t/{ticket.token}")
    expect(tab.locator("#rate")).to_be_visible()  # finished before the page was opened
    level(tab, "非常不满意").click()
    tab.locator("#reasons .reason", has_text="办事效率高").click()
    tab.locator("#reasons .reason", has_text="推诿扯皮").click()
    tab.get_by_label("留言").fill("窗口之间互相推。")
    submit = tab.get_by_role("button", name=re.compile("^提交评价"))
    submit.click()
    error = tab.get_by_role("alert")
    expect(error).to_have_text("所选原因不属于该评价等级。")
    expect(tab.get_by_label("留言")).to_have_value("窗口之间互相推。")
    expect(tab.locator("#thanks")).to_be_hidden()
    assert ratings(queue_site) == [] and len(posts) == 1
    shoot(tab, "5-bad-reason")

    tab.locator("#reasons .reason", has_text="办事效率高").click()  # deselect it
    long_comment = "等" * 501
    tab.get_by_label("留言").fill(long_comment)
    expect(tab.locator("#counter")).to_have_text("501/500")
    expect(tab.locator("#counter")).to_have_class(re.compile("over"))
    submit.click()
    expect(error).to_have_text("留言不能超过500个字，请删减后再提交。")
    expect(tab.get_by_label("留言")).to_have_value(long_comment)
    assert ratings(queue_site) == [] and len(posts) == 1  # refused before sending
    shoot(tab, "6-comment-too-long")

    tab.route("**/rating", lambda route: route.abort())  # the phone lost its connection
    tab.get_by_label("留言").fill("等" * 500)
    submit.click()
    expect(error).to_have_text("网络连接失败，评价未提交，请稍后再试。")
    expect(tab.locator("#rate")).to_be_visible()
    tab.unroute("**/rating")
    submit.click()
    expect(tab.locator("#thanks")).to_be_visible()
    expect(error).to_be_hidden()
    stored = ratings(queue_site)
    assert [(r["level"], r["reasons"], len(r["comment"])) for r in stored] == [
        (1, ["推诿扯皮"], 500)]


def test_skipping_is_fine_and_a_second_page_is_told_it_was_rated(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    ticket = finished_ticket(queue_site)
    first, second = (phone(new_tab, queue_site, ticket.token) for _ in range(2))
    first.get_by_role("button", name=re.compile("^跳过")).click()
    expect(first.locator("#rate")).to_be_hidden()
    again = first.get_by_role("button", name=re.compile("^评价本次服务"))
    expect(again).to_be_visible()
    expect(first.locator("#hint")).to_have_text("业务已办结，感谢您的耐心等候。")
    shoot(first, "7-skipped")
    again.click()
    expect(first.locator("#rate")).to_be_visible()
    level(first, "非常满意").click()
    first.get_by_role("button", name=re.compile("^提交评价")).click()
    expect(first.locator("#thanks-text")).to_have_text("您的评价：非常满意。")

    level(second, "满意").click()  # the same ticket, still open on another phone
    second.get_by_role("button", name=re.compile("^提交评价")).click()
    expect(second.locator("#thanks-text")).to_have_text("该号码已经评价过了，每次服务只能评价一次。")
    expect(second.locator("#rate")).to_be_hidden()
    assert [r["level"] for r in ratings(queue_site, ticket.id)] == [5]  # one rating per ticket

    # A ticket that was not served is not offered a rating.
    missed = issue(queue_site)
    with queue_site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        window = [w for w in hall.windows if w.number == 2][0]
        user = session.scalar(select(User).where(
            User.username == queue_site.staff[2]))
        assert user is not None
        actions.call_next(session, window.id, user)
        actions.act(session, window.id, user, missed.id, "no_show")
        session.commit()
    gone = phone(new_tab, queue_site, missed.token)
    expect(gone.locator("#state")).to_have_text("已过号")
    expect(gone.locator("#rate")).to_be_hidden()
    expect(gone.locator("#later")).to_be_hidden()
