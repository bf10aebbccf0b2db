"""A comment bound to one rating, written on the phone through the QR code of the
terminal's thank-you screen: before or after the rating arrives, once, within its time,
never with a forged or foreign token; the export waits for it. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.signing import comment_token, device_id, public_key_bytes
from server.db import Database
from server.fleet.outbox import receive_outbox
from server.models import Terminal, utcnow
from server.queue.models import Ticket
from server.ratings.comments import CommentError, add_comment, bind_rating, check_token
from server.ratings.export_worker import enqueue
from server.ratings.models import ExportItem, FollowUp, FollowUpEvent, Rating, RatingComment
from server.ratings.rules import COMMENT_MAX
from tests.server.queue_setup import QueueHall, make_queue_hall
from tests.server.test_followups import finished_ticket
from tests.server.test_rating_outbox import item


def terminal_with_key(session: Session, q: QueueHall, status: str = "accepted"
                      ) -> tuple[Terminal, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    raw = public_key_bytes(key)
    terminal = Terminal(device_id=device_id(raw), public_key=base64.b64encode(raw).decode(),
                        status=status, hall_id=q.hall.id, profile="rater")
    session.add(terminal)
    session.commit()
    return terminal, key


def deliver_rating(session: Session, terminal: Terminal, ticket: Ticket, nonce: str,
                   level: int = 2, key: str = "pad-rating-000001") -> Rating:
    reasons = ["服务态度差"] if level <= 3 else []
    receive_outbox(session, terminal, [item(key, "rating", level=level, reasons=reasons,
                                            source="pad", ticket=ticket.id,
                                            comment_token=nonce)])
    rating = session.scalar(select(Rating).where(Rating.idempotency_key == key))
    assert rating is not None
    return rating


def page_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_rating_first_then_the_comment_on_its_page(client: TestClient, server_app: FastAPI
                                                   ) -> None:
    database: Database = server_app.state.database
    with database.sessions() as session:
        q = make_queue_hall(session)
        terminal, key = terminal_with_key(session, q)
        nonce, token = comment_token(key)
        rating = deliver_rating(session, terminal, finished_ticket(session, q), nonce)
        rating_id = rating.id

    form = client.get(f"/c/{token}")
    assert form.status_code == 200, form.text
    assert "您的评价：" in form.text and "不满意" in page_text(form.text)
    assert "青溪市公共法律服务中心" in form.text

    empty = client.post(f"/c/{token}", data={"comment": "   "})
    assert empty.status_code == 422 and "请填写留言内容" in empty.text
    long = "很" * (COMMENT_MAX + 1)
    too_long = client.post(f"/c/{token}", data={"comment": long})
    assert too_long.status_code == 422 and f"不能超过{COMMENT_MAX}个字" in too_long.text
    assert long in too_long.text  # what was typed is kept

    sent = client.post(f"/c/{token}", data={"comment": "  窗口人员一直在打电话。 "})
    assert sent.status_code == 200 and "已附在您的评价（不满意）上" in sent.text
    again = client.post(f"/c/{token}", data={"comment": "再说一次"})
    assert again.status_code == 409 and "您已经留过言了" in again.text
    assert client.get(f"/c/{token}").status_code == 409

    with database.sessions() as session:
        stored = session.get(Rating, rating_id)
        assert stored is not None and stored.comment == "窗口人员一直在打电话。"
        follow_up = session.scalar(select(FollowUp).where(FollowUp.rating_id == rating_id))
        assert follow_up is not None
        event = session.scalar(select(FollowUpEvent).where(
            FollowUpEvent.follow_up_id == follow_up.id, FollowUpEvent.kind == "commented"))
        assert event is not None and event.note == "窗口人员一直在打电话。"


def test_comment_first_waits_for_its_rating(client: TestClient, server_app: FastAPI) -> None:
    database: Database = server_app.state.database
    with database.sessions() as session:
        q = make_queue_hall(session)
        terminal, key = terminal_with_key(session, q)
        ticket = finished_ticket(session, q)
    nonce, token = comment_token(key)

    form = client.get(f"/c/{token}")  # the terminal is offline: the rating has not arrived
    assert form.status_code == 200 and "正在送达" in form.text
    sent = client.post(f"/c/{token}", data={"comment": "等了很久才叫到号"})
    assert sent.status_code == 200 and "留言会自动附在评价上" in sent.text

    with database.sessions() as session:
        own = session.get(Terminal, terminal.id)
        assert own is not None
        rating = deliver_rating(session, own, ticket, nonce)
        assert rating.comment == "等了很久才叫到号"
        row = session.get(RatingComment, nonce)
        assert row is not None and row.rating_id == rating.id
        # The terminal resends the same rating: still one rating, one comment.
        receive_outbox(session, own, [item("pad-rating-000001", "rating", level=2,
                                                reasons=["服务态度差"], source="pad",
                                                ticket=ticket.id, comment_token=nonce)])
        assert session.scalar(select(func.count()).select_from(Rating)) == 1


def test_tokens_that_are_not_good_are_refused(client: TestClient, server_app: FastAPI
                                              ) -> None:
    database: Database = server_app.state.database
    with database.sessions() as session:
        q = make_queue_hall(session)
        _terminal, key = terminal_with_key(session, q)
        revoked, revoked_key = terminal_with_key(session, q, status="revoked")
    _nonce, token = comment_token(key)
    prefix, nonce, issued, signature = token.split(".")

    # Another key's signature under this terminal's prefix; a changed nonce; garbage.
    _other_nonce, foreign = comment_token(Ed25519PrivateKey.generate())
    forged = ".".join([prefix, nonce, issued, foreign.split(".")[3]])
    tampered = ".".join([prefix, nonce[:-1] + ("A" if nonce[-1] != "A" else "B"), issued,
                         signature])
    for bad in (forged, tampered, "not-a-token", prefix + ".x.1.y"):
        answer = client.post(f"/c/{bad}", data={"comment": "你好"})
        assert answer.status_code == 404 and "二维码无效" in answer.text, bad

    _nonce, old = comment_token(key, now=time.time() - 31 * 60)
    answer = client.get(f"/c/{old}")
    assert answer.status_code == 410 and "二维码已过期" in answer.text
    _nonce, future = comment_token(key, now=time.time() + 3600)  # a clock far ahead
    assert client.get(f"/c/{future}").status_code == 410
    _nonce, cut_off = comment_token(revoked_key)
    answer = client.post(f"/c/{cut_off}", data={"comment": "你好"})
    assert answer.status_code == 410 and "该终端已停用" in answer.text
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RatingComment)) == 0


def test_the_export_holds_a_rating_while_its_comment_may_come(session: Session) -> None:
    q = make_queue_hall(session)
    terminal, key = terminal_with_key(session, q)
    waiting_nonce, _ = comment_token(key)
    commented_nonce, _ = comment_token(key)
    waiting = deliver_rating(session, terminal, finished_ticket(session, q), waiting_nonce,
                             key="pad-rating-waiting")
    commented = deliver_rating(session, terminal, finished_ticket(session, q),
                               commented_nonce, key="pad-rating-comment")
    plain_ticket = finished_ticket(session, q)
    receive_outbox(session, terminal, [item("pad-rating-plain01", "rating", level=5,
                                            source="pad", ticket=plain_ticket.id)])
    add_comment(session, terminal, commented_nonce, "很好")
    session.commit()

    window = dt.timedelta(minutes=35)
    now = utcnow()
    enqueue(session, ["province"], now, window)
    session.commit()
    queued = set(session.scalars(select(ExportItem.rating_id)))
    assert waiting.id not in queued and commented.id in queued and len(queued) == 2
    enqueue(session, ["province"], now + window + dt.timedelta(seconds=1), window)
    session.commit()
    assert waiting.id in set(session.scalars(select(ExportItem.rating_id)))


def test_check_token_finds_the_signing_terminal(session: Session) -> None:
    q = make_queue_hall(session)
    terminal, key = terminal_with_key(session, q)
    nonce, token = comment_token(key)
    found, found_nonce = check_token(session, token, 30)
    assert (found.id, found_nonce) == (terminal.id, nonce)
    with pytest.raises(CommentError) as caught:
        check_token(session, token, 30, now=utcnow() + dt.timedelta(minutes=31))
    assert caught.value.code == "expired"


def race(database: Database, terminal_id: int, signing_key: Ed25519PrivateKey,
         ticket_id: int, key: str) -> None:
    """The comment page and the outbox deliver the same rating's two halves at once."""
    nonce, _token = comment_token(signing_key)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def comment() -> None:
        with database.sessions() as own:
            terminal = own.get(Terminal, terminal_id)
            assert terminal is not None
            start.wait()
            add_comment(own, terminal, nonce, "同时到达")
            own.commit()

    def rating() -> None:
        with database.sessions() as own:
            terminal = own.get(Terminal, terminal_id)
            assert terminal is not None
            start.wait()
            receive_outbox(own, terminal, [item(key, "rating", level=2, reasons=["服务态度差"],
                                                source="pad", ticket=ticket_id,
                                                comment_token=nonce)])

    def run(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in (comment, rating)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_a_comment_and_its_rating_meeting_at_the_same_moment_always_join(
        database_url: str, session: Session) -> None:
    """Twenty races: the rating always ends with the comment, whichever transaction
    commits first (on PostgreSQL the loser's insert waits, fails and reads the winner's)."""
    q = make_queue_hall(session)
    terminal, key = terminal_with_key(session, q)
    tickets = [finished_ticket(session, q).id for _ in range(20)]
    database = Database(database_url)
    try:
        for number, ticket_id in enumerate(tickets):
            race(database, terminal.id, key, ticket_id, f"race-rating-{number:06d}")
            session.expire_all()
            stored = session.scalar(select(Rating).where(
                Rating.idempotency_key == f"race-rating-{number:06d}"))
            assert stored is not None and stored.comment == "同时到达", number
    finally:
        database.engine.dispose()


def test_bind_rating_ignores_a_malformed_token(session: Session) -> None:
    q = make_queue_hall(session)
    terminal, _key = terminal_with_key(session, q)
    rating = deliver_rating(session, terminal, finished_ticket(session, q), "short")
    bind_rating(session, rating, "x" * 40, terminal.id)
    assert session.scalar(select(func.count()).select_from(RatingComment)) == 0


def qr_modules(data: str) -> int:
    """The side of the QR code for data, in modules, as the terminal draws it."""
    from devices.qr import qr_image

    return qr_image(data, box_size=1, border=0).size[0]


def test_the_short_link_of_a_delivered_rating(client: TestClient, server_app: FastAPI
                                              ) -> None:
    database: Database = server_app.state.database
    with database.sessions() as session:
        q = make_queue_hall(session)
        terminal, key = terminal_with_key(session, q)
        nonce, token = comment_token(key)
        waiting, _token = comment_token(key)  # a rating not delivered yet
        rating = deliver_rating(session, terminal, finished_ticket(session, q), nonce)
        rating_id = rating.id

    # a QR code much less dense than the signed token's
    server = "https://hall.example.gov.cn"
    # (33 modules instead of 53 for such a server name: version 4 instead of 9)
    assert qr_modules(f"{server}/r/{nonce}") < qr_modules(f"{server}/c/{token}") - 16

    short = client.get(f"/r/{nonce}", follow_redirects=False)
    assert short.status_code == 303 and short.headers["location"] == f"/c/{nonce}"
    assert short.headers["referrer-policy"] == "no-referrer"
    form = client.get(f"/r/{nonce}")  # followed: the rating's own comment page
    assert form.status_code == 200 and "您的评价：" in form.text
    assert "不满意" in page_text(form.text)
    sent = client.post(f"/c/{nonce}", data={"comment": "叫号声音太小"})
    assert sent.status_code == 200 and "已附在您的评价（不满意）上" in sent.text
    assert client.get(f"/r/{nonce}").status_code == 409  # once
    with database.sessions() as session:
        stored = session.get(Rating, rating_id)
        assert stored is not None and stored.comment == "叫号声音太小"

    # unknown (or not delivered yet): the visitor's friendly 404, never the staff frame
    for unknown in (waiting, "A" * 22):
        answer = client.get(f"/r/{unknown}")
        assert answer.status_code == 404 and "如果您刚刚评价，请稍等几秒后刷新本页" in answer.text
        assert "终端运维" not in answer.text and "重新登录" not in answer.text
        assert client.post(f"/c/{unknown}", data={"comment": "你好"}).status_code == 404
    answer = client.get("/r/not-a-code")
    assert answer.status_code == 404 and "二维码无效" in answer.text
    with database.sessions() as session:  # nothing stored for the unknown codes
        assert session.scalar(select(func.count()).select_from(RatingComment)) == 1

    # the short link lasts as long as the signed token: its minutes after the rating
    with database.sessions() as session:
        other, _ = comment_token(key)
        old = deliver_rating(session, terminal, finished_ticket(session, q), other,
                             key="pad-rating-000002")
        old.created_at = utcnow() - dt.timedelta(minutes=31)
        session.commit()
    assert client.get(f"/r/{other}").status_code == 410
