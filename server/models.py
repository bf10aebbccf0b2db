"""Server database models (SQLAlchemy 2.0, typed), migrated with Alembic."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A time read back from the database as aware UTC (SQLite returns naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the server database."""

    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JSON,
                           list[str]: JSON}


class Region(Base):
    """A city, county or township that halls belong to."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))


class Hall(Base):
    """A public legal service centre, station or village room with terminals."""

    __tablename__ = "hall"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    level: Mapped[str] = mapped_column(String(20), default="county")
    overlay: Mapped[dict[str, Any]] = mapped_column(default=dict)
    windows: Mapped[list[Window]] = relationship(back_populates="hall", order_by="Window.number")
    services: Mapped[list[Service]] = relationship(back_populates="hall", order_by="Service.code")


class Window(Base):
    """A service window of a hall (窗口)."""

    __tablename__ = "window"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), default="closed")  # open, paused, closed
    pause_reason: Mapped[str] = mapped_column(String(100), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    hall: Mapped[Hall] = relationship(back_populates="windows")
    services: Mapped[list[Service]] = relationship(secondary="window_service",
                                                   order_by="Service.code")


class Service(Base):
    """A service a hall offers at its windows (法律援助, 公证 ...)."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(4))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    daily_cap: Mapped[int] = mapped_column(Integer, default=300)
    # Per weekday ("mon" ...) a list of "HH:MM-HH:MM"; empty means always open.
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target_wait: Mapped[int] = mapped_column(Integer, default=30)  # minutes
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    hall: Mapped[Hall] = relationship(back_populates="services")


class WindowService(Base):
    """Which services a window handles."""

    __tablename__ = "window_service"
    # The windows of a service (every ticket issued reads them): found by service, not by
    # reading every hall's windows.
    __table_args__ = (Index("ix_window_service_service", "service_id", "window_id"),)
    window_id: Mapped[int] = mapped_column(ForeignKey("window.id", ondelete="CASCADE"),
                                           primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True)


class User(Base):
    """A person who signs in to the web console."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # staff, supervisor, it_admin, editor
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Shown to visitors on the window's rating pad (公示): real name and staff number.
    full_name: Mapped[str] = mapped_column(String(40), default="")
    staff_no: Mapped[str] = mapped_column(String(20), default="")
    photo_sha256: Mapped[str | None] = mapped_column(String(64))  # in media storage; optional
    # Carried in every session cookie; bumping it (sign-out, new password, new role) ends
    # every session the user has, on every server process.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Bundle(Base):
    """A published content version: its signed manifest (province-wide or for one hall)."""

    __tablename__ = "bundle"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(40), default="stable", index=True)
    manifest: Mapped[str] = mapped_column(Text)  # the exact signed bytes, as text
    signature: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class MediaBlob(Base):
    """A stored file, addressed by its sha256."""

    __tablename__ = "media_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)


class EnrolmentToken(Base):
    """A one-time, expiring token that enrols a terminal into a hall and profile."""

    __tablename__ = "enrolment_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    profile: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("terminal.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Terminal(Base):
    """A terminal known to the server by its public key."""

    __tablename__ = "terminal"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the public key
    public_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending/accepted/rejected/revoked
    identity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    profile: Mapped[str] = mapped_column(String(20), default="query")
    name: Mapped[str] = mapped_column(String(100), default="")
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    health: Mapped[dict[str, Any]] = mapped_column(default=dict)
    screenshot: Mapped[bytes | None] = mapped_column(deferred=True)  # up to 5 MB: load on use


class SeenNonce(Base):
    """Nonces of signed requests, kept while their timestamps are valid (replay guard)."""

    __tablename__ = "seen_nonce"
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"),
                                             primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Command(Base):
    """A remote command for a terminal, with an expiry and an acknowledgement."""

    __tablename__ = "command"
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    acked_at: Mapped[dt.datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ConfigProfile(Base):
    """Terminal settings for a hall, a profile within a hall, or one terminal (versioned)."""

    __tablename__ = "config_profile"
    __table_args__ = (UniqueConstraint("scope", "hall_id", "profile", "terminal_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # hall, profile, terminal
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    profile: Mapped[str | None] = mapped_column(String(20))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminal.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A problem a terminal reported or the server noticed (offline, printer, disk, sync)."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[dt.datetime | None]


class OutboxReceipt(Base):
    """An item a terminal delivered from its outbox, kept so a retry is never applied twice."""

    __tablename__ = "outbox_receipt"
    idempotency_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the terminal queued it (bounded against clock skew): usage is counted by it.
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed sign-in, counted by every server process on this database for a window."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_key", "username_key", "failed_at"),
                      Index("ix_login_failure_client", "client", "failed_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the casefolded name: a password typed into the name field is not kept.
    username_key: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))  # the client's address; "" when unknown
    failed_at: Mapped[dt.datetime] = mapped_column(index=True)


class RateHit(Base):
    """One anonymous write (a complaint, a comment, an enrolment request ...) counted against
    a limit for a window; every server process on this database counts the same rows."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket", "bucket", "hit_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # What is limited and for whom: "complaint:address:10.0.0.7", "complaint:hall:XA01".
    bucket: Mapped[str] = mapped_column(String(120))
    hit_at: Mapped[dt.datetime] = mapped_column(index=True)
