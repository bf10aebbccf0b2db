"""Server settings: one typed object, from a TOML file and HALLKIOSK_* environment variables.

Production mode refuses to start with the default secret or with cookies
that are not marked secure.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"


class SettingsError(Exception):
    """Settings that must not be used, with the reason."""


PLUGIN_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ExporterConfig(BaseModel):
    """One destination of the rating export (docs/export-format.md)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("province", pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
                      description="Stable name; the outbox keeps one row per rating and name.")
    kind: str = Field("http-json", description="`http-json`, or a plug-in class given as "
                      "`package.module:Class` (called with this config).")
    url: str = Field("", description="Where http-json POSTs each batch.")
    secret: str = Field("", description="Shared secret of the HMAC-SHA256 signature header.")
    origin: str = Field("hallkiosk", pattern=r"^[A-Za-z0-9_.-]{1,40}$",
                        description="Prefix of each rating's idempotency id.")
    batch_size: int = Field(50, ge=1, le=1000, description="Ratings per request at most.")
    timeout: float = Field(10.0, gt=0, le=120, description="Seconds to connect and to read.")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Anything else a plug-in needs.")
    cases: bool = Field(False, description="Also export call-back requests (cases of kind "
                        "callback) to this destination, e.g. a 12348 platform, which reports "
                        "each result back to /api/v1/cases/results.")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind != "http-json" and not PLUGIN_PATH.match(kind):
            raise ValueError("kind must be http-json or a plug-in path package.module:Class")
        return kind

    @model_validator(mode="after")
    def _http_needs_url_and_secret(self) -> ExporterConfig:
        if self.kind == "http-json":
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"exporter {self.name}: url must start with http:// or https://")
            if len(self.secret) < 16:
                raise ValueError(f"exporter {self.name}: secret needs 16 or more characters")
        return self


class ServerSettings(BaseSettings):
    """Every server setting, with its default and meaning."""

    model_config = SettingsConfigDict(env_prefix="HALLKIOSK_", extra="forbid")

    mode: Literal["development", "production"] = Field(
        "development", description="`production` refuses default secrets and insecure cookies.")
    database_url: str = Field(
        "sqlite:///var/server/hallkiosk.sqlite3",
        description="SQLAlchemy URL: SQLite for one hall or a demo, "
        "`postgresql+psycopg://...` for a province.")
    secret_key: str = Field(DEFAULT_SECRET, description="Signs session cookies and CSRF tokens.")
    storage_dir: Path = Field(Path("var/server/storage"),
                              description="Published bundles and media files (by sha256).")
    max_upload_bytes: int = Field(
        200_000_000, ge=1, description="Largest content upload accepted (a bundle zip on "
        "/content/upload, one file on PUT /api/v1/content/files/<sha256>).")
    content_public_key: Path | None = Field(
        None, description="Ed25519 public key file (`hallkiosk keygen` writes it as KEY.pub: "
        "base64 of the raw 32 bytes) that verifies uploaded bundles and is handed to terminals "
        "at enrolment; publishing is refused while it is not set.")
    max_json_bytes: int = Field(
        1_000_000, ge=1, description="Largest body of a terminal batch or report (outbox, "
        "heartbeat, command result), a bundle manifest, a hash list or a calendar import.")
    max_body_bytes: int = Field(
        65_536, ge=1024, description="Largest body of any other request (sign-in, public "
        "forms, the queue and rating APIs); more is refused with 413 before it is read.")
    max_form_fields: int = Field(
        50, ge=5, le=10_000, description="Most fields a submitted form may have.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (HTTPS only).")
    enrolment_token_hours: int = Field(72, description="Lifetime of an enrolment token.")
    signature_max_skew: int = Field(
        300, description="Seconds a terminal's signed request may differ from server time.")
    heartbeat_interval: int = Field(30, description="Seconds between terminal heartbeats.")
    max_streams: int = Field(
        20_000, ge=1, description="Live event streams (calling displays, rating pads, phone "
        "pages, consoles) one server process holds; more are refused with 503 and Retry-After "
        "and the clients retry later. Each takes a file descriptor: see LimitNOFILE in the "
        "systemd unit.")
    offline_after_missed: int = Field(3, description="Missed heartbeats before offline.")
    login_failures_allowed: int = Field(
        5, ge=1, le=1000, description="Failed sign-ins of one username within "
        "login_failure_window after which its sign-in is refused until the oldest expires.")
    login_failures_per_address: int = Field(
        20, ge=1, le=100_000, description="Failed sign-ins from one client address, whatever "
        "the usernames, within login_failure_window after which that address is refused "
        "(behind a proxy, the address it forwards when uvicorn trusts it).")
    login_failure_window: float = Field(
        60.0, gt=0, le=86400, description="Seconds a failed sign-in counts; every server "
        "process on the database counts the same failures.")
    anonymous_writes_per_address: int = Field(
        10, ge=1, le=100_000, description="Anonymous writes of one kind (complaints, rating "
        "comments, phone-page ratings, enrolment requests) from one client address within "
        "anonymous_write_window; more are refused with 429 until the oldest expires.")
    anonymous_writes_per_hall: int = Field(
        100, ge=1, le=1_000_000, description="Anonymous writes of one kind for one hall, "
        "whatever the addresses, within anonymous_write_window.")
    anonymous_write_window: float = Field(
        600.0, gt=0, le=86400, description="Seconds an anonymous write counts; every server "
        "process on the database counts the same writes.")
    pending_enrolments_allowed: int = Field(
        10, ge=1, le=10_000, description="Terminals waiting for IT to accept their enrolment "
        "request (no token); further requests are refused with 429 until IT decides some.")
    login_hash_workers: int = Field(
        0, ge=0, le=64, description="Passwords checked (argon2) at once by one server "
        "process; 0: one fewer than its cores, at least one. Sign-ins beyond wait their "
        "turn without holding a thread or a database connection.")
    login_queue_timeout: float = Field(
        10.0, gt=0, le=120, description="Seconds a sign-in waits for its password check "
        "before it is answered 503 (retry shortly).")
    follow_up_days: int = Field(
        5, ge=1, le=60, description="Working days to follow up a bad rating or a complaint "
        "(weekends and the holiday calendar skipped).")
    rating_reasons: Path | None = Field(
        None, description="YAML file of the rating reasons offered for each level, each with "
        "the offline indicator it speaks to (a province's own list); empty: the national "
        "defaults in server/ratings/rules.py.")
    rating_comment_minutes: int = Field(
        30, ge=1, le=1440, description="Minutes the QR code on a terminal's thank-you screen "
        "stays good for writing a comment to that rating; the export holds the rating until "
        "then (plus five minutes of clock difference).")
    exporters: list[ExporterConfig] = Field(
        default_factory=list, description="Where ratings are exported (provincial 好差评 "
        "system); none by default. See docs/export-format.md.")
    export_interval: float = Field(
        30.0, gt=0, le=3600, description="Seconds between passes of the export worker.")
    export_max_backoff: int = Field(
        3600, ge=30, le=86400, description="Longest wait in seconds before retrying a failed "
        "export (the wait doubles from 30 s after each failure).")

    @model_validator(mode="after")
    def _production_is_safe(self) -> ServerSettings:
        if self.mode == "production":
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise SettingsError("production mode needs secret_key: 32 or more random "
                                    "characters, not the default")
            if not self.secure_cookies:
                raise SettingsError("production mode needs secure_cookies = true (HTTPS)")
        names = [exporter.name for exporter in self.exporters]
        if len(set(names)) != len(names):
            raise SettingsError("exporters need different names")
        return self


class _FileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    server: dict[str, Any] = {}


def load_settings(path: Path | str | None = None, **overrides: Any) -> ServerSettings:
    """Settings from a TOML file's [server] table, the environment, then overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        values = _FileSettings.model_validate(data).server
    # Environment variables override the file; explicit overrides win over both.
    env = ServerSettings()
    merged = {**values, **{k: v for k, v in env.model_dump().items()
                           if k in env.model_fields_set}, **overrides}
    return ServerSettings(**merged)
