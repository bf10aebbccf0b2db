"""Ratings (好差评) and complaints (投诉建议) from this terminal, through its outbox.

A rating or complaint is written to the outbox on the usage worker (on disk within
milliseconds) and the heartbeat is woken to deliver it at once; an outage or a crash
only delays it, and the server stores it exactly once. The reasons offered for each
level come from the server (a province may set its own) and are kept on disk for
when the server cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from devices.status import DeviceState
from kiosk.connectivity import Connectivity
from kiosk.queue_link import CHINA_TIME, ui
from kiosk.usage import UsageRecorder
from protocol.feedback import ComplaintItem, RatingItem, RatingLevels, TicketToRate
from protocol.signing import comment_token
from provisioning.client import ServerError, ServerRefused, TerminalClient

log = logging.getLogger(__name__)
LEVELS_FILE = "rating_levels.json"
PHOTOS_DIR = "staff_photos"  # staff photos for the pad's 公示, by sha256
PHOTOS_KEPT = 40
MAX_PHOTO_BYTES = 2 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LEVELS = (5, 4, 3, 2, 1)  # 非常满意 ... 非常不满意
REASONS_FROM = 3  # levels at or below this ask for reasons
TICKET_NUMBER = re.compile(r"^[A-Z]{1,2}\d{1,4}$")
COMPLAINT_CATEGORIES = ("attitude", "waiting", "process", "environment", "integrity",
                        "suggestion", "other")


class FeedbackLink:
    """The app's way to rate and complain; every callback runs on the UI thread."""

    def __init__(self, data_dir: Path, link: Connectivity, usage: UsageRecorder):
        self.link, self.usage, self.path = link, usage, data_dir / LEVELS_FILE
        self.photos = data_dir / PHOTOS_DIR
        self.english: dict[str, str] = {}  # reason -> its English, where the server gives one
        self.reasons: dict[int, list[str]] = self._load()
        self._fetching: set[str] = set()
        # The reasons this server offers, fetched whenever the terminal gets a client.
        link.subscribe(lambda client: self.refresh_levels() if client is not None else None)

    def _load(self) -> dict[int, list[str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            for item in data["levels"]:
                self.english.update(
                    (str(r), str(e)) for r, e in zip(item["reasons"], item.get("reasons_en", []),
                                                     strict=False) if e)
            return {int(item["level"]): [str(r) for r in item["reasons"]]
                    for item in data["levels"]}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s unreadable (%s); no reasons until the server sends them",
                        self.path, error)
            return {}

    @property
    def client(self) -> TerminalClient | None:
        """The signed server client, or None when the terminal is not enrolled."""
        return self.link.client

    def refresh_levels(self) -> None:
        """Fetch the levels and their reasons from the server (worker thread)."""
        client = self.client
        if client is None:
            return

        def work() -> None:
            try:
                offered = client.typed_request("GET", "/api/v1/ratings/levels", RatingLevels)
            except (ServerError, requests.RequestException) as error:
                log.warning("could not load the rating reasons: %s", error)
                return
            self.english = {reason: english for level in offered.levels
                            for reason, english in zip(level.reasons, level.reasons_en,
                                                       strict=False) if english}
            self.reasons = {level.level: list(level.reasons) for level in offered.levels}
            try:
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(offered.model_dump_json(), "utf-8")
                temporary.replace(self.path)
            except OSError as error:
                log.warning("could not keep the rating reasons: %s", error)

        threading.Thread(target=work, name="rating-levels", daemon=True).start()

    def staff_photo(self, sha256: str, on_ready: Callable[[str], None]) -> str:
        """The local file of a staff photo named by its sha256, or "" while it is fetched
        from the server (signed, hash checked); on_ready(path) then follows on the UI
        thread. A photo that cannot be fetched is logged and the pad shows the name only."""
        if not SHA256.match(sha256):
            return ""
        path = self.photos / f"{sha256}.jpg"
        if path.exists():
            return str(path)
        client = self.client
        if client is None or sha256 in self._fetching:
            return ""
        self._fetching.add(sha256)

        def work() -> None:
            try:
                response = client.request("GET", f"/api/v1/content/files/{sha256}")
                data = response.content
                if len(data) > MAX_PHOTO_BYTES or hashlib.sha256(data).hexdigest() != sha256:
                    raise ValueError("the photo does not match its sha256")
                self.photos.mkdir(parents=True, exist_ok=True)
                temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
                temporary.write_bytes(data)
                temporary.replace(path)
                self._prune()
            except (ServerError, requests.RequestException, ValueError, OSError) as error:
                log.warning("staff photo %s… not shown: %s", sha256[:12], error)
            else:
                ui(on_ready, str(path))
            finally:
                ui(self._fetching.discard, sha256)

        threading.Thread(target=work, name="staff-photo", daemon=True).start()
        return ""

    def _prune(self) -> None:
        """Keep the newest PHOTOS_KEPT photos."""
        files = sorted(self.photos.glob("*.jpg"), key=lambda f: f.stat().st_mtime,
                       reverse=True)
        for old in files[PHOTOS_KEPT:]:
            old.unlink(missing_ok=True)

    def check_ticket(self, number: str, on_ok: Callable[[TicketToRate], None],
                     on_refused: Callable[[str], None], on_offline: Callable[[], None]) -> None:
        """Whether today's ticket `number` can be rated: on_ok(ticket), on_refused(code)
        (unknown_ticket, not_finished, already_rated) or on_offline()."""
        client = self.client
        if client is None:
            on_offline()
            return

        def work() -> None:
            try:
                reply = client.typed_request("GET", f"/api/v1/ratings/ticket/{number}",
                                             TicketToRate)
            except ServerRefused as refused:
                ui(on_refused, refused.message.split(":")[0].strip())
            except (ServerError, requests.RequestException, ValueError) as error:
                log.warning("could not check ticket %s: %s", number, error)
                ui(on_offline)
            else:
                ui(on_ok, reply)

        threading.Thread(target=work, name="rating-check", daemon=True).start()

    def rate(self, level: int, reasons: list[str], source: str, ticket: int | None = None,
             number: str = "") -> str:
        """Queue a rating of a ticket (its server id, or today's number) or of the hall;
        returns the address of the page where the visitor may add a comment to this very
        rating ("" when the terminal is not enrolled)."""
        url, nonce = "", None
        client = self.client
        if client is not None:
            nonce, token = comment_token(client.identity.private_key)
            # Online, the rating reaches the server in a moment: the short link (a QR code
            # a third as dense) finds it there. Offline, the signed token lets the visitor
            # write before the rating arrives.
            url = f"{client.server_url}/r/{nonce}" if self._online() else \
                f"{client.server_url}/c/{token}"
        by_number = ticket is None and bool(number)
        item = RatingItem(
            level=level, reasons=reasons, source=source, rated_at=dt.datetime.now(dt.UTC),
            ticket=ticket, ticket_number=number if by_number else None, comment_token=nonce,
            day=dt.datetime.now(CHINA_TIME).date().isoformat() if by_number else "")
        self._submit("rating", item.model_dump(mode="json", exclude_none=True))
        return url

    def _online(self) -> bool:
        """The last heartbeat reached the server."""
        heartbeat = self.link.heartbeat
        return heartbeat is not None and heartbeat.server.current.state == DeviceState.OK

    def complain(self, category: str, phone: str) -> None:
        """Queue a complaint or suggestion with an optional call-back number."""
        item = ComplaintItem(category=category, phone=phone, at=dt.datetime.now(dt.UTC))
        self._submit("complaint", item.model_dump(mode="json", exclude_none=True))

    def _submit(self, kind: str, payload: dict[str, Any]) -> None:
        log.info("%s queued for the server: %s", kind,
                 {k: v for k, v in payload.items() if k != "phone"})
        self.usage.submit(kind, payload, stored=lambda _key: self._deliver())

    def _deliver(self) -> None:
        heartbeat = self.link.heartbeat
        if heartbeat is not None:
            heartbeat.wake()  # deliver now, not at the next heartbeat
