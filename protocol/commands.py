"""The commands IT sends a terminal, and the alerts a heartbeat report raises; checked alike
on both sides (the messages themselves are in protocol.terminal)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
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
