"""Terminal configuration: documented in README, strict when loaded, PINs hashed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import (
    PIN_ITERATIONS,
    SETTINGS,
    ConfigError,
    TerminalConfig,
    check_pin,
    hash_pin,
    load_config,
    merge,
)
from protocol.config import ConfigSchemaError

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE_HEADER = ("section", "key", "default", "meaning", "pushed")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def readme_settings() -> dict[tuple[str, str], tuple[str, str]]:
    """(section, key) -> (default cell, pushed cell) of README's configuration table.

    The table starts at a row whose first five cells are section | key | default | meaning |
    pushed (any case), is followed by a |---| separator row and ends at the first line that
    is not a table row. Backticks around section, key and default are ignored.
    """
    lines = README.read_text("utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("|")
              and tuple(c.lower() for c in _cells(line)[:5]) == TABLE_HEADER]
    assert len(starts) == 1, "README.md needs one table with columns section | key | default |" \
        " meaning | pushed"
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for line in lines[starts[0] + 2:]:
        if not line.lstrip().startswith("|"):
            break
        cells = [cell.strip("`") for cell in _cells(line)]
        assert len(cells) >= 5, f"short row in the configuration table: {line}"
        key = (cells[0], cells[1])
        assert key not in rows, f"setting listed twice: {key}"
        rows[key] = (cells[2], cells[4])
    return rows


def _default_spellings(default: object) -> set[str]:
    """How a default may be written in the table: as TOML, or bare for text."""
    if isinstance(default, bool):
        return {"true" if default else "false"}
    if isinstance(default, int | float):
        return {str(default)}
    if isinstance(default, list | dict):  # as TOML writes them: ["zh_CN", "en"], {}
        return {json.dumps(default)}
    text = str(default)
    return {f'"{text}"', text} if text else {'""', "", "(empty)", "empty"}


def test_readme_documents_every_setting():
    documented = readme_settings()
    missing = [f"[{s.section}] {s.key}" for s in SETTINGS if (s.section, s.key) not in documented]
    assert missing == []


def test_readme_lists_no_setting_that_does_not_exist():
    declared = {(s.section, s.key) for s in SETTINGS}
    assert sorted(set(readme_settings()) - declared) == []


def test_readme_defaults_match_the_code():
    documented = readme_settings()
    wrong = {f"[{s.section}] {s.key}": documented[(s.section, s.key)][0] for s in SETTINGS
             if (s.section, s.key) in documented
             and documented[(s.section, s.key)][0] not in _default_spellings(s.default)}
    assert wrong == {}


def test_readme_marks_exactly_the_settings_it_may_push():
    documented = readme_settings()
    wrong = [f"[{s.section}] {s.key}" for s in SETTINGS if (s.section, s.key) in documented
             and (documented[(s.section, s.key)][1] == "yes") != s.pushed]
    assert wrong == []


def test_every_setting_has_help_and_a_unique_name():
    names = [(s.section, s.key) for s in SETTINGS]
    assert len(names) == len(set(names))
    assert [n for s, n in zip(SETTINGS, names, strict=True) if len(s.help) < 10] == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(text, "utf-8")
    return path


def test_valid_file_overrides_defaults_and_keeps_the_rest(tmp_path):
    path = _write(tmp_path, """
[terminal]
profile = "robot"
orientation = "landscape"
data_dir = "/srv/kiosk"
content = "/srv/content"

[idle]
timeout = 90
countdown = 20

[speech]
backend = "null"
rate = 150.5
""")
    config = load_config(path)
    assert config.profile == "robot"
    assert config.terminal.orientation == "landscape"
    assert config.data_dir == Path("/srv/kiosk")
    assert config.terminal.content == "/srv/content"
    assert config.idle.model_dump() == {"timeout": 90, "elder_timeout": 150, "countdown": 20,
                                         "elder_countdown": 30}
    assert config.speech.backend == "null" and config.speech.rate == 150.5
    assert config.terminal.language == "zh_CN" and config.terminal.fullscreen is True
    assert config.reads_aloud  # the robot profile always reads aloud


def test_no_file_means_every_default():
    config = load_config(None)
    for setting in SETTINGS:
        assert getattr(getattr(config, setting.section), setting.key) == setting.default
    assert config == TerminalConfig()


def test_empty_file_means_every_default(tmp_path):
    assert load_config(_write(tmp_path, "")) == TerminalConfig()


@pytest.mark.parametrize(("text", "fragments"), [
    ("[scanner]\nmodel = 'x'\n", ["unknown section", "scanner"]),
    ("[printer]\nmodel = 'x'\n", ["unknown setting", "model"]),
    ("[printer]\nkind = 'network'\n", ["needs an address"]),
    ("[printer]\nkind = 'simulated'\n", ["needs a directory"]),
    ("[printer]\npaper_width = 76\n", ["58 or 80"]),
    ("[printer]\nkind = 'laser'\n", ["[printer] kind must be one of", "'laser'"]),
    ("[terminal]\nprofle = 'query'\n", ["unknown setting", "profle"]),
    ("[idle]\ntimeout = 'sixty'\n", ["[idle] timeout", "must be a number", "'sixty'"]),
    ("[terminal]\nfullscreen = 1\n", ["[terminal] fullscreen", "must be bool"]),
    ("[speech]\nrate = true\n", ["[speech] rate", "must be a number"]),
    ("[rater]\nwindow = 1.5\n", ["[rater] window", "must be int"]),
    ("[terminal]\nprofile = 'kiosk'\n", ["profile must be one of", "query", "robot"]),
    ("[terminal]\norientation = 'square'\n", ["orientation must be one of"]),
    ("[terminal]\nlanguage = 'fr'\n", ["language must be one of"]),
    ("[idle]\ntimeout = 5\n", ["[idle] timeout must be at least 10"]),
    ("[idle]\ncountdown = 0\n", ["[idle] countdown must be more than 0"]),
    ("[idle]\ncountdown = 121\n", ["[idle] countdown must be at most 120"]),
    ("[service]\nlanguages = []\n", ["[service] languages needs at least 1"]),
    ("[service]\nlanguages = ['en']\n", ["[terminal] language zh_CN is not one of",
                                          "[service] languages (en)"]),
    ("[service]\nopening_hours = { monday = ['09:00-17:00'] }\n",
     ["[service] opening_hours.monday must be one of mon"]),
    ("[service]\nopening_hours = { mon = ['17:00-09:00'] }\n",
     ["[service] opening_hours: mon: '17:00-09:00' must end after it starts"]),
    ("[service]\nopening_hours = { mon = ['9-17'] }\n",
     ["'9-17' is not a time range like 09:00-17:00"]),
    ("[speech]\nbackend = 'festival'\n", ["pyttsx3 or null"]),
    ("terminal = 'query'\n", ["[terminal] must be a table"]),
    ("[terminal\nprofile = 'query'\n", ["terminal.toml"]),
])
def test_bad_files_raise_config_error_naming_the_problem(tmp_path, text, fragments):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


def test_overrides_are_validated():
    config = merge(TerminalConfig(), {"terminal": {"orientation": "landscape"}})
    assert config.terminal.orientation == "landscape"
    with pytest.raises(ConfigSchemaError, match="orientation"):
        merge(TerminalConfig(), {"terminal": {"orientation": "upside-down"}})


def test_opening_hours_and_languages_read_from_the_file(tmp_path):
    config = load_config(_write(tmp_path, """
[terminal]
language = "en"

[service]
languages = ["en"]
opening_hours = { mon = ["09:00-12:00", "13:30-17:00"], sat = ["09:00-12:00"] }
"""))
    assert config.service.languages == ["en"] and config.terminal.language == "en"
    assert config.service.opening_hours == {"mon": ["09:00-12:00", "13:30-17:00"],
                                            "sat": ["09:00-12:00"]}


def test_every_setting_is_typed_attribute_access():
    config = TerminalConfig()
    for setting in SETTINGS:
        section = getattr(config, setting.section)
        assert not isinstance(section, dict) and hasattr(section, setting.key)


def test_pin_hash_round_trip_and_wrong_pin():
    stored = hash_pin("482913")
    assert stored.startswith(f"pbkdf2_sha256${PIN_ITERATIONS}$")
    assert check_pin("482913", stored)
    assert not check_pin("482914", stored)
    assert not check_pin("", stored)


def test_pin_hashes_are_salted():
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second
    assert check_pin("1234", first) and check_pin("1234", second)
    assert hash_pin("1234", salt=b"0123456789abcdef") == hash_pin("1234", salt=b"0123456789abcdef")


@pytest.mark.parametrize("stored", [
    "", "not a hash", "md5$1$00$00", "pbkdf2_sha256$1$zz",
    # Hand-edited admin_pin_hash values: a bad number or hex must mean "no match", not a crash.
    "pbkdf2_sha256$many$00$00", "pbkdf2_sha256$1$zz$00", "pbkdf2_sha256$0$00$00",
])
def test_malformed_stored_hash_never_matches(stored):
    assert check_pin("1234", stored) is False


def test_readme_table_is_the_one_the_model_makes():
    from protocol.config import markdown_table

    assert markdown_table() in README.read_text("utf-8")


def test_the_a4_printer_comes_from_the_printer_section() -> None:
    from kiosk.services import a4_printer

    assert a4_printer(TerminalConfig()) is None  # none: the visitor is offered the QR code
    printer = a4_printer(merge(TerminalConfig(), {"printer": {
        "a4_queue": "A4-hall", "a4_server": "cups.hall.local:631"}}))
    assert printer is not None and (printer.queue, printer.server) == ("A4-hall",
                                                                      "cups.hall.local:631")
