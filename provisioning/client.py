"""The terminal's HTTP client: one session, a default timeout, retries, every request signed.

Modelled on pip's ``PipSession``. Two retry layers, because a signed request
carries a one-time nonce:

- urllib3 retries only failures to *connect*: the request never reached the
  server, so resending the same signed bytes is safe for any method;
- after a request was sent (read timeout, 502/503/504), idempotent methods
  are retried here, each attempt signed again with a fresh nonce.

Every failure ends as one of two errors: :class:`ServerUnavailable` (network,
timeout, 5xx) or :class:`ServerRefused` (4xx, with the server's message).
Once the server answers 403 "terminal revoked" the client stops sending.
"""

from __future__ import annotations

import json as jsonlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from protocol.errors import ServerError, ServerRefused, ServerReplyInvalid, ServerUnavailable
from protocol.signing import sign_request

__all__ = ["ServerError", "ServerRefused", "ServerReplyInvalid", "ServerUnavailable",
           "TerminalClient", "error_message"]

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUS = frozenset({502, 503, 504})
USER_AGENT = "hallkiosk-terminal/0.1.0"
ModelT = TypeVar("ModelT", bound=BaseModel)


class HasPrivateKey(Protocol):
    """Anything that holds the terminal's signing key (a TerminalIdentity)."""

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The Ed25519 private key."""


def error_message(response: requests.Response) -> str:
    """The server's explanation of an error response, in one line."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "")[:300]
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
        if "error" in body:
            details = "; ".join(f"{d.get('field', '')}: {d.get('message', '')}"
                                for d in body.get("details", []) if isinstance(d, dict))
            return f"{body['error']}: {details}" if details else str(body["error"])
    return str(body)[:300]


def _retry_after(response: requests.Response) -> float | None:
    """The seconds of a Retry-After header (the delay form), else None."""
    value = response.headers.get("Retry-After", "").strip()
    return float(min(int(value), 3600)) if value.isdigit() else None


class TerminalClient:
    """Signed HTTP requests from this terminal to the central server."""

    def __init__(self, server_url: str, identity: HasPrivateKey, timeout: float = 10,
                 retries: int = 3, *, backoff: float = 0.5):
        self.server_url = server_url.rstrip("/")
        self.identity = identity
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.revoked = False
        self._revoked_listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._invalid_reported: set[tuple[str, str]] = set()  # (path, kind of failure)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        connect_only = Retry(total=retries, connect=retries, read=0, status=0, other=0,
                             redirect=0, backoff_factor=backoff, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=connect_only)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def on_revoked(self, listener: Callable[[], None]) -> None:
        """Call listener() once when the server says this terminal is revoked."""
        self._revoked_listeners.append(listener)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def __enter__(self) -> TerminalClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None,
                data: bytes | str | None = None, headers: Mapping[str, str] | None = None,
                stream: bool = False, timeout: float | tuple[float, float] | None = None
                ) -> requests.Response:
        """Send one signed request; the response is 2xx or 3xx, or an error is raised.

        timeout overrides the client's (an event stream waits longer between reads).
        """
        if self.revoked:
            raise ServerRefused(403, "terminal revoked")
        method = method.upper()
        body, extra = self._body(json, data)
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                response = self._send(method, path, body, {**extra, **(headers or {})}, stream,
                                      timeout)
            except requests.RequestException as exc:  # connection, timeout, broken reply
                failure = f"{method} {path}: {type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status < 500:
                    self._refused(response)
                response.close()
                failure = f"{method} {path}: HTTP {status}"
                if status not in RETRY_STATUS:
                    raise ServerUnavailable(failure)
                retry_after = _retry_after(response)
                if retry_after is not None:  # the server said when: the caller waits, not us
                    raise ServerUnavailable(f"{failure}, retry after {retry_after:g} s",
                                            retry_after)
            if attempt + 1 < attempts:
                time.sleep(min(self.backoff * 2 ** attempt, 5.0))
        raise ServerUnavailable(failure)

    def json_request(self, method: str, path: str, **options: Any) -> Any:
        """request() and the reply's JSON; a reply that is not JSON (a proxy's or captive
        portal's page) counts as the server being unavailable."""
        response = self.request(method, path, **options)
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no type")
            raise ServerUnavailable(f"{method} {path}: the reply is not JSON ({kind})") from None

    def typed_request(self, method: str, path: str, model: type[ModelT],
                      **options: Any) -> ModelT:
        """request() and its reply validated into model; a reply that is not JSON or not
        that model raises ServerReplyInvalid, logged once per path and kind of failure."""
        response = self.request(method, path, **options)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if first["type"] == "json_invalid":
                kind = "not JSON"
                detail = f"not JSON ({response.headers.get('Content-Type', 'no type')})"
            else:
                where = ".".join(str(part) for part in first["loc"]) or "the reply"
                kind = f"{first['type']} at {where}"
                detail = f"not a {model.__name__}: {where}: {first['msg']}"
        message = f"{method} {path}: the reply is {detail}"
        self._report_invalid(path, kind, message)
        raise ServerReplyInvalid(message)

    def _report_invalid(self, path: str, kind: str, message: str) -> None:
        key = (path.split("?")[0], kind)
        with self._lock:
            if key in self._invalid_reported:
                return
            self._invalid_reported.add(key)
        log.error("%s (the server may run another version; not logged again)", message)

    @staticmethod
    def _body(json: Any, data: bytes | str | None) -> tuple[bytes, dict[str, str]]:
        if json is not None and data is not None:
            raise ValueError("give json or data, not both")
        if json is not None:
            encoded = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            return encoded, {"Content-Type": "application/json"}
        if isinstance(data, str):
            return data.encode(), {}
        return data or b"", {}

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str],
              stream: bool, timeout: float | tuple[float, float] | None = None
              ) -> requests.Response:
        request = requests.Request(method, self.server_url + path, data=body or None,
                                   headers=headers)
        prepared = self.session.prepare_request(request)
        # Sign exactly what goes on the wire: the prepared (quoted) path and query.
        sent = urlsplit(prepared.url or "")
        signed_path = sent.path + (f"?{sent.query}" if sent.query else "")
        prepared.headers.update(sign_request(self.identity.private_key, method, signed_path,
                                             body))
        environment = self.session.merge_environment_settings(prepared.url, {}, stream,
                                                              None, None)
        return self.session.send(prepared, timeout=timeout or self.timeout, allow_redirects=False,
                                 **environment)

    def _refused(self, response: requests.Response) -> NoReturn:
        message = error_message(response)
        response.close()
        refused = ServerRefused(response.status_code, message)
        if refused.revoked:
            with self._lock:
                first, self.revoked = not self.revoked, True
            if first:
                log.error("the server revoked this terminal: it stops sending")
                for listener in list(self._revoked_listeners):
                    listener()
        raise refused
