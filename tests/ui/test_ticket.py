"""Take a ticket on the real app with real touches, against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from devices.escpos_render import decode_escpos
from devices.printer import NullPrinter, make_printer
from server.app import create_app
from server.background import serve_in_thread
from server.fleet.enrolment import create_enrolment_token
from server.queue.models import Ticket
from server.settings import ServerSettings
from tests.provisioning.test_client import stub
from tests.server.queue_setup import make_queue_hall
from tests.ui.server_link import enrolled_terminal


@pytest.fixture
def hall_server(tmp_path: Path, ui: Any) -> Iterator[tuple[Any, str]]:
    """A server with a queue hall; the running terminal enrolled into it, a simulated printer."""
    app = create_app(ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                                    storage_dir=tmp_path / "storage"))
    with app.state.database.sessions() as session:
        hall_id = make_queue_hall(session).hall.id
        token, _row = create_enrolment_token(session, hall_id, "query", 1)
    ui.app.queue.printer = make_printer("simulated", directory=str(tmp_path / "printer"),
                                        paper_width_mm=80)
    try:
        with serve_in_thread(app) as url, enrolled_terminal(ui, url, token):
            yield app, url
    finally:
        ui.app.queue.printer = NullPrinter()
        app.state.broker.close()
        app.state.database.engine.dispose()


def tickets(app: Any) -> list[str]:
    with app.state.database.sessions() as session:
        return list(session.scalars(select(Ticket.number).order_by(Ticket.id)))


def open_services(ui: Any) -> None:
    ui.app.start_session()
    ui.frames(2)
    ui.tap("取号")
    assert ui.wait_until(lambda: "请选择要办理的业务" in ui.texts())


def test_take_a_ticket_double_tap_and_printer_failure(ui: Any, hall_server: Any,
                                                      tmp_path: Path) -> None:
    app, _url = hall_server
    open_services(ui)
    service = next(t for t in ui.texts() if t.startswith("法律援助\n"))
    assert "等候 0 人" in service
    buttons = {w.text.split("\n")[0]: w for w in ui.screen.ids.services.children}
    mediation = buttons["人民调解"]  # open Mondays 09:00-12:00 only
    assert mediation.disabled == ("暂未开放" in mediation.text)
    assert mediation.disabled or "等候" in mediation.text
    ui.tap(service)
    assert ui.app.nav.current == "ticket_confirm"
    button = ui.find("确认取号", root=ui.screen)
    ui.tap(button)
    ui.tap(button)  # an impatient second tap: still one ticket
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
    ui.frames(3)
    assert "A001" in ui.texts() and "请取走您的号票" in ui.texts()
    assert tickets(app) == ["A001"]
    printed = sorted((tmp_path / "printer").glob("*.bin"))
    assert len(printed) == 1 and "A001" in printed[0].name
    image = decode_escpos(printed[0].read_bytes(), 576).image
    assert image.width == 576
    assert ui.screen.code.endswith("/t/" + ui.screen.params["ticket"].ticket.token)
    ui.screenshot(tmp_path / "ticket-done.png")

    # The printer runs out of paper: the ticket is still issued and shown, with the reason.
    ui.app.queue.printer.set_fault("paper_out")
    ui.tap("完成")
    ui.tap("取号")
    assert ui.wait_until(lambda: any(t.startswith("法律援助\n") for t in ui.texts()))
    ui.tap(next(t for t in ui.texts() if t.startswith("法律援助\n")))
    ui.tap("确认取号")
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
    ui.frames(3)
    assert "A002" in ui.texts() and tickets(app) == ["A001", "A002"]
    assert any("打印机故障" in t for t in ui.texts())
    assert ui.wait_until(lambda: ui.app.state.printer_state == "error")


def test_without_a_server_no_ticket_and_a_clear_message(ui: Any) -> None:
    ui.app.start_session()
    ui.frames(2)
    ui.tap("取号")
    assert ui.wait_until(lambda: any("本机未接入大厅排队系统" in t for t in ui.texts()))
    assert "12348" in next(t for t in ui.texts() if "本机未接入" in t)


def test_server_unreachable_gives_no_ticket_and_says_what_to_do(ui: Any, hall_server: Any) -> None:
    app, _url = hall_server
    open_services(ui)
    ui.tap(next(t for t in ui.texts() if t.startswith("法律援助\n")))
    ui.app.link.client.server_url = "http://127.0.0.1:9"  # the network drops
    ui.tap(ui.find("确认取号", root=ui.screen))
    assert ui.wait_until(lambda: any("与服务器的连接中断" in t for t in ui.texts()), 30)
    assert ui.app.nav.current == "ticket_confirm" and tickets(app) == []
    assert any("12348" in t for t in ui.texts() if "连接中断" in t)


def test_a_malformed_reply_shows_the_offline_message_and_nothing_crashes(
        ui: Any, hall_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, url = hall_server
    with stub(lambda _n: (200, b"{not json")) as (stub_url, seen):
        ui.app.link.client.server_url = stub_url  # a proxy answers instead of the server
        ui.app.start_session()
        ui.frames(2)
        ui.tap("取号")
        assert ui.wait_until(lambda: any("与服务器的连接中断" in t for t in ui.texts()), 30)
        assert seen and ui.app.nav.current == "ticket"
    ui.app.link.client.server_url = url
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert [e for e in errors if "the reply is not JSON" in e] == [
        "GET /api/v1/queue/services: the reply is not JSON (text/html) (the server may "
        "run another version; not logged again)"]
    open_services(ui)  # the real server again: the services show
    assert tickets(app) == []
