"""The terminal's one config model: every setting once, with its default and meaning.

A terminal reads :class:`TerminalConfig` from its TOML file (:mod:`kiosk.config`).
IT may push the settings declared with ``pushed=True`` from the fleet console: the
server keeps them in three scopes (hall, profile within the hall, terminal), each a
partial overlay of this model holding only what it sets. The server lays the scopes
over each other in that order (:func:`effective_settings`) and validates them with
this model before storing and before sending; the terminal lays what it receives
over its own config with :func:`merge`, validated by the same model before applying.
A pushed config is a :class:`TerminalConfig` whose set fields are the overlay.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.fields import FieldInfo

from protocol.config_sections import LANGUAGES as LANGUAGES
from protocol.config_sections import PROFILES as PROFILES
from protocol.config_sections import (
    DisplaySection,
    IdleSection,
    ListeningSection,
    PrinterSection,
    RaterSection,
    ServiceSection,
    SpeechSection,
    TerminalSection,
)

SCHEMA_VERSION = 2
SCOPES = ("hall", "profile", "terminal")
Overlay = dict[str, dict[str, Any]]


class ConfigSchemaError(ValueError):
    """Settings that do not fit the model; the message names the section and key of each."""


class TerminalConfig(BaseModel):
    """The validated configuration of one terminal: one model per section."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    terminal: TerminalSection = TerminalSection()
    idle: IdleSection = IdleSection()
    speech: SpeechSection = SpeechSection()
    listening: ListeningSection = ListeningSection()
    printer: PrinterSection = PrinterSection()
    display: DisplaySection = DisplaySection()
    rater: RaterSection = RaterSection()
    service: ServiceSection = ServiceSection()

    @model_validator(mode="after")
    def _language_offered(self) -> TerminalConfig:
        if self.terminal.language not in self.service.languages:
            raise ValueError(f"[terminal] language {self.terminal.language} is not one of "
                             f"[service] languages ({', '.join(self.service.languages)})")
        return self

    @property
    def profile(self) -> str:
        """The terminal profile."""
        return self.terminal.profile

    @property
    def data_dir(self) -> Path:
        """Folder for the store, logs and fonts."""
        return Path(self.terminal.data_dir).expanduser()

    @property
    def reads_aloud(self) -> bool:
        """Whether every screen is read aloud on entering it."""
        return self.profile == "robot" or self.speech.read_aloud


SECTIONS: dict[str, type[BaseModel]] = {
    name: field.annotation for name, field in TerminalConfig.model_fields.items()  # type: ignore[misc]
}


@dataclass(frozen=True)
class Setting:
    """One documented setting: section, key, default, meaning and whether IT may push it."""

    section: str
    key: str
    default: Any
    help: str
    pushed: bool


def _is_pushed(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("pushed") is True


def settings_table() -> list[Setting]:
    """Every setting of the model in declaration order (the README table is checked on it)."""
    return [Setting(section, key, field.get_default(call_default_factory=True),
                    field.description or "", _is_pushed(field))
            for section, model in SECTIONS.items()
            for key, field in model.model_fields.items()]


def pushed_keys() -> dict[str, set[str]]:
    """Per section, the keys IT may push."""
    keys: dict[str, set[str]] = {}
    for setting in settings_table():
        if setting.pushed:
            keys.setdefault(setting.section, set()).add(setting.key)
    return keys


_REASONS = {"int_type": "must be int", "float_type": "must be a number",
            "bool_type": "must be bool", "string_type": "must be str",
            "list_type": "must be a list", "dict_type": "must be a table",
            "model_type": "must be a table", "model_attributes_type": "must be a table",
            "extra_forbidden": "is an unknown setting"}


def _reason(error: Any) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind in _REASONS:
        reason = _REASONS[kind]
    elif kind == "literal_error":
        reason = f"must be one of {context.get('expected', '')}".replace("'", "")
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "more than", "less_than": "less than"}[kind]
        bound = next(iter(context.values()), "")
        reason = f"must be {words} {bound:g}" if isinstance(bound, int | float) \
            else f"must be {words} {bound}"
    elif kind == "string_pattern_mismatch":
        reason = "is not in the expected form"
    elif kind == "too_short":
        reason = f"needs at least {context.get('min_length')} item(s)"
    elif kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    else:
        reason = str(error["msg"])[:1].lower() + str(error["msg"])[1:]
    if kind not in ("extra_forbidden", "missing"):
        reason += f", found {error['input']!r}"
    return reason


def describe(exc: ValidationError) -> str:
    """A validation failure as '[section] key reason' phrases, one per problem."""
    phrases = []
    for error in exc.errors():
        location = [str(part) for part in error["loc"] if part != "[key]"]
        where = f"[{location[0]}]" if location else ""
        if len(location) > 1:
            where += " " + ".".join(location[1:])
        separator = ": " if error["type"] == "value_error" and len(location) > 1 else " "
        phrases.append(separator.join(filter(None, [where, _reason(error)])))
    return "; ".join(phrases)


def parse_config(data: Any) -> TerminalConfig:
    """A complete config from a mapping (a TOML file's tables); ConfigSchemaError if wrong."""
    if not isinstance(data, dict):
        raise ConfigSchemaError("settings must be a table")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigSchemaError(f"unknown section(s): {', '.join(unknown)}")
    for name, given in data.items():
        if not isinstance(given, dict):
            raise ConfigSchemaError(f"[{name}] must be a table")
        extra = sorted(set(given) - set(SECTIONS[name].model_fields))
        if extra:
            raise ConfigSchemaError(f"[{name}] unknown setting(s): {', '.join(extra)}")
    try:
        return TerminalConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigSchemaError(describe(exc)) from None


def parse_pushed(data: Any) -> TerminalConfig:
    """Pushed settings: only keys IT may push, valid over the defaults; the overlay is kept
    as the config's set fields (see :func:`overlay`)."""
    if not isinstance(data, dict):
        raise ConfigSchemaError("settings must be a table (JSON object)")
    allowed = pushed_keys()
    for name, given in data.items():
        if name not in allowed:
            raise ConfigSchemaError(f"[{name}] cannot be pushed; sections IT may push: "
                                    f"{', '.join(sorted(allowed))}")
        if isinstance(given, dict):
            local = sorted(set(given) - allowed[name])
            if local:
                raise ConfigSchemaError(f"[{name}] {', '.join(local)}: set in the terminal's "
                                        f"own file, IT cannot push it")
    return parse_config(data)


def overlay(pushed: TerminalConfig) -> Overlay:
    """What a pushed config sets, section by section."""
    return pushed.model_dump(exclude_unset=True)


def merge(config: TerminalConfig, over: Overlay | TerminalConfig) -> TerminalConfig:
    """config with over's settings laid over it (a pushed config, or a partial table);
    values replace values whole (a table of opening hours too); validated."""
    layer = overlay(over) if isinstance(over, TerminalConfig) else over
    merged: dict[str, Any] = config.model_dump()
    for section, values in layer.items():
        if not isinstance(values, dict) or section not in merged:
            raise ConfigSchemaError(f"[{section}] is not a section of the config")
        merged[section] = {**merged[section], **copy.deepcopy(values)}
    return parse_config(merged)


def validate_overrides(overrides: Any) -> dict[str, Any]:
    """Check one scope's overrides (a partial table of pushed settings); return them."""
    if not isinstance(overrides, dict):
        raise ConfigSchemaError("settings must be a table (JSON object)")
    terminal = overrides.get("terminal")
    if isinstance(terminal, dict) and "profile" in terminal:
        raise ConfigSchemaError("[terminal] profile: chosen when the terminal is accepted "
                                "(enrolment token or fleet console), not in a config scope")
    if isinstance(terminal, dict) and terminal.get("admin_pin_hash") == "":
        raise ConfigSchemaError("[terminal] admin_pin_hash: leave it out to keep the "
                                "terminal's own PIN")
    parse_pushed(overrides)
    return overrides


def effective_settings(layers: list[dict[str, Any]], profile: str) -> TerminalConfig:
    """The pushed config of the scopes (hall, profile, terminal order) for a profile."""
    merged: Overlay = {}
    for layer in [*layers, {"terminal": {"profile": profile}}]:
        for section, values in layer.items():
            merged[section] = {**merged.get(section, {}), **values} \
                if isinstance(values, dict) else values
    return parse_pushed(merged)


def config_version(pushed: TerminalConfig) -> str:
    """A short version that changes exactly when the pushed settings change."""
    canonical = json.dumps({"schema": SCHEMA_VERSION, **overlay(pushed)}, sort_keys=True,
                           separators=(",", ":"))
    return f"{SCHEMA_VERSION}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


_LEGACY = {"admin_pin_hash": "terminal", "heartbeat_interval": "terminal",
           "content_channel": "terminal",
           "languages": "service", "opening_hours": "service"}


def upgrade_legacy(overrides: dict[str, Any]) -> dict[str, Any]:
    """A scope stored before schema 2 (flat keys beside the sections) in today's shape."""
    upgraded: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in _LEGACY:
            upgraded.setdefault(_LEGACY[key], {})[key] = value
        else:
            upgraded[key] = {**upgraded.get(key, {}), **value} if isinstance(value, dict) \
                else value
    return upgraded



def markdown_table() -> str:
    """The README's configuration table, made from the model."""
    def cell(default: Any) -> str:
        if isinstance(default, bool):
            return f"`{str(default).lower()}`"
        if isinstance(default, int | float):
            return f"`{default}`"
        if isinstance(default, list | dict):
            return f"`{json.dumps(default)}`"
        return f'`"{default}"`'

    rows = ["| section | key | default | meaning | pushed |", "|---|---|---|---|---|"]
    rows += [f"| `{s.section}` | `{s.key}` | {cell(s.default)} | {s.help.replace('|', '/')} | "
             f"{'yes' if s.pushed else ''} |" for s in settings_table()]
    return "\n".join(rows)
