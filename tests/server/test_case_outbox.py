"""An application typed while the server cannot be reached, on SQLite and PostgreSQL: the
terminal gives it its code (the receipt prints it), it waits in the terminal's outbox on
disk, nothing reaches the server; once the server is back it is delivered, stored exactly
once (a resent batch is a duplicate) and dated when the visitor made it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kiosk.cases import CaseLink
from kiosk.usage import UsageRecorder
from provisioning.client import ServerError, TerminalClient
from provisioning.identity import TerminalIdentity
from provisioning.outbox import OutboxSender
from server.cases.models import Case, CaseEvent
from server.models import as_utc
from tests.provisioning.live_server import free_port, live_server
from tests.server.case_setup import make_case_halls
from tests.server.queue_http import enrolled_queue_client


def test_offline_application_waits_and_is_delivered_once(server_app: FastAPI,
                                                         tmp_path: Path) -> None:
    with server_app.state.database.sessions() as session:
        make_case_halls(session)
    data_dir = tmp_path / "terminal"
    with live_server(server_app) as url:
        enrolled_queue_client(server_app, url, data_dir, "QX-01", "query")
    identity = TerminalIdentity.load_or_create(data_dir)
    unreachable = TerminalClient(f"http://127.0.0.1:{free_port()}", identity, timeout=2)
    usage = UsageRecorder(data_dir)
    try:
        link = SimpleNamespace(client=unreachable, heartbeat=None)
        cases = CaseLink(link, usage)  # type: ignore[arg-type]
        made = cases.submit("legal_aid", phone="13800138000", matter="追索劳动报酬",
                            details={"facts": ["您是进城务工人员（农民工）吗？是"],
                                     "pledge": "本人承诺……"})
        usage.flush()
        assert len(made.code) == 12 and made.url.endswith(f"/case/{made.token}")
        pending = [item for item in usage.outbox.pending(100) if item.kind == "case"]
        assert len(pending) == 1 and pending[0].payload["code"] == made.code
        typed_at = dt.datetime.fromisoformat(pending[0].payload["at"])
        with pytest.raises(ServerError):
            OutboxSender(usage.outbox, unreachable).deliver()
        assert [i.key for i in usage.outbox.pending(100)] == [pending[0].key]  # still waits
        with server_app.state.database.sessions() as session:
            assert session.scalars(select(Case)).all() == []

        with live_server(server_app) as url:
            online = TerminalClient(url, identity)
            assert OutboxSender(usage.outbox, online).deliver() == 1
            assert usage.outbox.pending(100) == []
            # The reply was lost, say: the terminal sends the same item again.
            again = online.json_request("POST", "/api/v1/outbox",
                                        json={"items": [pending[0].to_json()]})
            assert again["duplicates"] == [pending[0].key] and again["accepted"] == []
    finally:
        usage.close()
    with server_app.state.database.sessions() as session:
        stored = session.scalars(select(Case)).all()
        assert len(stored) == 1
        case = stored[0]
        assert (case.code, case.token, case.kind, case.state) == (
            made.code, made.token, "legal_aid", "submitted")
        assert as_utc(case.created_at) == typed_at.astimezone(dt.UTC)
        assert as_utc(case.received_at) > typed_at.astimezone(dt.UTC)
        assert case.details["facts"] == ["您是进城务工人员（农民工）吗？是"]
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        assert [(e.kind, as_utc(e.at)) for e in events] == [
            ("submitted", typed_at.astimezone(dt.UTC))]
        assert events[0].actor.startswith("terminal:")
