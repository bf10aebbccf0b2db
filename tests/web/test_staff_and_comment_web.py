"""In headless Chromium against a live server: a supervisor sets a staff member's 公示 and
photo at /staff; a visitor adds a comment to their rating from the thank-you QR code."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Page, expect
from sqlalchemy import select

from protocol.signing import comment_token, device_id, public_key_bytes
from server.fleet.outbox import receive_outbox
from server.models import Hall, Terminal, User, Window
from server.queue import actions
from server.queue.issuing import issue_ticket
from server.ratings.models import Rating
from tests.server.test_rating_outbox import item
from tests.server.test_staff_photos import picture
from tests.web.conftest import QueueSite
from tests.web.test_followups_web import NewTab

SHOTS = Path("/tmp/shots-staff")


def test_supervisor_sets_name_number_and_photo(queue_site: QueueSite, new_tab: NewTab,
                                               tmp_path: Path) -> None:
    photo = tmp_path / "zhang.jpg"
    photo.write_bytes(picture(size=(1200, 1600)))
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("这不是照片", "utf-8")
    boss = new_tab()
    boss.goto(queue_site.server.url + "/login")
    boss.get_by_label("用户名").fill(queue_site.supervisor[0])
    boss.get_by_label("密码").fill(queue_site.supervisor[1])
    boss.get_by_role("button", name="登录").click()
    boss.get_by_role("navigation", name="主导航").get_by_role("link", name="人员公示").click()
    expect(boss).to_have_url(queue_site.server.url + "/staff")
    card = boss.locator(f"[data-user='{queue_site.staff[1]}']")
    expect(card.get_by_text("未设照片")).to_be_visible()

    card.get_by_label("姓名").fill("张敏")
    card.get_by_label("工号").fill("0101")
    card.get_by_role("button", name="保存").click()
    expect(boss.get_by_role("status")).to_have_text("公示信息已保存，窗口评价器稍后显示。")

    card = boss.locator(f"[data-user='{queue_site.staff[1]}']")
    card.get_by_label("选择照片").set_input_files(str(not_a_photo))
    card.get_by_role("button", name="上传照片").click()
    alert = boss.locator(f"[data-user='{queue_site.staff[1]}']").get_by_role("alert")
    expect(alert).to_contain_text("无法识别该文件")
    shoot_staff(boss, "staff-refused")

    card = boss.locator(f"[data-user='{queue_site.staff[1]}']")
    card.get_by_label("选择照片").set_input_files(str(photo))
    card.get_by_role("button", name="上传照片").click()
    expect(boss.get_by_role("status")).to_have_text("照片已更新，窗口评价器稍后显示。")
    image = boss.locator(f"[data-user='{queue_site.staff[1]}'] img")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", 360)  # the stored 360x480 portrait
    expect(boss.locator(f"[data-user='{queue_site.staff[1]}'] h2")).to_contain_text("张敏")
    shoot_staff(boss, "staff-page")

    with queue_site.server.app.state.database.sessions() as session:
        user = session.scalars(select(User).where(User.username == queue_site.staff[1])).one()
        assert (user.full_name, user.staff_no) == ("张敏", "0101") and user.photo_sha256


def test_visitor_adds_a_comment_to_the_rating_from_the_qr_code(queue_site: QueueSite,
                                                               new_tab: NewTab) -> None:
    key = Ed25519PrivateKey.generate()
    raw = public_key_bytes(key)
    nonce, token = comment_token(key)
    with queue_site.server.app.state.database.sessions() as session:
        terminal = Terminal(device_id=device_id(raw), public_key=base64.b64encode(raw).decode(),
                            status="accepted", hall_id=queue_site.hall_id, profile="rater")
        session.add(terminal)
        session.commit()
        terminal_id = terminal.id
    phone = new_tab(width=390, height=844, mobile=True)
    phone.goto(f"{queue_site.server.url}/c/{token}")  # scanned before the rating arrived
    expect(phone.get_by_text("您刚才的评价正在送达，现在就可以留言。")).to_be_visible()
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("alert")).to_have_text("请填写留言内容。")
    phone.get_by_label("您的意见").fill("等候区的座位太少，老人站了很久")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", name="感谢您的留言")).to_be_visible()
    expect(phone.get_by_text("留言会自动附在评价上")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SHOTS / "comment-sent.png"), full_page=True)

    # The pad's rating arrives through the outbox and takes the comment.
    with queue_site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        staff = session.scalars(select(User).where(User.username == queue_site.staff[1])).one()
        window = session.scalars(select(Window).where(Window.hall_id == hall.id,
                                                      Window.number == 1)).one()
        ticket, _ = issue_ticket(session, hall, "legal-aid", actor="test")
        actions.sign_in(session, window.id, staff)
        actions.call_next(session, window.id, staff)
        actions.act(session, window.id, staff, ticket.id, "finish")
        session.commit()
        terminal = session.get(Terminal, terminal_id)
        assert terminal is not None
        receive_outbox(session, terminal, [item("pad-rating-web-01", "rating", level=3,
                                                reasons=["等候时间较长"], source="pad",
                                                ticket=ticket.id, comment_token=nonce)])
        rating = session.scalars(select(Rating)).one()
        assert rating.comment == "等候区的座位太少，老人站了很久"

    phone.goto(f"{queue_site.server.url}/c/{token}")  # once only
    expect(phone.get_by_role("alert")).to_contain_text("您已经留过言了")


def shoot_staff(tab: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
