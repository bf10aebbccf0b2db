"""One config schema for server and terminal: defaults, scopes, validation, commands."""

from __future__ import annotations

import pytest

from kiosk.config import hash_pin
from protocol.config import (
    ConfigSchemaError,
    TerminalSettings,
    config_version,
    deep_merge,
    effective_settings,
    parse_settings,
    validate_command,
    validate_overrides,
)


def test_defaults_are_valid_and_versioned() -> None:
    defaults = TerminalSettings()
    assert defaults.heartbeat_interval == 30 and defaults.printer.kind == "null"
    assert config_version(defaults) == config_version(parse_settings(defaults.model_dump()))
    assert config_version(defaults) != config_version(
        effective_settings([{"speech": {"rate": 120}}], "query"))


def test_scopes_merge_hall_then_profile_then_terminal() -> None:
    hall = {"speech": {"rate": 150, "voice_zh": "zh"}, "languages": ["zh_CN"],
            "opening_hours": {"mon": ["09:00-12:00", "13:30-17:00"]}}
    profile = {"speech": {"rate": 180}, "opening_hours": {"tue": ["09:00-17:00"]}}
    terminal = {"printer": {"kind": "usb", "address": "0416:5011"}}
    merged = effective_settings([hall, profile, terminal], "robot")
    assert merged.profile == "robot" and merged.speech.rate == 180
    assert merged.speech.voice_zh == "zh" and merged.languages == ["zh_CN"]
    assert merged.opening_hours == {"tue": ["09:00-17:00"]}  # a table of hours is replaced whole
    assert merged.printer.address == "0416:5011"
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"printer": {"kind": "network"}}, "printer: Value error, a network printer needs"),
    ({"printer": {"kind": "laser", "address": "x"}}, "printer.kind"),
    ({"speech": {"rate": "fast"}}, "speech.rate: Input should be a valid integer"),
    ({"idle": {"timeout": 5}}, "idle.timeout: Input should be greater than or equal to 10"),
    ({"languages": []}, "languages"),
    ({"languages": ["zh_CN", "zh_CN"]}, "each language only once"),
    ({"opening_hours": {"mon": ["17:00-09:00"]}}, "must end after it starts"),
    ({"opening_hours": {"monday": ["09:00-17:00"]}}, "opening_hours.monday"),
    ({"admin_pin_hash": "1234"}, "admin_pin_hash"),
    ({"heartbeat_interval": "30"}, "heartbeat_interval"),
    ({"content_channel": "Stable!"}, "content_channel"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ({"profile": "robot"}, "profile: chosen when the terminal is accepted"),
    (["not", "a", "table"], "must be a table"),
])
def test_bad_overrides_are_refused_with_the_field(overrides: object, message: str) -> None:
    with pytest.raises(ConfigSchemaError, match=message.replace("(", r"\(")):
        validate_overrides(overrides)


def test_admin_pin_hash_from_the_terminal_tool_is_accepted() -> None:
    overrides = {"admin_pin_hash": hash_pin("2468")}
    assert validate_overrides(overrides) is overrides


def test_commands_are_checked_per_kind() -> None:
    assert validate_command("show_message", {"text": "今日闭馆"}) == {"text": "今日闭馆",
                                                                     "seconds": 30}
    assert validate_command("restart_app", None) == {}
    for kind, payload, message in [("format_disk", {}, "unknown command"),
                                   ("show_message", {"text": ""}, "text"),
                                   ("set_log_level", {"level": "LOUD"}, "level"),
                                   ("test_print", {"copies": 2}, "copies")]:
        with pytest.raises(ConfigSchemaError, match=message):
            validate_command(kind, payload)
