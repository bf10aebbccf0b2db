"""One config model for server and terminal: pushed overlays, scopes, validation, commands."""

from __future__ import annotations

import pytest

from kiosk.config import hash_pin
from protocol.commands import validate_command
from protocol.config import (
    ConfigSchemaError,
    TerminalConfig,
    config_version,
    effective_settings,
    merge,
    overlay,
    parse_pushed,
    pushed_keys,
    upgrade_legacy,
    validate_overrides,
)


def test_defaults_are_valid_and_versioned() -> None:
    defaults = parse_pushed({})
    assert defaults.terminal.heartbeat_interval == 30 and defaults.printer.kind == "null"
    assert overlay(defaults) == {}
    assert config_version(defaults) == config_version(parse_pushed(overlay(defaults)))
    assert config_version(defaults) != config_version(
        effective_settings([{"speech": {"rate": 120}}], "query"))


def test_scopes_merge_hall_then_profile_then_terminal() -> None:
    hall = {"speech": {"rate": 150, "voice_zh": "zh"}, "service": {"languages": ["zh_CN"],
            "opening_hours": {"mon": ["09:00-12:00", "13:30-17:00"]}}}
    profile = {"speech": {"rate": 180}, "service": {"opening_hours": {"tue": ["09:00-17:00"]}}}
    terminal = {"printer": {"kind": "usb", "address": "0416:5011"}}
    merged = effective_settings([hall, profile, terminal], "robot")
    assert merged.profile == "robot" and merged.speech.rate == 180
    assert merged.speech.voice_zh == "zh" and merged.service.languages == ["zh_CN"]
    # a table of hours is replaced whole
    assert merged.service.opening_hours == {"tue": ["09:00-17:00"]}
    assert merged.printer.address == "0416:5011"
    assert overlay(merged) == {  # only what the scopes set travels
        "terminal": {"profile": "robot"}, "printer": {"kind": "usb", "address": "0416:5011"},
        "speech": {"rate": 180, "voice_zh": "zh"},
        "service": {"languages": ["zh_CN"], "opening_hours": {"tue": ["09:00-17:00"]}}}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"printer": {"kind": "network"}}, "[printer] a network printer needs an address"),
    ({"printer": {"kind": "laser", "address": "x"}}, "[printer] kind must be one of"),
    ({"speech": {"rate": "fast"}}, "[speech] rate must be a number, found 'fast'"),
    ({"idle": {"timeout": 5}}, "[idle] timeout must be at least 10"),
    ({"service": {"languages": []}}, "[service] languages needs at least 1"),
    ({"service": {"languages": ["zh_CN", "zh_CN"]}}, "each language only once"),
    ({"service": {"languages": ["en"]}}, "[terminal] language zh_CN is not one of"),
    ({"service": {"opening_hours": {"mon": ["17:00-09:00"]}}}, "must end after it starts"),
    ({"service": {"opening_hours": {"monday": ["09:00-17:00"]}}},
     "[service] opening_hours.monday"),
    ({"terminal": {"admin_pin_hash": "1234"}}, "[terminal] admin_pin_hash"),
    ({"terminal": {"admin_pin_hash": ""}}, "leave it out to keep the terminal's own PIN"),
    ({"terminal": {"heartbeat_interval": "30"}}, "[terminal] heartbeat_interval"),
    ({"terminal": {"content_channel": "Stable!"}}, "[terminal] content_channel"),
    ({"colour": "red"}, "[colour] cannot be pushed"),
    ({"display": {"announce_repeat": 2}}, "[display] cannot be pushed"),
    ({"terminal": {"data_dir": "/tmp"}}, "[terminal] data_dir: set in the terminal's own file"),
    ({"printer": {"directory": "/tmp"}}, "[printer] directory: set in the terminal's own file"),
    ({"terminal": {"profile": "robot"}}, "profile: chosen when the terminal is accepted"),
    (["not", "a", "table"], "must be a table"),
])
def test_bad_overrides_are_refused_with_the_field(overrides: object, message: str) -> None:
    with pytest.raises(ConfigSchemaError) as caught:
        validate_overrides(overrides)
    assert message in str(caught.value)


def test_pushed_fields_are_declared_once_on_the_model() -> None:
    keys = pushed_keys()
    assert keys["service"] == {"languages", "opening_hours"}
    assert keys["printer"] == {"kind", "address", "a4_queue"}
    assert "data_dir" not in keys["terminal"] and "display" not in keys


def test_admin_pin_hash_from_the_terminal_tool_is_accepted() -> None:
    overrides = {"terminal": {"admin_pin_hash": hash_pin("2468")}}
    assert validate_overrides(overrides) is overrides


def test_merge_order_is_file_then_pushed_and_validated_over_the_file() -> None:
    local = merge(TerminalConfig(), {"idle": {"timeout": 90}, "speech": {"wav_dir": "/w"},
                                     "printer": {"kind": "network", "address": "10.0.0.9:9100"}})
    pushed = parse_pushed({"idle": {"timeout": 45}, "service": {"languages": ["zh_CN"]}})
    merged = merge(local, pushed)
    assert merged.idle.timeout == 45 and merged.service.languages == ["zh_CN"]
    assert merged.speech.wav_dir == "/w" and merged.printer.kind == "network"  # kept
    assert merged.idle.countdown == 15  # what IT did not set stays the terminal's
    # valid over the defaults, not over this terminal's file: refused whole
    clash = parse_pushed({"printer": {"address": ""}})
    with pytest.raises(ConfigSchemaError, match="a network printer needs an address"):
        merge(local, clash)


def test_scopes_stored_before_the_sections_are_upgraded() -> None:
    legacy = {"admin_pin_hash": "", "languages": ["zh_CN"], "content_channel": "pilot",
              "opening_hours": {"mon": ["09:00-17:00"]}, "heartbeat_interval": 60,
              "speech": {"rate": 150}}
    assert upgrade_legacy(legacy) == {
        "terminal": {"admin_pin_hash": "", "content_channel": "pilot",
                     "heartbeat_interval": 60},
        "service": {"languages": ["zh_CN"], "opening_hours": {"mon": ["09:00-17:00"]}},
        "speech": {"rate": 150}}
    upgraded = {"speech": {"rate": 150}, "service": {"languages": ["en", "zh_CN"]}}
    assert upgrade_legacy(upgraded) == upgraded


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
