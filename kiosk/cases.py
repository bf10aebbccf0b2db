"""Cases (一案一码) from this terminal: 办事进度查询 against the server, and applications
(a call-back request, a legal-aid pre-application) through the outbox.

An application gets its case code and phone page token here, so the receipt can be
printed at once, also while the server cannot be reached; it then waits in the outbox
(on disk) and the server stores it exactly once, dated when the visitor made it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from kiosk.connectivity import Connectivity
from kiosk.queue_link import ui
from kiosk.usage import UsageRecorder
from protocol.cases import CaseItem, CaseProgress, new_case_code, new_case_token
from protocol.enums import OutboxKind
from provisioning.client import ServerError, ServerRefused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submitted:
    """An application as the terminal made it: its code (stored form), token and the
    phone page address ("" when the terminal is not enrolled)."""

    code: str
    token: str
    url: str


class CaseLink:
    """The app's way to look up progress and submit applications; callbacks run on the UI
    thread."""

    def __init__(self, link: Connectivity, usage: UsageRecorder):
        self.link, self.usage = link, usage

    def progress(self, code: str, phone: str, on_ok: Callable[[CaseProgress], None],
                 on_refused: Callable[[str], None], on_offline: Callable[[], None]) -> None:
        """Look the case up: on_ok(progress), on_refused(code: not_found, rate_limited ...)
        or on_offline()."""
        client = self.link.client
        if client is None:
            on_offline()
            return

        def work() -> None:
            try:
                reply = client.typed_request("POST", "/api/v1/cases/progress", CaseProgress,
                                             json={"code": code, "phone": phone})
            except ServerRefused as refused:
                reason = "rate_limited" if refused.status == 429 else \
                    refused.message.split(":")[0].strip()
                ui(on_refused, reason)
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("case progress look-up failed: %s", error)
                ui(on_offline)
            else:
                ui(on_ok, reply)

        threading.Thread(target=work, name="case-progress", daemon=True).start()

    def submit(self, kind: str, *, name: str = "", phone: str = "", matter: str = "",
               details: dict[str, Any] | None = None) -> Submitted:
        """Queue an application in the outbox; its code and phone page address at once."""
        code, token = new_case_code(), new_case_token()
        item = CaseItem(kind=kind, code=code, token=token, name=name, phone=phone,
                        matter=matter, details=details or {}, at=dt.datetime.now(dt.UTC))
        log.info("%s application queued for the server", kind)
        self.usage.submit(OutboxKind.CASE, item.model_dump(mode="json", exclude_none=True),
                          stored=lambda _key: self._deliver())
        client = self.link.client
        url = f"{client.server_url}/case/{token}" if client is not None else ""
        return Submitted(code, token, url)

    def _deliver(self) -> None:
        heartbeat = self.link.heartbeat
        if heartbeat is not None:
            heartbeat.wake()
