"""Remote commands end to end: queued on the server, run once on the terminal, acknowledged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from provisioning.client import ServerUnavailable, TerminalClient
from provisioning.commands import HANDLERS, CommandRunner
from provisioning.enrol import enrol
from provisioning.heartbeat import HeartbeatAgent
from provisioning.identity import TerminalIdentity
from server.fleet.commands import queue_command
from server.models import Command, Terminal
from tests.provisioning.live_server import free_port, make_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class RecordingContext:
    """A CommandContext that records what the app was asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.printer_fails = False

    def reload_content(self) -> None:
        self.calls.append(("reload_content",))

    def restart(self) -> None:
        self.calls.append(("restart",))

    def test_print(self) -> None:
        if self.printer_fails:
            raise OSError("printer offline: paper out")
        self.calls.append(("test_print",))

    def show_message(self, text: str, seconds: int) -> None:
        self.calls.append(("show_message", text, seconds))

    def screenshot(self) -> bytes:
        self.calls.append(("screenshot",))
        return PNG

    def set_log_level(self, level: str) -> None:
        self.calls.append(("set_log_level", level))


@pytest.fixture
def client(server_app: FastAPI, server_url: str, data_dir: Path) -> TerminalClient:
    """A client of an accepted terminal."""
    enrol(server_url, data_dir, make_token(server_app))
    return TerminalClient(server_url, TerminalIdentity.load_or_create(data_dir), retries=0)


def queue(app: FastAPI, kind: str, payload: dict[str, Any] | None = None,
          expired: bool = False) -> int:
    """Queue a command for the only terminal, as the console does."""
    with app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None
        command = queue_command(session, terminal.id, kind, payload)
        if expired:
            command.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.commit()
        return command.id


def results(app: FastAPI) -> dict[str, Any]:
    """Each command's kind and stored result."""
    with app.state.database.sessions() as session:
        return {c.kind: c.result for c in session.scalars(select(Command).order_by(Command.id))}


def test_every_command_runs_and_is_acknowledged(server_app: FastAPI, client: TerminalClient,
                                                data_dir: Path) -> None:
    context = RecordingContext()
    runner = CommandRunner(client, context, data_dir)
    for kind, payload in [("reload_content", None), ("test_print", None),
                          ("show_message", {"text": "系统维护", "seconds": 60}),
                          ("screenshot", None), ("set_log_level", {"level": "DEBUG"}),
                          ("restart_app", None)]:
        queue(server_app, kind, payload)
    assert HeartbeatAgent(client, data_dir, commands=runner).beat()
    assert context.calls == [("reload_content",), ("test_print",),
                             ("show_message", "系统维护", 60), ("screenshot",),
                             ("set_log_level", "DEBUG"), ("restart",)]
    done = results(server_app)
    assert all(result["ok"] for result in done.values())
    assert done["screenshot"] == {"ok": True, "size": len(PNG)}
    assert done["restart_app"] == {"ok": True, "restarting": True}
    with server_app.state.database.sessions() as session:
        terminal = session.scalar(select(Terminal))
        assert terminal is not None and terminal.screenshot == PNG


def test_expired_failing_and_unknown_commands_are_reported_not_run(
        server_app: FastAPI, client: TerminalClient, data_dir: Path) -> None:
    context = RecordingContext()
    context.printer_fails = True
    queue(server_app, "reload_content", expired=True)
    queue(server_app, "test_print")
    runner = CommandRunner(client, context, data_dir,
                           handlers={"test_print": HANDLERS["test_print"]})
    runner.run_all([{"id": 99, "kind": "reload_content", "payload": {},
                     "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
                     .isoformat()}])
    assert HeartbeatAgent(client, data_dir, commands=runner).beat()
    assert context.calls == []
    assert results(server_app) == {"reload_content": None,  # expired: never delivered
                                   "test_print": {"ok": False,
                                                  "error": "OSError: printer offline: paper out"}}
    assert runner.journal["99"]["result"] == {
        "error": "this terminal has no handler for 'reload_content'"}
    late = CommandRunner(client, context, data_dir)
    late.run_all([{"id": 7, "kind": "reload_content", "payload": {},
                   "expires_at": "2020-01-01T00:00:00+00:00"}])
    assert context.calls == [] and late.journal["7"]["result"] == {
        "error": "expired before it ran"}


def test_a_command_runs_once_even_when_delivered_again(server_app: FastAPI,
                                                       client: TerminalClient,
                                                       data_dir: Path) -> None:
    command_id = queue(server_app, "show_message", {"text": "hello"})
    delivered = {"id": command_id, "kind": "show_message", "payload": {"text": "hello"},
                 "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()}
    context = RecordingContext()
    offline = TerminalClient(f"http://127.0.0.1:{free_port()}", client.identity, retries=0)
    CommandRunner(offline, context, data_dir).run_all([delivered])  # ran; ack not sent
    assert len(context.calls) == 1 and results(server_app)["show_message"] is None
    restarted = CommandRunner(client, context, data_dir)  # journal survives a restart
    restarted.run_all([delivered])
    assert len(context.calls) == 1
    assert results(server_app)["show_message"] == {"ok": True}
    assert restarted.journal[str(command_id)]["acked"]


def test_a_screenshot_over_the_limit_is_not_uploaded(client: TerminalClient,
                                                     data_dir: Path) -> None:
    class Huge(RecordingContext):
        def screenshot(self) -> bytes:
            return PNG + b"\0" * 5_000_000

    runner = CommandRunner(client, Huge(), data_dir)
    outcome = runner._execute({"id": 1, "kind": "screenshot", "payload": {},
                               "expires_at": "2999-01-01T00:00:00+00:00"})
    assert not outcome.ok and "over the limit" in outcome.result["error"]
    with pytest.raises(ServerUnavailable):
        TerminalClient(f"http://127.0.0.1:{free_port()}", client.identity,
                       retries=0).request("GET", "/")
