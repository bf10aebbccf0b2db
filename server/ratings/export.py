"""Rating export to a provincial 好差评 system: the document format and the exporters.

An exporter has a name and ``send(batch)``, which returns once the receiver accepted the
batch and raises on any failure. The built-in ``http-json`` exporter POSTs the batch as
JSON signed with HMAC-SHA256; a plug-in is any class named as ``package.module:Class`` in
the settings, built with its ExporterConfig. The format is docs/export-format.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Hall, Service, User, Window, as_utc
from server.queue.models import Ticket
from server.ratings.models import Rating
from server.ratings.rules import LEVELS, RatingReasons
from server.settings import ExporterConfig

FORMAT = "hallkiosk.ratings"
VERSION = 1
SIGNATURE_HEADER = "X-Hallkiosk-Signature"
TIMESTAMP_HEADER = "X-Hallkiosk-Timestamp"
BATCH_HEADER = "X-Hallkiosk-Batch"


class ExportError(Exception):
    """A batch the receiver did not accept; the message says why."""


class ExporterSetupError(Exception):
    """An exporter named in the settings that cannot be built."""


class Exporter(Protocol):
    """A destination of exported ratings."""

    name: str

    def send(self, batch: dict[str, Any]) -> None:
        """Deliver one batch document; raise when it was not accepted."""


def _iso(value: dt.datetime | None) -> str | None:
    utc = as_utc(value)
    return utc.isoformat(timespec="seconds").replace("+00:00", "Z") if utc else None


def rating_records(session: Session, rating_ids: Sequence[int], origin: str,
                   offered: RatingReasons) -> list[dict[str, Any]]:
    """The documented record of each rating, in id order (one query for the batch)."""
    rows = session.execute(
        select(Rating, Hall.code, Hall.name, Ticket.number, Ticket.day, Service.code,
               Service.name, Window.number, User.username)
        .join(Hall, Hall.id == Rating.hall_id)
        .outerjoin(Ticket, Ticket.id == Rating.ticket_id)
        .outerjoin(Service, Service.id == Rating.service_id)
        .outerjoin(Window, Window.id == Rating.window_id)
        .outerjoin(User, User.id == Rating.staff_id)
        .where(Rating.id.in_(rating_ids)).order_by(Rating.id)).all()
    return [{
        "idempotency_id": f"{origin}:rating:{rating.id}",
        "id": rating.id,
        "hall_code": hall_code,
        "hall_name": hall_name,
        "level": rating.level,
        "level_name": LEVELS[rating.level],
        "reasons": list(rating.reasons),
        "indicators": offered.by_indicator(rating.level, rating.reasons),
        "comment": rating.comment,
        "source": rating.source,
        "ticket_number": ticket_number,
        "ticket_day": ticket_day,
        "service_code": service_code,
        "service_name": service_name,
        "window_number": window_number,
        "staff_id": rating.staff_id,
        "staff_username": username,
        "created_at": _iso(rating.created_at),  # when the visitor rated
        "received_at": _iso(rating.received_at),
    } for (rating, hall_code, hall_name, ticket_number, ticket_day, service_code, service_name,
           window_number, username) in rows]


def batch_document(exporter: str, records: list[dict[str, Any]],
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON document one send carries."""
    return {"format": FORMAT, "version": VERSION, "exporter": exporter,
            "batch_id": uuid.uuid4().hex, "generated_at": _iso(now or dt.datetime.now(dt.UTC)),
            "count": len(records), "ratings": records}


def encode(batch: dict[str, Any]) -> bytes:
    """The exact bytes sent: compact UTF-8 JSON."""
    return json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: HMAC-SHA256 over ``timestamp + "." + body``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class HttpJsonExporter:
    """POSTs each batch as signed JSON; any 2xx answer means accepted."""

    def __init__(self, config: ExporterConfig):
        self.name, self.config = config.name, config
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "hallkiosk-export/1"

    def send(self, batch: dict[str, Any]) -> None:
        """POST the batch; raise ExportError unless the receiver answered 2xx."""
        body = encode(batch)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   TIMESTAMP_HEADER: timestamp, BATCH_HEADER: str(batch["batch_id"]),
                   SIGNATURE_HEADER: signature(self.config.secret, timestamp, body)}
        try:
            response = self.http.post(self.config.url, data=body, headers=headers,
                                      timeout=self.config.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise ExportError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise ExportError(f"HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def build_exporter(config: ExporterConfig) -> Exporter:
    """The exporter a config names: http-json, or a plug-in class built with the config."""
    if config.kind == "http-json":
        return HttpJsonExporter(config)
    module_name, _, class_name = config.kind.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ExporterSetupError(f"exporter {config.name}: cannot load {config.kind}: {exc}"
                                 ) from exc
    exporter: Exporter = factory(config)
    if not callable(getattr(exporter, "send", None)):
        raise ExporterSetupError(f"exporter {config.name}: {config.kind} has no send()")
    exporter.name = config.name  # the outbox is keyed by the configured name
    return exporter
