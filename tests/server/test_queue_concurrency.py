"""4 terminals issue 500 tickets while 8 windows call and finish, on SQLite and PostgreSQL
(12 threads contending throughout; 1,000 tickets took about 70 s of make test)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from server.db import Database, upgrade
from server.models import User, Window
from server.queue import actions
from server.queue.errors import QueueError
from server.queue.issuing import issue_ticket
from server.queue.models import Ticket, TicketEvent
from tests.server.queue_setup import make_queue_hall

TERMINALS, PER_TERMINAL, WINDOWS = 4, 125, 8
TOTAL = TERMINALS * PER_TERMINAL
SERVICES = ["legal-aid", "notary"]
SETUP = {
    "services": [{"code": code, "name": code, "prefix": prefix, "daily_cap": 999}
                 for code, prefix in zip(SERVICES, "AB", strict=True)],
    "windows": [{"number": n, "name": f"窗口{n}", "services": SERVICES if n % 2 else
                 [SERVICES[n % 4 // 2]]} for n in range(1, WINDOWS + 1)],
}


def _run_all(targets: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors


@pytest.mark.timeout(600)
def test_concurrent_issuing_and_calling(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    with database.sessions() as session:
        q = make_queue_hall(session, SETUP)
        hall = q.hall
        window_ids = {n: w.id for n, w in q.windows.items()}
        staff_ids = {n: u.id for n, u in q.staff.items()}
    issuing_done = threading.Event()
    issued_count = [0] * TERMINALS

    def terminal(index: int) -> None:
        for i in range(PER_TERMINAL):
            with database.sessions() as session:
                service = SERVICES[(index + i) % 2]
                issue_ticket(session, session.merge(hall), service, actor=f"terminal:{index}",
                             idempotency_key=f"t{index}-{i}")
                session.commit()
            issued_count[index] += 1

    def window(number: int) -> None:
        while True:
            with database.sessions() as session:
                user = session.get(User, staff_ids[number])
                assert user is not None
                try:
                    ticket = actions.call_next(session, window_ids[number], user)
                    session.commit()
                except QueueError as error:
                    session.rollback()
                    assert error.code == "queue_empty", error
                    if issuing_done.is_set():
                        return
                    continue
                actions.act(session, window_ids[number], user, ticket.id, "finish")
                session.commit()

    def terminals() -> None:
        _run_all([lambda i=i: terminal(i) for i in range(TERMINALS)])
        issuing_done.set()

    _run_all([terminals, *[lambda n=n: window(n) for n in range(1, WINDOWS + 1)]])
    assert sum(issued_count) == TOTAL

    with database.sessions() as session:
        for prefix in "AB":
            seqs = sorted(session.scalars(select(Ticket.seq).where(
                Ticket.number.startswith(prefix))))
            assert seqs == list(range(1, len(seqs) + 1))  # unique and contiguous
            # the arrival is read once the number is taken: a later number never arrives
            # before an earlier one (else A002 could be called before A001)
            arrivals = list(session.scalars(select(Ticket.arrival_at).where(
                Ticket.number.startswith(prefix)).order_by(Ticket.seq)))
            assert arrivals == sorted(arrivals)
        assert session.scalar(select(func.count()).select_from(Ticket)) == TOTAL
        calls = Counter(session.scalars(select(TicketEvent.ticket_id).where(
            TicketEvent.kind == "called")))
        assert len(calls) == TOTAL and max(calls.values()) == 1  # each called exactly once
        states = Counter(session.scalars(select(Ticket.state)))
        assert states == {"finished": TOTAL}
        windows_used = {w for w in session.scalars(select(Ticket.window_id))}
        assert len(windows_used) == WINDOWS  # every window took part
        assert session.scalar(select(func.count()).select_from(Window)) == WINDOWS
    database.engine.dispose()
