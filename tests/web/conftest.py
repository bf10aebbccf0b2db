"""A real server on loopback (uvicorn, temporary SQLite) and headless Debian Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from server.app import create_app
from server.fleet.actions import create_hall
from server.security import create_user
from server.settings import ServerSettings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
IT_ADMIN = ("zhang.it", "fleet-console-pass")


@dataclass
class LiveServer:
    """A running server: its base URL and application."""

    url: str
    app: FastAPI


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The server on a free loopback port with two halls and an IT admin."""
    settings = ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                              storage_dir=tmp_path / "storage")
    app = create_app(settings)
    with app.state.database.sessions() as session:
        create_hall(session, "GZ-CG-01", "城关区公共法律服务中心")
        create_hall(session, "GZ-DG-02", "东关街道公共法律服务工作站", "township")
        create_user(session, *IT_ADMIN, "it_admin")
        session.commit()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # the port stays ours until uvicorn serves on it
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=15)
    listener.close()
    app.state.database.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (never a downloaded browser)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


def watch_csp(context: BrowserContext, blocked: list[str]) -> None:
    """Collect into blocked what the pages' Content-Security-Policy refused, in every tab of
    context: the tests fail when a page needs something the policy (server/headers.py)
    forbids."""

    def watch(tab: Page) -> None:
        tab.on("console", lambda message: blocked.append(message.text)
               if "Content Security Policy" in message.text else None)

    context.on("page", watch)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab in a Chinese-locale context at a laptop's size."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    blocked: list[str] = []
    watch_csp(context, blocked)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert blocked == [], "blocked by the Content-Security-Policy"


# -- the queue pages ------------------------------------------------------------------------

SUPERVISOR = ("li.supervisor", "hall-supervisor-pass")


@dataclass
class QueueSite:
    """The live server with a queue hall (services A legal-aid, B notary), its people."""

    server: LiveServer
    hall_id: int
    staff: dict[int, str]  # window number -> username of the staff member meant for it
    password: str
    supervisor: tuple[str, str]


@pytest.fixture
def queue_site(live_server: LiveServer) -> QueueSite:
    """The queue hall of tests/server/queue_setup.py, nobody signed in, plus a supervisor."""
    from tests.server.queue_setup import PASSWORD, make_queue_hall

    with live_server.app.state.database.sessions() as session:
        hall = make_queue_hall(session, sign_in_all=False)
        create_user(session, *SUPERVISOR, "supervisor", hall.hall.code)
        session.commit()
        return QueueSite(live_server, hall.hall.id,
                         {number: user.username for number, user in hall.staff.items()},
                         PASSWORD, SUPERVISOR)


@pytest.fixture
def new_tab(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Opens tabs, each in its own context (own cookies); closed before the server stops,
    so no live event stream holds the server's shutdown."""
    contexts: list[BrowserContext] = []
    blocked: list[str] = []

    def open_tab(width: int = 1366, height: int = 900, mobile: bool = False) -> Page:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height},
                                      is_mobile=mobile, has_touch=mobile,
                                      device_scale_factor=2 if mobile else 1)
        contexts.append(context)
        watch_csp(context, blocked)
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        return tab

    yield open_tab
    for context in contexts:
        context.close()
    assert blocked == [], "blocked by the Content-Security-Policy"
