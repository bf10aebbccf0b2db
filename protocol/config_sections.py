"""The sections of the terminal config: each setting with its default, meaning and limits.

A setting made with ``pushed=True`` may also be pushed by IT from the fleet console;
every other setting belongs to the terminal's own TOML file. The README's
configuration table is checked against these declarations by a test.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import JsonDict  # type: ignore[attr-defined]  # not re-exported

from protocol.hours import HoursError, day_ranges

PROFILES = ("query", "robot", "dispenser", "display", "rater")
Profile = Literal["query", "robot", "dispenser", "display", "rater"]
PRINTER_KINDS = ("null", "simulated", "file", "usb", "network", "serial")
PrinterKind = Literal["null", "simulated", "file", "usb", "network", "serial"]
Language = Literal["zh_CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh_CN", "en")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PIN_HASH = r"^$|^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}$"
MAP_URL = "https://uri.amap.com/marker?position={longitude},{latitude}&name={name}"


def setting(default: Any, description: str, *, pushed: bool = False, **limits: Any) -> Any:
    """A documented setting; pushed=True lets IT push it from the fleet console."""
    extra: JsonDict | None = {"pushed": True} if pushed else None
    if isinstance(default, list | dict):
        return Field(default_factory=lambda: copy.deepcopy(default), description=description,
                     json_schema_extra=extra, **limits)
    return Field(default, description=description, json_schema_extra=extra, **limits)


class Section(BaseModel):
    """A table of the config file: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TerminalSection(Section):
    """What the terminal is and where it keeps its things."""

    profile: Profile = setting(
        "query", "`query` (touch query machine), `robot` (voice-first: greets visitors and "
        "reads every screen aloud), `dispenser` (service choice and ticket only), `display` "
        "(calling display that speaks each call) or `rater` (a window's rating pad, woken when "
        "staff finish a service). For an enrolled terminal, the profile IT accepted it as.",
        pushed=True)
    orientation: Literal["portrait", "landscape"] = setting(
        "portrait", "`portrait` (1080x1920) or `landscape` (1920x1080).")
    fullscreen: bool = setting(True, "Full screen; `--windowed` on the command line overrides "
                               "it for development.")
    data_dir: str = setting("/var/lib/hallkiosk", "Folder for the local content store, logs "
                            "and the extracted font.")
    content: str = setting("", "A content source folder or built bundle imported at start "
                           "when it is newer than the store; empty means the bundled seed "
                           "content.")
    font_path: str = setting("", "Regular CJK font file (.otf, .ttf or .ttc); empty searches "
                             "the system (Noto Sans CJK SC, WenQuanYi).")
    font_bold_path: str = setting("", "Bold CJK font file; empty searches the system and "
                                  "falls back to the regular font.")
    language: Language = setting("zh_CN", "Language a visitor session starts in: `zh_CN` or "
                                 "`en`; one of `[service] languages`.", pushed=True)
    admin_pin_hash: str = setting("", "PBKDF2 hash of the admin PIN, made with `hallkiosk "
                                  "pin-hash`; empty disables the admin screen.", pushed=True,
                                  pattern=PIN_HASH)
    hotline: str = setting("12348", "Hotline shown on the error, result and after-hours "
                           "screens.", min_length=1, max_length=20)
    map_url: str = setting(MAP_URL, "Map link encoded in a service point's QR code; "
                           "`{longitude}`, `{latitude}` and `{name}` are filled in.")
    sync_interval: float = setting(300, "Seconds between content syncs for a terminal "
                                   "enrolled with a server (`hallkiosk enroll`).", gt=0)
    content_channel: str = setting("stable", "Content channel the terminal follows: `stable`, "
                                   "or another channel for pilot terminals.", pushed=True,
                                   pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    heartbeat_interval: int = setting(30, "Seconds between heartbeats of an enrolled "
                                      "terminal; the server's reply sets it.", pushed=True,
                                      ge=10, le=3600)


class IdleSection(Section):
    """When an unattended terminal returns to its attract loop."""

    timeout: float = setting(60, "Seconds without a touch before the countdown appears.",
                             pushed=True, ge=10, le=3600)
    elder_timeout: float = setting(150, "The same in elder mode (长辈版).", pushed=True,
                                   ge=10, le=3600)
    countdown: float = setting(15, "Seconds the countdown with 继续使用 is shown before the "
                               "terminal returns to the attract loop.", pushed=True, gt=0,
                               le=120)
    elder_countdown: float = setting(30, "The same in elder mode (长辈版): time to read it "
                                     "and reach 继续使用.", pushed=True, gt=0, le=120)


class SpeechSection(Section):
    """Speech output."""

    backend: Literal["pyttsx3", "null"] = setting(
        "pyttsx3", "`pyttsx3` (espeak-ng on Linux) or `null` (no speech; the read-aloud "
        "button is hidden).")
    voice_zh: str = setting("cmn", "Voice (language code or voice id) for Chinese.",
                            pushed=True, min_length=1, max_length=60)
    voice_en: str = setting("en", "Voice for English.", pushed=True, min_length=1,
                            max_length=60)
    rate: float = setting(170, "Words per minute.", pushed=True, ge=80, le=400)
    read_aloud: bool = setting(False, "Read every screen aloud on entering it (always on for "
                               "the `robot` profile).")
    wav_dir: str = setting("", "Write each utterance to a WAV file in this folder instead of "
                           "the sound card (simulated speech for demos and machines without "
                           "audio).")


class ListeningSection(Section):
    """Speech input (the ask screen's 按住说话)."""

    engine: Literal["none", "pocketsphinx", "vosk", "funasr"] = setting(
        "none", "`none` (no talk button: questions are typed), `pocketsphinx` (English, its "
        "bundled model, on the terminal), `vosk` (a model folder on the terminal, e.g. the "
        "Mandarin small model) or `funasr` (the province's FunASR runtime server: the only "
        "engine that sends speech out of the terminal).")
    model_path: str = setting("", "The Vosk model folder (unpacked, e.g. "
                              "`/var/lib/hallkiosk/vosk-model-small-cn`).", max_length=500)
    server_url: str = setting("", "The FunASR runtime server, `ws://host:10095` or "
                              "`wss://host:10095`.", max_length=500,
                              pattern=r"^$|^wss?://\S+$")
    funasr_mode: Literal["2pass", "online"] = setting(
        "2pass", "FunASR mode: `2pass` (streaming text, corrected at each pause) or `online`.")
    language: Literal["zh", "en"] = setting(
        "zh", "Language of the Vosk model or the FunASR server: `zh` or `en` (pocketsphinx's "
        "bundled model is English).")
    device: str = setting("", "Input device name for PortAudio; empty is the default "
                          "microphone.", max_length=200)
    no_speech_timeout: float = setting(6, "Seconds from pressing the talk button to the "
                                       "first speech before 没听清，请再说一遍.", gt=0, le=60)
    end_silence: float = setting(1.0, "Seconds of silence that end a question before the "
                                 "button is released (点击说话).", gt=0, le=10)
    max_utterance: float = setting(15, "The longest question taken, in seconds.", gt=0, le=120)
    engine_timeout: float = setting(3, "Seconds an engine server may take to connect or to "
                                    "give the final text before the visitor is told to "
                                    "type instead.", gt=0, le=30)
    vad_aggressiveness: int = setting(2, "Voice detection strictness, 0 (lenient) to 3 "
                                      "(strict); raise it in a noisy hall.", ge=0, le=3)
    wav: str = setting("", "Read this WAV file instead of the microphone at every press "
                       "(demos and debugging).", max_length=500)

    @model_validator(mode="after")
    def _engine_configured(self) -> ListeningSection:
        if self.engine == "vosk" and not self.model_path.strip():
            raise ValueError("the vosk engine needs model_path (the model folder)")
        if self.engine == "funasr" and not self.server_url:
            raise ValueError("the funasr engine needs server_url (ws://host:port)")
        return self


class PrinterSection(Section):
    """The ticket printer."""

    kind: PrinterKind = setting(
        "null", "Ticket printer: `null` (none: the ticket is shown on screen only), "
        "`simulated` (ESC/POS bytes and a PNG rendering of them in `directory`), `file` (a "
        "device file such as /dev/usb/lp0), `usb`, `network` or `serial`.", pushed=True)
    address: str = setting("", "`VID:PID` in hex for usb, `host:port` for network, the device "
                           "for serial or file.", pushed=True, max_length=200)
    paper_width: Literal[58, 80] = setting(80, "Paper width in mm: `58` (384-dot head) or "
                                           "`80` (576-dot head).")
    mode: Literal["bitmap", "gb18030"] = setting(
        "bitmap", "`bitmap` renders Chinese with the CJK font (works on every printer); "
        "`gb18030` sends text to printers with a resident Chinese font.")
    directory: str = setting("", "Folder of the simulated printer's output.")
    status_interval: float = setting(10, "Seconds between printer status checks.", gt=0)
    a4_queue: str = setting("", "CUPS queue of the A4 printer for fill-in documents (empty: "
                            "none; the visitor is offered the QR code instead).", pushed=True,
                            max_length=127)
    a4_server: str = setting("", "CUPS server of the A4 printer: host, host:port or a socket "
                             "path (empty: this machine's).", max_length=200)

    @model_validator(mode="after")
    def _reachable(self) -> PrinterSection:
        if self.kind not in ("null", "simulated") and not self.address.strip():
            raise ValueError(f"a {self.kind} printer needs an address")
        if self.kind == "simulated" and not self.directory:
            raise ValueError("the simulated printer needs a directory")
        return self


class DisplaySection(Section):
    """The calling display."""

    announce_repeat: int = setting(1, "How many times the calling display speaks each call "
                                   "after the chime.", ge=0, le=10)
    announce_max_age: float = setting(120, "Calls older than this many seconds when they "
                                      "reach the display (after an outage) are shown but not "
                                      "spoken.", ge=0)


class RaterSection(Section):
    """The window rating pad."""

    window: int = setting(0, "Number of the service window a `rater` pad belongs to (0: not "
                          "set; the pad asks IT to set it).", ge=0, le=999)
    thanks_seconds: float = setting(6, "Seconds the thank-you stays before a rating pad or "
                                    "terminal returns to where the visitor started.", ge=1,
                                    le=60)


class ServiceSection(Section):
    """What the hall offers visitors at this terminal: languages and ticketing hours."""

    languages: list[Language] = setting(
        list(LANGUAGES), "Languages a visitor may choose (`zh_CN`, `en`); with one, the "
        "language button is hidden.", pushed=True, min_length=1)
    opening_hours: dict[Weekday, list[str]] = setting(
        {}, "Hours tickets are issued, per weekday, e.g. `{ mon = [\"09:00-12:00\", "
        "\"13:30-17:00\"] }`; a day left out is closed, an empty table always open. Outside "
        "them taking a ticket shows the hours and the hotline; reading works.", pushed=True)

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each language only once")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _readable_hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            try:
                day_ranges(ranges)
            except HoursError as exc:
                raise ValueError(f"{day}: {exc}") from None
        return value
