"""Helpers shared by the fleet tests: a real server on loopback, halls, tokens, keys."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from server.fleet_service import create_enrolment_token
from server.models import Hall, Terminal


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Serve app with uvicorn on loopback (a free port by default) in a thread; yield its URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def make_hall(app: FastAPI, code: str = "H-001", name: str = "测试县公共法律服务中心") -> int:
    """Create a hall in the app's database (or find it); returns its id."""
    with app.state.database.sessions() as session:
        hall = session.scalar(select(Hall).where(Hall.code == code))
        if hall is None:
            hall = Hall(code=code, name=name)
            session.add(hall)
            session.commit()
        return hall.id


def make_token(app: FastAPI, profile: str = "query", hours: int = 1,
               hall_code: str = "H-001") -> str:
    """A fresh enrolment token for a hall (created when missing) and profile."""
    hall_id = make_hall(app, hall_code)
    with app.state.database.sessions() as session:
        token, _row = create_enrolment_token(session, hall_id, profile, hours)
    return token


def set_status(app: FastAPI, device_id: str, status: str, hall_code: str = "H-001") -> None:
    """Change a terminal's status the way the fleet console does (accept, reject, revoke)."""
    hall_id = make_hall(app, hall_code)
    with app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal).where(Terminal.device_id == device_id))
        assert terminal is not None
        terminal.status = status
        if status == "accepted":
            terminal.hall_id, terminal.profile = hall_id, "query"
        session.commit()
