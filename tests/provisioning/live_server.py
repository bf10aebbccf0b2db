"""Helpers shared by the fleet tests: a real server on loopback, halls, tokens, keys."""

from __future__ import annotations

from contextlib import AbstractContextManager

from fastapi import FastAPI
from sqlalchemy import select

from server import background
from server.fleet.enrolment import create_enrolment_token
from server.models import Hall, Terminal


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return background.free_port()


def live_server(app: FastAPI, port: int | None = None) -> AbstractContextManager[str]:
    """Serve app with uvicorn on loopback (a free port by default) in a thread; yield its URL."""
    return background.serve_in_thread(app, port or 0)


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
