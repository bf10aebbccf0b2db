"""Generated activity holds no predictable secrets (issue #12, finding 10): two generations
with the same seed give the same day (visitors, calls, ratings) but different phone-page
tokens, so demo and training installs do not share rateable ``/t/<token>`` pages."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import Database, upgrade
from server.queue.models import Ticket
from server.ratings.models import RatingComment
from tests.server.test_dashboard import _fingerprint, generated_hall


def _tokens(session: Session) -> list[str]:
    return list(session.scalars(select(Ticket.token).order_by(Ticket.day, Ticket.service_id,
                                                               Ticket.seq)))


def test_same_seed_same_day_other_tokens(session: Session, tmp_path: Path) -> None:
    generated_hall(session, days=4)
    other = Database(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    upgrade(other.engine)
    with other.sessions() as again:
        generated_hall(again, days=4)
        tokens, day = _tokens(again), _fingerprint(again)
    other.engine.dispose()
    assert _fingerprint(session) == day  # the same visitors, calls and ratings
    mine = _tokens(session)
    assert len(mine) == len(tokens) > 40
    assert set(mine).isdisjoint(tokens)  # not one phone page in common
    assert len(set(mine)) == len(mine) and all(len(t) >= 22 for t in mine)  # 128 bits
    assert session.scalar(select(RatingComment.token).limit(1)) is None  # none generated
