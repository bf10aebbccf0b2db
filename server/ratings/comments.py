"""Comments bound to one rating, written on the visitor's phone after rating at a terminal.

The terminal's thank-you screen shows a QR code with a token it signed with its own
key: ``<device id prefix>.<nonce>.<issued>.<signature>``. The same nonce travels in the
rating through the outbox. The visitor may write before the rating reaches the server
(the terminal is offline) or after; whichever comes first inserts the ``rating_comment``
row and the other completes it. The row's primary key settles a race between the two:
on PostgreSQL the second insert waits for the first to commit, fails, and then reads it.

A terminal that reached the server lately shows a shorter QR code instead: ``/r/<nonce>``,
which redirects to ``/c/<nonce>``. A bare nonce is good only once a delivered rating has
bound it (the rating came through the terminal's signed channel, so the binding vouches
for the nonce, 128 random bits), for the same minutes after the rating; before that it is
unknown, and the visitor is asked to try again in a moment.

A token is good for ``rating_comment_minutes`` after the terminal issued it, for one
comment. The export holds a rating whose comment may still come until that window has
closed, so the province receives each rating once, complete.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.signing import comment_token_text
from server.models import Terminal, utcnow
from server.ratings.models import FollowUp, FollowUpEvent, Rating, RatingComment
from server.ratings.rules import COMMENT_MAX, CodedError

log = logging.getLogger(__name__)
TOKEN = re.compile(r"^([0-9a-f]{16})\.([A-Za-z0-9_-]{16,32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{86})$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
PREFIX = 16  # hex characters of the device id in a token
SKEW = dt.timedelta(minutes=5)  # a terminal clock ahead of the server's, tolerated


class CommentError(CodedError):
    """A comment that cannot be taken."""

    MESSAGES = {
        "bad_token": (404, "二维码无效，请在评价后重新扫描。",
                      "The QR code is not valid; scan it again after rating."),
        "unknown_code": (404, "没有找到这个评价。如果您刚刚评价，请稍等几秒后刷新本页。",
                         "No rating has this code; if you have just rated, reload in a "
                         "few seconds."),
        "expired": (410, "二维码已过期，如需反映问题请使用投诉建议。",
                    "The QR code has expired; use a complaint to tell us more."),
        "revoked": (410, "该终端已停用，无法留言。", "The terminal is retired; no comment."),
        "already_commented": (409, "您已经留过言了，感谢您的反馈。",
                              "You have commented already; thank you."),
        "empty": (422, "请填写留言内容。", "Write a comment."),
        "too_long": (422, f"留言不能超过{COMMENT_MAX}个字。",
                     f"A comment has at most {COMMENT_MAX} characters."),
    }


def check_token(session: Session, token: str, minutes: int, now: dt.datetime | None = None
                ) -> tuple[Terminal, str]:
    """The terminal that signed token and its nonce; CommentError when it is not good now."""
    now = now or utcnow()
    match = TOKEN.match(token)
    if match is None:
        raise CommentError("bad_token")
    prefix, nonce, issued_text, signature = match.groups()
    terminals = session.scalars(select(Terminal).where(
        Terminal.device_id.startswith(prefix, autoescape=True)).limit(2)).all()
    if len(terminals) != 1:
        log.warning("comment token for unknown device %s…", prefix)
        raise CommentError("bad_token")
    terminal = terminals[0]
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(terminal.public_key)).verify(
            base64.urlsafe_b64decode(signature + "=="), comment_token_text(nonce, int(issued_text)))
    except (InvalidSignature, ValueError):
        log.warning("comment token with a bad signature for terminal %s", terminal.id)
        raise CommentError("bad_token") from None
    if terminal.status != "accepted":
        raise CommentError("revoked")
    issued = dt.datetime.fromtimestamp(int(issued_text), dt.UTC)
    if not now - dt.timedelta(minutes=minutes) <= issued <= now + SKEW:
        raise CommentError("expired")
    return terminal, nonce


def check_code(session: Session, code: str, minutes: int, now: dt.datetime | None = None
               ) -> tuple[Terminal, str]:
    """The terminal behind a short link's code (a rating's nonce) and the nonce; CommentError
    when no delivered rating has bound it, or its time is over."""
    now = now or utcnow()
    if not NONCE.match(code):
        raise CommentError("bad_token")
    row = session.get(RatingComment, code)
    rating = session.get(Rating, row.rating_id) if row and row.rating_id else None
    terminal = session.get(Terminal, row.terminal_id) if row and row.terminal_id else None
    if row is None or rating is None or terminal is None:
        raise CommentError("unknown_code")  # perhaps only not delivered yet
    if terminal.status != "accepted":
        raise CommentError("revoked")
    rated = rating.created_at if rating.created_at.tzinfo else rating.created_at.replace(
        tzinfo=dt.UTC)
    if not now - dt.timedelta(minutes=minutes) <= rated <= now + SKEW:
        raise CommentError("expired")
    return terminal, code


def check_link(session: Session, token: str, minutes: int) -> tuple[Terminal, str]:
    """A signed token (``/c/<token>``) or a short link's code (``/c/<nonce>``)."""
    if "." in token:
        return check_token(session, token, minutes)
    return check_code(session, token, minutes)


def _apply(session: Session, rating: Rating, comment: str) -> None:
    """Put the comment on the rating, and in the audit trail of its follow-up if any."""
    if rating.comment:
        log.info("rating %s already has a comment; the QR comment is kept beside it",
                 rating.id)
        return
    rating.comment = comment
    item = session.scalar(select(FollowUp).where(FollowUp.rating_id == rating.id))
    if item is not None:
        session.add(FollowUpEvent(follow_up_id=item.id, kind="commented", actor="visitor",
                                  note=comment))


def _row(session: Session, token: str, **values: object) -> tuple[RatingComment, bool]:
    """The token's row: inserted with values (True), or the one already there (False)."""
    row = session.get(RatingComment, token)
    if row is not None:
        return row, False
    try:
        with session.begin_nested():
            row = RatingComment(token=token, **values)
            session.add(row)
    except IntegrityError:  # the other side inserted it meanwhile and has committed
        existing = session.scalar(select(RatingComment).where(RatingComment.token == token)
                                  .execution_options(populate_existing=True))
        if existing is None:
            raise
        return existing, False
    return row, True


def bind_rating(session: Session, rating: Rating, token: str, terminal_id: int | None) -> None:
    """A rating arrived carrying a comment token: bind them, taking a comment already
    written (not committed)."""
    if not NONCE.match(token):
        log.warning("rating %s carries a malformed comment token; ignored", rating.id)
        return
    row, created = _row(session, token, terminal_id=terminal_id, rating_id=rating.id)
    if created:
        return
    if row.rating_id is not None and row.rating_id != rating.id:
        log.warning("comment token of rating %s already bound to rating %s; ignored",
                    rating.id, row.rating_id)
        return
    row.rating_id = rating.id
    if row.comment:
        _apply(session, rating, row.comment)


def add_comment(session: Session, terminal: Terminal, token: str, text: str
                ) -> tuple[RatingComment, Rating | None]:
    """Store the visitor's comment for token (not committed): on its rating if that has
    arrived, else kept for it. CommentError when empty, too long or already given."""
    comment = text.strip()
    if not comment:
        raise CommentError("empty")
    if len(comment) > COMMENT_MAX:
        raise CommentError("too_long")
    row, created = _row(session, token, terminal_id=terminal.id, comment=comment,
                        commented_at=utcnow())
    if not created:
        if row.commented_at is not None:
            raise CommentError("already_commented")
        row.comment, row.commented_at = comment, utcnow()
    rating = session.get(Rating, row.rating_id) if row.rating_id is not None else None
    if rating is not None:
        _apply(session, rating, comment)
    log.info("comment for token %s… stored (%s)", token[:6],
             f"rating {rating.id}" if rating else "rating not arrived yet")
    return row, rating


def find(session: Session, token: str) -> tuple[RatingComment | None, Rating | None]:
    """The token's row and rating, as far as they are known."""
    row = session.get(RatingComment, token)
    rating = session.get(Rating, row.rating_id) if row and row.rating_id else None
    return row, rating
