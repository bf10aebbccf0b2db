"""A terminal's own messages: enrolment, heartbeat, commands and their acknowledgement,
the outbox batch, and the server's replies to each."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Annotated, Any

from pydantic import (
    UUID4,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from protocol.enums import DeviceState, EnrolmentStatus
from protocol.queue import Reply
from protocol.text import DropsNul, RefusesNul

MAX_OUTBOX_BATCH = 500


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


class EnrolmentRequest(_Message, RefusesNul):
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


class EnrolmentView(Reply):
    """POST /api/v1/enrol and GET /api/v1/enrolment: the enrolment as the server sees it."""

    device_id: str
    status: EnrolmentStatus
    hall: str | None
    profile: str | None
    content_public_key: str | None


class DeviceReport(_Message):
    """A device's state in a heartbeat."""

    state: DeviceState
    message: StrictStr = Field("", max_length=300)


class HeartbeatReport(_Message, DropsNul):
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


class ConfigReply(Reply):
    """The effective config; settings only when the terminal's version differs."""

    version: str
    settings: dict[str, Any] | None


class CommandOut(Reply):
    """A command for the terminal to run (kind and payload as the config schema checks)."""

    id: int
    kind: str
    payload: dict[str, Any]
    expires_at: dt.datetime


class HeartbeatReply(Reply):
    """The reply to a heartbeat: config, commands and the interval until the next one."""

    config: ConfigReply
    commands: list[CommandOut]
    heartbeat_interval: int


class Acknowledgement(_Message, DropsNul):
    """POST /api/v1/commands/{id}/ack: a command's outcome."""

    ok: StrictBool
    result: StorableJson = Field(default_factory=dict)


class AckReply(Reply):
    """The recorded acknowledgement; duplicate when it had been acknowledged before."""

    id: int
    acked_at: dt.datetime
    duplicate: bool


class OutboxItem(_Message, DropsNul):
    """One item of a terminal's outbox; created_at is when the terminal queued it."""

    key: UUID4
    kind: StrictStr = Field(pattern=r"^[a-z][a-z0-9_.-]{0,29}$")
    payload: StorableJson
    created_at: dt.datetime


class OutboxBatch(_Message):
    """POST /api/v1/outbox: up to 500 items."""

    items: list[OutboxItem] = Field(min_length=1, max_length=MAX_OUTBOX_BATCH)


class OutboxReply(Reply):
    """Which keys were stored now and which had been stored before."""

    accepted: list[str]
    duplicates: list[str]


class ScreenshotReply(Reply):
    """POST /api/v1/terminals/screenshot: the size stored."""

    size: int
