"""Ratings and complaints on the real app, against a real server on loopback.

The window's rating pad is woken by 办结 pressed through the staff console's API; every
rating and complaint travels through the terminal's outbox and is checked on the server.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from protocol.config import merge
from server.models import User
from server.ratings.models import Complaint, FollowUp, Rating
from server.staff_photos import store
from server.storage import MediaStorage
from tests.server.test_staff_photos import picture
from tests.ui.server_link import LoopbackHall, served_queue_hall

SHOTS = Path("/tmp/rating-shots")


def server_rows(hall: LoopbackHall, model: Any) -> list[Any]:
    with hall.app.state.database.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def wait_for_rows(ui: Any, hall: LoopbackHall, model: Any, count: int) -> list[Any]:
    """The server's rows once there are count of them (delivered through the outbox)."""
    assert ui.wait_until(lambda: len(server_rows(hall, model)) >= count, 20), (
        f"{model.__name__}: {len(server_rows(hall, model))} of {count} arrived")
    return server_rows(hall, model)


def user_photo(hall: LoopbackHall) -> str:
    with hall.app.state.database.sessions() as session:
        user = session.scalars(select(User).where(User.username == hall.staff[1])).one()
        return user.photo_sha256 or ""


def finish_one(hall: LoopbackHall, window: int = 1) -> dict[str, Any]:
    """A visitor called and served at window; staff press 办结 in the console."""
    hall.issue("legal-aid", 1)
    staff = hall.staff_session(window)
    ticket = staff.post(f"/windows/{window}/call-next").json()
    finished = staff.post(f"/windows/{window}/tickets/{ticket['id']}/finish")
    assert finished.ok, finished.text
    return dict(ticket)


def shot(ui: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    ui.frames(3)
    ui.screenshot(SHOTS / f"{name}.png")


@pytest.fixture
def pad(tmp_path: Path, ui: Any) -> Iterator[LoopbackHall]:
    """The running app as window 1's rating pad of a served hall."""
    with served_queue_hall(tmp_path, ui, "rater") as served:
        with served.app.state.database.sessions() as session:
            user = session.scalars(select(User).where(User.username == served.staff[1])).one()
            user.full_name, user.staff_no = "张敏", "0101"
            user.photo_sha256 = store(MediaStorage(served.app.state.settings.storage_dir),
                                      picture())
            session.commit()
        ui.app.apply_config(merge(ui.app.terminal_config,
                                  {"rater": {"window": 1, "thanks_seconds": 2}}))
        yield served


@pytest.fixture
def hall(tmp_path: Path, ui: Any) -> Iterator[LoopbackHall]:
    """The running app as a query terminal of a served hall."""
    with served_queue_hall(tmp_path, ui, "query") as served:
        yield served


def test_the_pad_wakes_on_finish_and_the_rating_reaches_the_server(
        ui: Any, pad: LoopbackHall) -> None:
    # The server pushes the rater profile with the first heartbeat; the pad opens at rest.
    assert ui.wait_until(lambda: ui.app.nav.current == "rater", 15)
    screen = ui.screen
    assert ui.wait_until(lambda: screen.board is not None and screen.staff_line != "", 10)
    assert ui.wait_until(lambda: bool(ui.app.feedback.reasons), 10)  # the server's reasons
    texts = ui.texts()
    assert "1号窗口 · 法律援助窗口" in texts or any(t.startswith("1号窗口") for t in texts)
    assert "当班人员：张敏　工号 0101" in texts
    # The photo of the 公示, fetched signed from the server and checked against its hash.
    assert ui.wait_until(lambda: screen.photo != "", 10)
    assert Path(screen.photo).name == f"{user_photo(pad)}.jpg"
    assert hashlib.sha256(Path(screen.photo).read_bytes()).hexdigest() == user_photo(pad)
    from kivy.uix.image import Image  # Kivy is loaded by the ui fixture, on its display
    image = next(w for w in ui.widgets() if isinstance(w, Image) and w.source == screen.photo)
    assert ui.wait_until(lambda: image.texture is not None and image.height > 100, 5)
    assert "办结后请在此对本次服务进行评价" in texts
    shot(ui, "rater-rest")

    finished_at = time.monotonic()
    ticket = finish_one(pad)
    assert ui.wait_until(lambda: ui.app.nav.current == "rate", 5)
    assert time.monotonic() - finished_at < 3  # woken at once, not at the next poll
    assert ui.screen.params["number"] == ticket["number"] == "A001"
    assert "1号窗口 · 号码 A001" in ui.texts()
    assert {"非常满意", "满意", "基本满意", "不满意", "非常不满意"} <= set(ui.texts())
    shot(ui, "rate-levels")

    ui.tap("不满意")
    assert ui.wait_until(lambda: ui.app.nav.current == "rate_reasons")
    assert "服务态度差" in ui.texts() and "办事效率高" not in ui.texts()  # reasons of level 2
    ui.tap("服务态度差")
    ui.tap("多次跑腿")
    shot(ui, "rate-reasons")
    ui.tap("提交评价")
    assert ui.wait_until(lambda: ui.app.nav.current == "feedback_done")
    assert "感谢您的评价！" in ui.texts()
    # The QR code leads to a comment page for this very rating: online, by the short link
    # (/r/<the rating's nonce>, a less dense code than the signed /c/<token>).
    comment_url = ui.screen.qr
    assert comment_url.startswith(f"{pad.url}/r/"), comment_url
    assert len(comment_url) <= len(pad.url) + 3 + 22
    assert "还想说说这次服务吗？请用手机扫码，为您的评价补充留言。" in ui.texts()
    shot(ui, "rate-thanks")

    rating, = wait_for_rows(ui, pad, Rating, 1)
    assert (rating.level, rating.reasons, rating.source) == (2, ["服务态度差", "多次跑腿"], "pad")
    assert rating.ticket_id == ticket["id"] and rating.window_id is not None
    assert rating.staff_id is not None
    follow_up, = server_rows(pad, FollowUp)  # a bad rating opens its follow-up
    assert (follow_up.rating_id, follow_up.state) == (rating.id, "open")
    page = requests.get(comment_url, timeout=10)  # redirected to the comment page
    assert page.status_code == 200 and "您的评价：" in page.text
    assert page.url.startswith(f"{pad.url}/c/")
    sent = requests.post(page.url, data={"comment": "叫号后等了很久没人"}, timeout=10)
    assert sent.status_code == 200 and "已附在您的评价（不满意）上" in sent.text
    assert server_rows(pad, Rating)[0].comment == "叫号后等了很久没人"
    # The comment code stays 30 s (not thanks_seconds) so a phone can be taken out; 完成
    # goes back at once.
    assert ui.app.nav.current == "feedback_done" and ui.screen.remaining >= 25
    ui.tap(ui.screen.done_text)
    assert ui.wait_until(lambda: ui.app.nav.current == "rater", 10)

    # Rating is voluntary: the next visitor skips, nothing is stored.
    second = finish_one(pad)
    assert ui.wait_until(lambda: ui.app.nav.current == "rate"
                         and ui.screen.params.get("number") == second["number"], 5)
    ui.tap("跳过，不评价")
    assert ui.wait_until(lambda: ui.app.nav.current == "rater")
    # A good rating is stored at once, without reasons.
    third = finish_one(pad)
    assert ui.wait_until(lambda: ui.app.nav.current == "rate"
                         and ui.screen.params.get("number") == third["number"], 5)
    ui.tap("非常满意")
    assert ui.wait_until(lambda: ui.app.nav.current == "feedback_done")
    ratings = wait_for_rows(ui, pad, Rating, 2)
    assert [(r.level, r.ticket_id) for r in ratings] == [(2, ticket["id"]), (5, third["id"])]
    assert len(server_rows(pad, FollowUp)) == 1

    # Another window's 办结 does not wake this pad.
    ui.tap(ui.screen.done_text)
    assert ui.wait_until(lambda: ui.app.nav.current == "rater", 10)
    finish_one(pad, window=2)
    time.sleep(1.5)
    ui.frames(3)
    assert ui.app.nav.current == "rater"


def type_keys(ui: Any, text: str) -> None:
    for key in text:
        ui.tap(key)


def test_rate_a_ticket_by_number_or_the_hall_on_a_query_terminal(
        ui: Any, hall: LoopbackHall) -> None:
    assert ui.wait_until(lambda: ui.app.link.heartbeat is not None, 10)
    staff = hall.staff_session(1)
    hall.issue("legal-aid", 2)
    first = staff.post("/windows/1/call-next").json()
    assert staff.post(f"/windows/1/tickets/{first['id']}/finish").ok
    second = staff.post("/windows/1/call-next").json()  # called, not finished yet

    ui.app.start_session()
    ui.tap("评价服务")
    assert ui.app.nav.current == "rate_start"
    type_keys(ui, second["number"])
    ui.tap("核对并评价")
    assert ui.wait_until(lambda: "这个号码尚未办结，办结后即可评价。" in ui.texts(), 10)
    for _ in second["number"]:
        ui.tap("删除")
    type_keys(ui, "B099")
    ui.tap("核对并评价")
    assert ui.wait_until(lambda: "今天没有这个号码，请核对小票上的号码。" in ui.texts(), 10)
    shot(ui, "rate-start-refused")
    for _ in "B099":
        ui.tap("删除")
    type_keys(ui, first["number"])
    ui.tap("核对并评价")
    assert ui.wait_until(lambda: ui.app.nav.current == "rate", 10)
    ui.tap("满意")
    assert ui.wait_until(lambda: ui.app.nav.current == "feedback_done")
    rating, = wait_for_rows(ui, hall, Rating, 1)
    assert (rating.level, rating.ticket_id, rating.source) == (4, first["id"], "terminal")

    ui.app.nav.go("rate_start")  # the same number again: already rated
    type_keys(ui, first["number"])
    ui.tap("核对并评价")
    assert ui.wait_until(lambda: "这个号码已经评价过了，谢谢！" in ui.texts(), 10)
    ui.tap("评价大厅整体服务（无需号码）")
    assert "大厅整体服务" in ui.texts()
    ui.tap("基本满意")
    assert ui.wait_until(lambda: ui.app.nav.current == "rate_reasons")
    ui.tap("提交评价")  # no reason chosen: still a rating
    ratings = wait_for_rows(ui, hall, Rating, 2)
    assert (ratings[1].level, ratings[1].ticket_id, ratings[1].reasons) == (3, None, [])


def test_a_complaint_with_a_call_back_number(ui: Any, hall: LoopbackHall) -> None:
    assert ui.wait_until(lambda: ui.app.link.heartbeat is not None, 10)
    ui.app.start_session()
    ui.tap("投诉建议")
    assert "请选择类别" in ui.texts()
    shot(ui, "complain")
    ui.tap("等候时间")
    assert ui.app.nav.current == "complain_phone"
    ui.tap("提交并留下此号码")
    assert "请输入电话号码，或选择不留电话直接提交。" in ui.texts()
    type_keys(ui, "123")
    ui.tap("提交并留下此号码")
    assert "号码格式不正确，请输入11位手机号码或带区号的固定电话。" in ui.texts()
    for _ in "123":
        ui.tap("删除")
    type_keys(ui, "13800138000")
    shot(ui, "complain-phone")
    ui.tap("提交并留下此号码")
    assert ui.wait_until(lambda: ui.app.nav.current == "feedback_done")
    assert "谢谢！我们将在规定时限内处理并答复。" in ui.texts()
    complaint, = wait_for_rows(ui, hall, Complaint, 1)
    assert (complaint.category, complaint.phone, complaint.source) == (
        "waiting", "13800138000", "terminal")
    follow_up, = server_rows(hall, FollowUp)
    assert (follow_up.kind, follow_up.complaint_id) == ("complaint", complaint.id)
