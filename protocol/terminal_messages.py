"""What a terminal sends (enrolment, heartbeat, acknowledgement, outbox) and the commands
IT sends back, with the checks both sides share."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import (
    UUID4,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from protocol.config import ConfigSchemaError

LOW_DISK_BYTES = 500 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'payload'}: {error['msg']}"
                     for error in exc.errors())


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


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    json.dumps(value, allow_nan=False)  # NaN and Infinity: valid Python, no JSON column takes
    return value


StorableJson = Annotated[dict[str, Any], AfterValidator(_storable)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentityFacts(_Message):
    """What a terminal says about its hardware."""

    hostname: StrictStr = Field(max_length=255)
    mac: StrictStr = Field("", pattern=r"^$|^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
    serial: StrictStr = Field("", max_length=100)


class EnrolmentRequest(_Message):
    """POST /api/v1/enrol, signed with the key it presents."""

    public_key: StrictStr = Field(description="base64 of the raw 32-byte Ed25519 public key")
    identity: IdentityFacts
    token: StrictStr | None = Field(None, max_length=64)

    @field_validator("public_key")
    @classmethod
    def _is_a_key(cls, value: str) -> str:
        try:
            if len(base64.b64decode(value, validate=True)) == 32:
                return value
        except binascii.Error:
            raise ValueError("not base64") from None
        raise ValueError("an Ed25519 public key is 32 bytes")


class DeviceReport(_Message):
    """A device's state in a heartbeat."""

    state: Literal["ok", "offline", "disabled", "error"]
    message: StrictStr = Field("", max_length=300)


class HeartbeatReport(_Message):
    """POST /api/v1/heartbeat: a terminal's health."""

    app_version: StrictStr = Field(max_length=40)
    content_version: StrictStr = Field(max_length=80)
    config_version: StrictStr = Field(max_length=40)
    uptime: StrictInt = Field(ge=0, description="seconds since the app started")
    screen: StrictStr = Field(max_length=60)
    printer: DeviceReport
    speech: DeviceReport
    disk_free: StrictInt = Field(ge=0, description="bytes free in the data folder")
    outbox_size: StrictInt = Field(ge=0)
    last_error: StrictStr = Field("", max_length=500)


class Acknowledgement(_Message):
    """POST /api/v1/commands/{id}/ack: a command's outcome."""

    ok: StrictBool
    result: StorableJson = Field(default_factory=dict)


class OutboxItem(_Message):
    """One item of a terminal's outbox."""

    key: UUID4
    kind: StrictStr = Field(pattern=r"^[a-z][a-z0-9_.-]{0,29}$")
    payload: StorableJson
    created_at: dt.datetime


class OutboxBatch(_Message):
    """POST /api/v1/outbox: up to 500 items."""

    items: list[OutboxItem] = Field(min_length=1, max_length=500)


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
