"""The terminal's TOML configuration: every setting declared once, with its documentation.

``SETTINGS`` is the single list of settings; the README's configuration table
is checked against it by a test, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from protocol.enums import Profile

PROFILES = tuple(Profile)
PRINTER_KINDS = ("null", "simulated", "file", "usb", "network", "serial")
ORIENTATIONS = ("portrait", "landscape")
LANGUAGES = ("zh_CN", "en")
PIN_ITERATIONS = 200_000


class ConfigError(ValueError):
    """A configuration file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Setting:
    """One documented setting: section, key, default and meaning."""

    section: str
    key: str
    default: Any
    help: str


SETTINGS = [
    Setting("terminal", "profile", "query", "`query` (touch query machine), `robot` "
            "(voice-first: greets visitors and reads every screen aloud), `dispenser` (service "
            "choice and ticket only), `display` (calling display that speaks each call) or `rater` "
            "(a window's rating pad, woken when staff finish a service)."),
    Setting("terminal", "orientation", "portrait", "`portrait` (1080x1920) or `landscape` "
            "(1920x1080)."),
    Setting("terminal", "fullscreen", True, "Full screen; `--windowed` on the command line "
            "overrides it for development."),
    Setting("terminal", "data_dir", "/var/lib/hallkiosk", "Folder for the local content store, "
            "logs and the extracted font."),
    Setting("terminal", "content", "", "A content source folder or built bundle imported at "
            "start when it is newer than the store; empty means the bundled seed content."),
    Setting("terminal", "font_path", "", "Regular CJK font file (.otf, .ttf or .ttc); empty "
            "searches the system (Noto Sans CJK SC, WenQuanYi)."),
    Setting("terminal", "font_bold_path", "", "Bold CJK font file; empty searches the system "
            "and falls back to the regular font."),
    Setting("terminal", "language", "zh_CN", "Language a visitor session starts in: `zh_CN` "
            "or `en`."),
    Setting("terminal", "admin_pin_hash", "", "PBKDF2 hash of the admin PIN, made with "
            "`hallkiosk pin-hash`; empty disables the admin screen."),
    Setting("terminal", "hotline", "12348", "Hotline shown on the error and result screens."),
    Setting("terminal", "map_url",
            "https://uri.amap.com/marker?position={longitude},{latitude}&name={name}",
            "Map link encoded in a service point's QR code; `{longitude}`, `{latitude}` and "
            "`{name}` are filled in."),
    Setting("terminal", "sync_interval", 300, "Seconds between content syncs for a terminal "
            "enrolled with a server (`hallkiosk enroll`)."),
    Setting("idle", "timeout", 60, "Seconds without a touch before the countdown appears."),
    Setting("idle", "elder_timeout", 150, "The same in elder mode (长辈版)."),
    Setting("idle", "countdown", 15, "Seconds the countdown with 继续使用 is shown before the "
            "terminal returns to the attract loop."),
    Setting("speech", "backend", "pyttsx3", "`pyttsx3` (espeak-ng on Linux) or `null` (no "
            "speech; the read-aloud button is hidden)."),
    Setting("speech", "voice_zh", "cmn", "Voice (language code or voice id) for Chinese."),
    Setting("speech", "voice_en", "en", "Voice for English."),
    Setting("speech", "rate", 170, "Words per minute."),
    Setting("speech", "read_aloud", False, "Read every screen aloud on entering it (always on "
            "for the `robot` profile)."),
    Setting("speech", "wav_dir", "", "Write each utterance to a WAV file in this folder instead "
            "of the sound card (simulated speech for demos and machines without audio)."),
    Setting("printer", "kind", "null", "Ticket printer: `null` (none: the ticket is shown on "
            "screen only), `simulated` (ESC/POS bytes and a PNG rendering of them in "
            "`directory`), `file` (a device file such as /dev/usb/lp0), `usb`, `network` or "
            "`serial`."),
    Setting("printer", "address", "", "`VID:PID` in hex for usb, `host:port` for network, the "
            "device for serial or file."),
    Setting("printer", "paper_width", 80, "Paper width in mm: `58` (384-dot head) or `80` "
            "(576-dot head)."),
    Setting("printer", "mode", "bitmap", "`bitmap` renders Chinese with the CJK font (works on "
            "every printer); `gb18030` sends text to printers with a resident Chinese font."),
    Setting("printer", "directory", "", "Folder of the simulated printer's output."),
    Setting("printer", "status_interval", 10, "Seconds between printer status checks."),
    Setting("display", "announce_repeat", 1, "How many times the calling display speaks each "
            "call after the chime."),
    Setting("display", "announce_max_age", 120, "Calls older than this many seconds when they "
            "reach the display (after an outage) are shown but not spoken."),
    Setting("rater", "window", 0, "Number of the service window a `rater` pad belongs to "
            "(0: not set; the pad asks IT to set it)."),
    Setting("rater", "thanks_seconds", 6, "Seconds the thank-you stays before a rating pad or "
            "terminal returns to where the visitor started."),
]


def _section(name: str) -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS if s.section == name}


@dataclass(frozen=True)
class TerminalConfig:
    """The validated configuration of one terminal."""

    terminal: dict[str, Any] = field(default_factory=lambda: _section("terminal"))
    idle: dict[str, Any] = field(default_factory=lambda: _section("idle"))
    speech: dict[str, Any] = field(default_factory=lambda: _section("speech"))
    printer: dict[str, Any] = field(default_factory=lambda: _section("printer"))
    display: dict[str, Any] = field(default_factory=lambda: _section("display"))
    rater: dict[str, Any] = field(default_factory=lambda: _section("rater"))

    @property
    def profile(self) -> Literal["query", "robot", "dispenser", "display", "rater"]:
        """The terminal profile."""
        return self.terminal["profile"]  # type: ignore[no-any-return]

    @property
    def data_dir(self) -> Path:
        """Folder for the store, logs and fonts."""
        return Path(self.terminal["data_dir"]).expanduser()

    @property
    def reads_aloud(self) -> bool:
        """Whether every screen is read aloud on entering it."""
        return self.profile == "robot" or bool(self.speech["read_aloud"])

    def with_overrides(self, section: str, **values: Any) -> TerminalConfig:
        """A copy with some settings of one section replaced (validated)."""
        sections = {f.name: dict(getattr(self, f.name)) for f in fields(self)}
        sections[section].update(values)
        return from_mapping(sections)


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def from_mapping(data: dict[str, Any], source: str = "config") -> TerminalConfig:
    """Validate a parsed TOML mapping; unknown keys and wrong types are errors."""
    known = {f.name for f in fields(TerminalConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown section(s): {', '.join(unknown)}")
    sections: dict[str, dict[str, Any]] = {}
    for name in known:
        defaults = _section(name)
        given = data.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        extra = sorted(set(given) - set(defaults))
        if extra:
            raise ConfigError(f"{source}: [{name}] unknown setting(s): {', '.join(extra)}")
        merged = {**defaults, **given}
        for key, value in merged.items():
            if not _same_kind(defaults[key], value):
                raise ConfigError(f"{source}: [{name}] {key} must be "
                                  f"{type(defaults[key]).__name__}, found {value!r}")
        sections[name] = merged
    checks = [
        (sections["terminal"]["profile"] in PROFILES, f"profile must be one of {PROFILES}"),
        (sections["terminal"]["orientation"] in ORIENTATIONS,
         f"orientation must be one of {ORIENTATIONS}"),
        (sections["terminal"]["language"] in LANGUAGES, f"language must be one of {LANGUAGES}"),
        (sections["idle"]["timeout"] >= 10 and sections["idle"]["elder_timeout"] >= 10,
         "idle timeouts must be at least 10 seconds"),
        (0 < sections["idle"]["countdown"] <= 120, "countdown must be 1 to 120 seconds"),
        (sections["speech"]["backend"] in ("pyttsx3", "null"),
         "speech backend must be pyttsx3 or null"),
        (sections["printer"]["kind"] in PRINTER_KINDS,
         f"printer kind must be one of {PRINTER_KINDS}"),
        (sections["printer"]["paper_width"] in (58, 80), "printer paper_width must be 58 or 80"),
        (sections["printer"]["mode"] in ("bitmap", "gb18030"),
         "printer mode must be bitmap or gb18030"),
        (sections["printer"]["kind"] in ("null", "simulated")
         or bool(sections["printer"]["address"]), "this printer kind needs an address"),
        (sections["printer"]["kind"] != "simulated" or bool(sections["printer"]["directory"]),
         "the simulated printer needs a directory"),
        (0 <= sections["rater"]["window"] <= 999, "rater window must be 0 to 999"),
        (1 <= sections["rater"]["thanks_seconds"] <= 60, "rater thanks_seconds must be 1 to 60"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{source}: {message}")
    return TerminalConfig(**sections)


def load_config(path: Path | str | None) -> TerminalConfig:
    """Read a TOML config file (or the defaults when path is None)."""
    if path is None:
        return TerminalConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return from_mapping(data, str(path))


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """A PBKDF2-SHA256 hash of an admin PIN, as stored in admin_pin_hash."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether pin matches a hash made by hash_pin (constant time)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    try:
        rounds, salt_bytes = int(iterations), bytes.fromhex(salt)
        if rounds < 1:
            return False
    except ValueError:  # a hand-edited or truncated hash never matches
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt_bytes, rounds)
    return hmac.compare_digest(candidate.hex(), digest)


def default_data_dir() -> Path:
    """Where a terminal keeps its data when the config does not say."""
    if os.geteuid() == 0:
        return Path("/var/lib/hallkiosk")
    return Path.home() / ".local" / "share" / "hallkiosk"
