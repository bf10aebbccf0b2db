"""Speech: the real pyttsx3 + espeak-ng engine writing WAV files (there is no sound card here)."""

from __future__ import annotations

import array
import logging
import math
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from devices.speech import NullSpeaker, Pyttsx3Speaker, choose_voice, make_speaker
from devices.status import DeviceError, DeviceState, DeviceStatus, StatusTracker
from tests.devices.helpers import wait_until

PHRASE = "请到三号窗口办理法律援助"
LONG_ZH = "请到三号窗口办理法律援助。" * 6
LONG_EN = "Please go to window three for legal aid. " * 6
# espeak-ng puts this phrase at about -21 dBFS RMS (0.09 of full scale). 0.01 (-40 dBFS) is
# 20 dB below that and far above digital silence, which is what a broken synthesis writes.
SILENCE_RMS = 0.01
# The audio device cannot run here, so this player is a real process that lasts as long as
# the clip would and then exits 0, like `aplay -q`.
CLIP_LENGTH_PLAYER = (
    sys.executable,
    "-c",
    "import sys, time, wave; w = wave.open(sys.argv[1]); "
    "time.sleep(w.getnframes() / w.getframerate())",
)


def wav_seconds_and_rms(path: Path) -> tuple[float, float]:
    """Length in seconds and RMS (fraction of full scale) of a mono 16-bit WAV file."""
    with wave.open(str(path), "rb") as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        seconds = audio.getnframes() / audio.getframerate()
        samples = array.array("h", audio.readframes(audio.getnframes()))
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    rms = math.sqrt(sum(sample * sample for sample in samples) / max(len(samples), 1))
    return seconds, rms / 32768


def test_mandarin_phrase_is_written_as_audible_mandarin_speech(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    speaker = new_speaker(wav_dir=tmp_path)
    speaker.say(PHRASE, "zh")
    speaker.say(PHRASE, "en")  # the same characters through the English voice
    assert speaker.wait_idle(20)

    assert speaker.status.state is DeviceState.OK, speaker.status
    zh, en = speaker.spoken
    assert (zh.index, zh.language, zh.text, zh.path) == (1, "zh", PHRASE, tmp_path / "0001-zh.wav")
    assert zh.path is not None and en.path is not None
    seconds, rms = wav_seconds_and_rms(zh.path)
    assert seconds > 0.5
    assert rms > SILENCE_RMS
    assert "cmn" in speaker.voice_ids["zh"]
    assert "cmn" not in speaker.voice_ids["en"]
    # Read by the English voice the phrase becomes twelve times "Chinese letter" and lasts
    # about 8.7 s against 5.0 s in Mandarin: a wrong voice for zh would make them equal.
    english_seconds, _ = wav_seconds_and_rms(en.path)
    assert seconds < 0.8 * english_seconds
    assert "Audio saved" not in capfd.readouterr().out


def test_say_returns_at_once_and_utterances_are_made_one_after_another(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path
) -> None:
    speaker = new_speaker(wav_dir=tmp_path)
    assert speaker.wait_idle(10)  # engine started
    requests = [("zh", LONG_ZH), ("en", LONG_EN), ("zh", PHRASE)]

    call_seconds = []
    for language, text in requests:
        before = time.monotonic()
        speaker.say(text, language)
        call_seconds.append(time.monotonic() - before)
    all_queued = time.monotonic()
    assert speaker.wait_idle(30)

    assert max(call_seconds) < 0.05
    spoken = list(speaker.spoken)
    assert [(u.language, u.text) for u in spoken] == requests
    assert [u.path for u in spoken] == [
        tmp_path / "0001-zh.wav", tmp_path / "0002-en.wav", tmp_path / "0003-zh.wav"
    ]
    assert all_queued < spoken[0].finished  # say() did not wait for any synthesis
    for earlier, later in zip(spoken, spoken[1:], strict=False):
        assert earlier.finished <= later.started  # never two at a time
    for utterance in spoken:
        assert utterance.path is not None
        seconds, rms = wav_seconds_and_rms(utterance.path)
        assert seconds > 0.5 and rms > SILENCE_RMS


def test_simulated_speech_continues_the_numbering_in_an_existing_folder(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path
) -> None:
    (tmp_path / "0007-zh.wav").write_bytes(b"from an earlier run")
    speaker = new_speaker(wav_dir=tmp_path)

    speaker.say("Hello", "en")
    assert speaker.wait_idle(10)

    assert [u[:4] for u in speaker.spoken] == [(8, "en", "Hello", tmp_path / "0008-en.wav")]
    assert (tmp_path / "0007-zh.wav").read_bytes() == b"from an earlier run"


def test_stop_cuts_the_playing_utterance_short_and_drops_the_queue(
    new_speaker: Callable[..., Pyttsx3Speaker],
) -> None:
    speaker = new_speaker(player=CLIP_LENGTH_PLAYER)
    speaker.say(PHRASE)  # about 5 s of audio
    speaker.say("第二句")
    speaker.say("第三句")
    assert wait_until(lambda: len(speaker.spoken) == 1, 10)
    time.sleep(0.3)  # the player is well into the clip

    before = time.monotonic()
    speaker.stop()
    assert speaker.wait_idle(3)
    stop_seconds = time.monotonic() - before

    assert stop_seconds < 0.5
    assert [u.text for u in speaker.spoken] == [PHRASE]
    assert speaker.status.state is DeviceState.OK, speaker.status
    speaker.say("Next, please.", "en")  # the speaker keeps working after stop()
    assert speaker.wait_idle(10)
    assert [u.text for u in speaker.spoken] == [PHRASE, "Next, please."]
    assert speaker.status.state is DeviceState.OK, speaker.status


def test_stop_drops_queued_utterances_in_simulated_mode(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path
) -> None:
    speaker = new_speaker(wav_dir=tmp_path)
    assert speaker.wait_idle(10)

    for number in range(1, 6):
        speaker.say(f"第{number}句")
    speaker.stop()
    speaker.say("After stop.", "en")
    assert speaker.wait_idle(10)

    texts = [u.text for u in speaker.spoken]
    # The first may already be in synthesis when stop() comes; the other four never start.
    assert texts in (["After stop."], ["第1句", "After stop."])
    assert sorted(tmp_path.iterdir()) == [u.path for u in speaker.spoken]


def test_voice_without_a_match_falls_back_to_the_default_with_a_warning(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    speaker = new_speaker(voice_en="tlh", wav_dir=tmp_path)  # espeak-ng has no Klingon
    assert speaker.wait_idle(10)

    fallback = speaker.voice_ids["en"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"no voice matches 'tlh'; using the default {fallback!r}"]
    assert fallback and "cmn" in speaker.voice_ids["zh"]
    speaker.say("Hello", "en")
    assert speaker.wait_idle(10)
    assert speaker.status.state is DeviceState.OK
    assert [u.path for u in speaker.spoken] == [tmp_path / "0001-en.wav"]


def test_choose_voice_prefers_id_then_language_then_id_tail_then_dialect() -> None:
    voices = [
        SimpleNamespace(id="gmw/en-us", languages=["en-us"]),
        SimpleNamespace(id="gmw/en", languages=["en-gb"]),
        SimpleNamespace(id="sit/cmn-latn-pinyin", languages=["cmn-latn-pinyin"]),
        SimpleNamespace(id="sit/cmn", languages=["cmn"]),
    ]

    assert choose_voice(voices, "cmn") == "sit/cmn"
    assert choose_voice(voices, "EN") == "gmw/en"  # id tail beats the earlier en-us dialect
    assert choose_voice(voices, "en-gb") == "gmw/en"
    assert choose_voice(voices, "sit/cmn-latn-pinyin") == "sit/cmn-latn-pinyin"
    assert choose_voice(voices, "gmw") is None
    assert choose_voice([], "cmn") is None


def test_engine_that_cannot_start_is_an_error_logged_once_and_say_does_nothing(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    speaker = new_speaker(driver="no_such_driver", wav_dir=tmp_path)
    assert speaker.wait_idle(10)

    speaker.say(PHRASE)
    speaker.say(PHRASE)

    assert speaker.wait_idle(0.1)
    assert speaker.status.state is DeviceState.ERROR
    assert "no_such_driver" in speaker.status.message
    assert not speaker.spoken and not list(tmp_path.iterdir())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [f"speech error: {speaker.status.message}"]


def test_missing_audio_player_is_an_error(new_speaker: Callable[..., Pyttsx3Speaker]) -> None:
    speaker = new_speaker(player=("no-such-audio-player", "-q"))
    assert speaker.wait_idle(10)

    assert speaker.status.state is DeviceState.ERROR
    assert "no-such-audio-player" in speaker.status.message


def test_unknown_backend_or_option_is_refused() -> None:
    with pytest.raises(DeviceError, match="unknown speech backend 'nonsense'.*null, pyttsx3"):
        make_speaker("nonsense")
    with pytest.raises(DeviceError, match="voice_cn"):
        make_speaker("pyttsx3", voice_cn="cmn")


def test_null_speaker_records_text_and_is_disabled() -> None:
    speaker = make_speaker("null", voice_zh="cmn", rate=170)
    assert isinstance(speaker, NullSpeaker)

    speaker.say(PHRASE)
    speaker.say("Window 3, please.", "en")
    speaker.stop()
    speaker.close()

    assert [(u.index, u.language, u.text, u.path) for u in speaker.spoken] == [
        (1, "zh", PHRASE, None), (2, "en", "Window 3, please.", None)
    ]
    assert speaker.status == DeviceStatus("speech", DeviceState.DISABLED, speaker.status.message)
    assert speaker.wait_idle(0)


def test_status_tracker_logs_going_offline_once_and_coming_back_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.devices.printer")
    changes: list[DeviceStatus] = []
    tracker = StatusTracker("printer", log, listeners=[changes.append])

    with caplog.at_level(logging.INFO, logger=log.name):
        for _ in range(3):
            tracker.update(DeviceState.OFFLINE, "no paper")
        for _ in range(3):
            tracker.update(DeviceState.OK)
        for _ in range(2):
            tracker.update(DeviceState.ERROR, "cover open")

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "printer offline: no paper"),
        ("INFO", "printer back: ok"),
        ("ERROR", "printer error: cover open"),
    ]
    assert [status.state for status in changes] == ["offline", "ok", "error"]
    assert tracker.current == DeviceStatus("printer", DeviceState.ERROR, "cover open")
