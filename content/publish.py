"""Publish a signed bundle folder to the central server with an editor's account.

Content-addressed, so a republish sends only what changed: sign in, ask the
server which file hashes it lacks, upload those one by one, then post the
signed manifest. Every failure ends as one :class:`PublishError` that says
which step failed and what the server answered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from content.signing import signed_bundle_manifest

API = "/api/v1"


class PublishError(Exception):
    """Publishing failed; the message names the step and the reason."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    if isinstance(body, dict) and "details" in body:
        return "; ".join(f"{d.get('field')}: {d.get('message')}" for d in body["details"])
    return str(body)[:300]


class Publisher:
    """One signed-in session with the server, for one publish."""

    def __init__(self, server_url: str, timeout: float = 60,
                 progress: Callable[[str], None] = _stderr):
        self.base = server_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "hallkiosk-publish/0.1.0"
        self.timeout = timeout
        self.progress = progress

    def call(self, step: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; PublishError unless it succeeds."""
        try:
            response = self.http.request(method, self.base + API + path, timeout=self.timeout,
                                         **kwargs)
        except requests.RequestException as exc:
            raise PublishError(f"{step}: cannot reach {self.base}: {exc}") from None
        if response.status_code >= 400:
            raise PublishError(f"{step}: HTTP {response.status_code}: {_detail(response)}")
        return response

    def sign_in(self, username: str, password: str) -> None:
        """Open a session; later unsafe requests carry its CSRF token."""
        response = self.call("sign-in", "POST", "/session",
                             json={"username": username, "password": password})
        self.http.headers["X-CSRF-Token"] = str(response.json()["csrf_token"])

    def upload_missing(self, bundle: Path, files: dict[str, dict[str, Any]]) -> tuple[int, int]:
        """Upload the files the server lacks; return (files sent, bytes sent)."""
        by_hash = {meta["sha256"]: (name, meta["size"]) for name, meta in files.items()}
        missing = self.call("checking stored files", "POST", "/content/files/missing",
                            json={"hashes": sorted(by_hash)}).json()["missing"]
        total = sum(by_hash[h][1] for h in missing)
        self.progress(f"{len(by_hash) - len(missing)} of {len(by_hash)} files already on the "
                      f"server; uploading {len(missing)} ({total:,} bytes)")
        sent = 0
        for number, sha256 in enumerate(missing, start=1):
            name, size = by_hash[sha256]
            path = bundle / name
            if not path.is_file() or path.stat().st_size != size:
                raise PublishError(f"{name}: missing or changed since the build; rebuild")
            with path.open("rb") as handle:
                self.call(f"uploading {name}", "PUT", f"/content/files/{sha256}", data=handle,
                          headers={"Content-Type": "application/octet-stream",
                                   "Content-Length": str(size)})
            sent += size
            percent = 100 * sent // total if total else 100
            self.progress(f"[{number}/{len(missing)}] {name} ({size:,} bytes) — {percent}%")
        return len(missing), sent


def publish(bundle: Path | str, server_url: str, username: str, password: str, *,
            progress: Callable[[str], None] = _stderr, timeout: float = 60) -> dict[str, Any]:
    """Upload a signed bundle's missing files and its manifest; return the server's record."""
    bundle = Path(bundle)
    try:
        data, signature, manifest = signed_bundle_manifest(bundle)
    except ValueError as exc:
        raise PublishError(str(exc)) from None
    publisher = Publisher(server_url, timeout, progress)
    publisher.sign_in(username, password)
    progress(f"signed in to {publisher.base} as {username}")
    publisher.upload_missing(bundle, manifest["files"])
    record: dict[str, Any] = publisher.call(
        "publishing the manifest", "POST", "/content/bundles",
        json={"manifest": data.decode("utf-8"), "signature": signature}).json()
    where = f"hall {record['hall']}" if record.get("hall") else "the province"
    progress(f"published {record['version']} on channel {record['channel']} for {where}")
    return record
