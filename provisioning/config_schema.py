"""Schemas shared by server and terminal: pushed config, remote commands, terminal messages.

Config lives in three scopes that merge in order (hall, profile within the hall,
terminal); each stores only what it overrides, and the merged result is validated
against :class:`TerminalSettings`, by the server before storing and by the terminal
before applying. The bodies a terminal sends are in protocol/terminal.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from protocol.enums import Profile

SCHEMA_VERSION = 1
PROFILES = tuple(Profile)
Language = Literal["zh_CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh_CN", "en")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SCOPES = ("hall", "profile", "terminal")
LOW_DISK_BYTES = 500 * 1024 * 1024
TimeRange = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]


class ConfigSchemaError(ValueError):
    """Settings or a command that do not fit the schema; the message names each field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PrinterConnection(_Strict):
    """How the ticket printer is reached."""

    kind: Literal["usb", "network", "serial", "file", "null"] = "null"
    address: str = Field("", max_length=200, description="usb VID:PID, host:port, "
                         "serial device, or file path; empty for null")

    @model_validator(mode="after")
    def _address_given(self) -> PrinterConnection:
        if self.kind != "null" and not self.address.strip():
            raise ValueError(f"a {self.kind} printer needs an address")
        return self


class SpeechSettings(_Strict):
    """Voices and speaking rate."""

    voice_zh: str = Field("cmn", min_length=1, max_length=60)
    voice_en: str = Field("en", min_length=1, max_length=60)
    rate: int = Field(170, ge=80, le=400, description="words per minute")


class IdleSettings(_Strict):
    """Seconds without a touch before the terminal returns to its attract loop."""

    timeout: int = Field(60, ge=10, le=3600)
    elder_timeout: int = Field(150, ge=10, le=3600)
    countdown: int = Field(15, ge=1, le=120)


class TerminalSettings(_Strict):
    """Everything a terminal's config can hold, with defaults."""

    profile: Profile = Field(Profile.QUERY, strict=False)  # a str from TOML or JSON is fine
    printer: PrinterConnection = PrinterConnection()
    speech: SpeechSettings = SpeechSettings()
    idle: IdleSettings = IdleSettings()
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    opening_hours: dict[Weekday, list[TimeRange]] = Field(
        default_factory=dict, description="per weekday, e.g. {'mon': ['09:00-12:00']}; "
        "an absent day is closed, no entries at all means always open")
    admin_pin_hash: str = Field("", pattern=r"^$|^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}$")
    content_channel: str = Field("stable", pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    heartbeat_interval: int = Field(30, ge=10, le=3600, description="seconds")

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each language only once")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _ranges_in_order(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            for time_range in ranges:
                start, end = time_range.split("-")
                if start >= end:
                    raise ValueError(f"{day} {time_range}: the range must end after it starts")
        return value


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
                     for error in exc.errors())


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """base with override's keys replacing its own; nested tables merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "opening_hours":
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate_overrides(overrides: Any) -> dict[str, Any]:
    """Check one scope's overrides (a partial settings table); return them unchanged."""
    if not isinstance(overrides, dict):
        raise ConfigSchemaError("settings must be a table (JSON object)")
    if "profile" in overrides:
        raise ConfigSchemaError("profile: chosen when the terminal is accepted (enrolment token "
                                "or fleet console), not in a config scope")
    try:
        TerminalSettings.model_validate(deep_merge(TerminalSettings().model_dump(), overrides))
    except ValidationError as exc:
        raise ConfigSchemaError(_describe(exc)) from None
    return overrides


def effective_settings(layers: list[dict[str, Any]], profile: str) -> TerminalSettings:
    """The merged settings of the scopes (hall, profile, terminal order) for a profile."""
    merged: dict[str, Any] = TerminalSettings().model_dump()
    for layer in layers:
        merged = deep_merge(merged, layer)
    merged["profile"] = profile
    try:
        return TerminalSettings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigSchemaError(_describe(exc)) from None


def parse_settings(data: Any) -> TerminalSettings:
    """Validate complete settings as received by a terminal."""
    try:
        return TerminalSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigSchemaError(_describe(exc)) from None


def config_version(settings: TerminalSettings) -> str:
    """A short version that changes exactly when the effective settings change."""
    canonical = json.dumps({"schema": SCHEMA_VERSION, **settings.model_dump()}, sort_keys=True,
                           separators=(",", ":"))
    return f"{SCHEMA_VERSION}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


class ShowMessage(_Strict):
    """Payload of show_message."""

    text: str = Field(min_length=1, max_length=500)
    seconds: int = Field(30, ge=1, le=3600)


class SetLogLevel(_Strict):
    """Payload of set_log_level."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class NoPayload(_Strict):
    """Commands that take no arguments."""


PAYLOADS: dict[str, type[_Strict]] = {
    "reload_content": NoPayload, "restart_app": NoPayload, "test_print": NoPayload,
    "screenshot": NoPayload, "show_message": ShowMessage, "set_log_level": SetLogLevel}
COMMAND_KINDS = tuple(PAYLOADS)


def validate_command(kind: str, payload: Any) -> dict[str, Any]:
    """A command's payload, checked for its kind (defaults filled in)."""
    if kind not in PAYLOADS:
        raise ConfigSchemaError(f"unknown command {kind!r}; known: {', '.join(COMMAND_KINDS)}")
    try:
        return PAYLOADS[kind].model_validate(payload or {}).model_dump()
    except ValidationError as exc:
        raise ConfigSchemaError(f"{kind}: {_describe(exc)}") from None


def report_alerts(report: dict[str, Any]) -> dict[str, str]:
    """The alerts a heartbeat report calls for (printer fault, low disk, failed sync)."""
    alerts: dict[str, str] = {}
    printer = report.get("printer") or {}
    if printer.get("state") in ("offline", "error"):
        reason = str(printer.get("message") or "no details").replace("\x00", "")  # text column
        alerts["printer"] = f"printer {printer['state']}: {reason}"
    disk_free = report.get("disk_free")
    if isinstance(disk_free, int) and disk_free < LOW_DISK_BYTES:
        alerts["disk"] = f"low disk: {disk_free // (1024 * 1024)} MB free"
    last_error = str(report.get("last_error") or "")
    if "sync" in last_error.lower():
        alerts["sync"] = last_error[:500].replace("\x00", "")
    return alerts
