"""A queue hall served on loopback, and enrolling the running UI-session terminal into a
server for one test (undone after)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import select

from provisioning.enrol import enrol
from provisioning.heartbeat import CONFIG_FILE
from provisioning.identity import STATE_FILE
from server.app import create_app
from server.background import free_port
from server.fleet.enrolment import create_enrolment_token
from server.models import Hall, User, Window
from server.queue.actions import call_next
from server.queue.issuing import issue_ticket
from server.settings import ServerSettings
from tests.server.queue_http import StaffSession
from tests.server.queue_setup import PASSWORD, make_queue_hall


@contextmanager
def enrolled_terminal(ui: Any, url: str, token: str) -> Iterator[None]:
    """Enrol with token and start the link; after, an unenrolled terminal on its own config.

    The data folder is shared by the whole UI session, and the server may have pushed
    config (a profile, idle limits): both are removed and the original config restored.
    """
    data_dir = Path(ui.app.terminal_config.data_dir)
    original = ui.app.terminal_config
    try:
        assert enrol(url, data_dir, token).status == "accepted"
        ui.app.link.restart()
        yield
    finally:
        for name in (STATE_FILE, CONFIG_FILE):
            (data_dir / name).unlink(missing_ok=True)
        ui.app.link.restart()  # stops the heartbeat; nothing starts without a state file
        ui.app.apply_config(original)
        ui.app.nav.restart()  # leave screens that follow the server (the display's feed)
        ui.frames(2)


@dataclass
class LoopbackHall:
    """A queue hall served on one loopback port; the server can be stopped and started again."""

    settings: ServerSettings
    port: int
    staff: dict[int, str] = field(default_factory=dict)  # window number -> username
    app: Any = None
    _server: Any = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """A fresh server application (and feed broker) on the same database and port."""
        self.app = create_app(self.settings)
        # uvicorn binds with SO_REUSEADDR, so the port is free again despite TIME_WAIT.
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning",
            timeout_graceful_shutdown=5))
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            assert self._thread.is_alive() and time.monotonic() < deadline, "no server"
            time.sleep(0.02)

    def stop(self) -> None:
        """End the live streams and stop serving."""
        self.app.state.broker.close()
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(10)
        self.app.state.database.engine.dispose()

    def issue(self, service: str, count: int) -> list[str]:
        """Tickets taken at another dispenser, straight into the database."""
        with self.app.state.database.sessions() as session:
            hall = session.scalars(select(Hall)).one()
            numbers = [issue_ticket(session, hall, service, actor="test")[0].number
                       for _ in range(count)]
            session.commit()
        return numbers

    def call_next_in_database(self, window_number: int) -> str:
        """叫号 written to the database directly (while no server is serving)."""
        with self.app.state.database.sessions() as session:
            window = session.scalars(select(Window).where(Window.number == window_number)).one()
            user = session.scalars(select(User).where(
                User.username == self.staff[window_number])).one()
            number = call_next(session, window.id, user).number
            session.commit()
        return number

    def staff_session(self, window_number: int) -> StaffSession:
        """The staff member of a window, signed in to the console."""
        return StaffSession(self.url, self.staff[window_number], PASSWORD)


@contextmanager
def served_queue_hall(tmp_path: Path, ui: Any, profile: str) -> Iterator[LoopbackHall]:
    """A served queue hall (four windows, their staff) with the running terminal enrolled
    into it in profile; the server is stopped after."""
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage")
    served = LoopbackHall(settings, free_port())
    served.start()
    with served.app.state.database.sessions() as session:
        queue_hall = make_queue_hall(session)
        served.staff = {number: user.username for number, user in queue_hall.staff.items()}
        token, _row = create_enrolment_token(session, queue_hall.hall.id, profile, 1)
    try:
        with enrolled_terminal(ui, served.url, token):
            yield served
    finally:
        if served._thread is not None and served._thread.is_alive():
            served.stop()
        ui.resize(1080, 1920)




def sign_in(tab: Page, url: str, username: str, password: str, page: str) -> None:
    """Sign in to the console through its form in Chromium, then open page (a live page:
    wait for its event stream)."""
    tab.goto(url + "/login")
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录").click()
    expect(tab).to_have_url(url + "/queue")
    if page != "/queue":
        tab.goto(url + page)
    expect(tab.locator("#live")).to_have_attribute("data-state", "open")
