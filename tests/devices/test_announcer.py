"""The calling announcer on the real pyttsx3 + espeak-ng speaker writing WAV files."""

from __future__ import annotations

import array
import logging
import math
import sys
import time
import wave
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from devices.announcer import Announcer, Call, call_text
from devices.chime import SAMPLE_RATE, TONES, ensure_chime
from devices.speech import NullSpeaker, Pyttsx3Speaker
from devices.status import DeviceState
from tests.devices.helpers import wait_until

SILENCE_RMS = 0.01  # -40 dBFS, as in test_speech: far above what a broken synthesis writes
# Lasts as long as the clip would and exits 0, like `aplay -q` (there is no sound card here).
CLIP_LENGTH_PLAYER = (
    sys.executable,
    "-c",
    "import sys, time, wave; w = wave.open(sys.argv[1]); "
    "time.sleep(w.getnframes() / w.getframerate())",
)


def read_samples(path: Path) -> tuple[int, list[int]]:
    """Frame rate and samples of a mono 16-bit WAV file."""
    with wave.open(str(path), "rb") as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        samples = array.array("h", audio.readframes(audio.getnframes()))
        rate = audio.getframerate()
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    return rate, list(samples)


def rms(samples: list[int]) -> float:
    """Root mean square as a fraction of full scale."""
    return math.sqrt(sum(s * s for s in samples) / max(len(samples), 1)) / 32768


def pitch(samples: list[int], rate: int) -> float:
    """Frequency from rising zero crossings (the chime's overtone adds none)."""
    rising = [n for n in range(1, len(samples)) if samples[n - 1] < 0 <= samples[n]]
    return (len(rising) - 1) * rate / (rising[-1] - rising[0])


def call(event_id: int, number: str, window: int, recall: bool = False,
         seconds_ago: float = 0) -> Call:
    """A call made seconds_ago, stamped in UTC as the server stamps them."""
    called_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return Call(event_id, number, window, recall, called_at)


def test_calls_are_announced_in_order_after_a_chime_one_at_a_time_and_once(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path
) -> None:
    wav_dir = tmp_path / "spoken"
    speaker = new_speaker(wav_dir=wav_dir)
    announcer = Announcer(speaker, chime_path=tmp_path / "cache" / "chime.wav")
    assert speaker.wait_idle(10)  # engine started
    first, second = call(101, "A001", 3), call(102, "B007", 5)
    calls = [first, second, call(101, "A001", 3), call(103, "A001", 3, recall=True)]

    results, call_seconds = [], []
    for each in calls:
        before = time.monotonic()
        results.append(announcer.announce(each))
        call_seconds.append(time.monotonic() - before)
    all_queued = time.monotonic()
    assert speaker.wait_idle(30)

    assert max(call_seconds) < 0.05  # the UI thread never waits for speech
    assert results == [True, True, False, True]
    assert (announcer.announced, announcer.repeated_events, announcer.skipped_stale) == (3, 1, 0)
    spoken = list(speaker.spoken)
    assert [(u.language, u.text) for u in spoken] == [
        ("clip", "[chime]"), ("zh", "请A001号到3号窗口办理"),
        ("clip", "[chime]"), ("zh", "请B007号到5号窗口办理"),
        ("clip", "[chime]"), ("zh", "重呼，请A001号到3号窗口办理"),
    ]
    assert speaker.status.state is DeviceState.OK, speaker.status
    assert all_queued < spoken[1].finished  # announce() did not wait for any synthesis
    for earlier, later in zip(spoken, spoken[1:], strict=False):
        assert earlier.finished <= later.started  # never two at a time
    assert [u.path for u in spoken] == sorted(wav_dir.iterdir())
    assert [u.path.name for u in spoken if u.path] == [
        "0001-clip.wav", "0002-zh.wav", "0003-clip.wav", "0004-zh.wav", "0005-clip.wav",
        "0006-zh.wav",
    ]
    assert announcer.chime is not None
    for utterance in spoken:
        assert utterance.path is not None and utterance.path.stat().st_size > 44
        rate, samples = read_samples(utterance.path)
        assert len(samples) > 0 and rms(samples) > SILENCE_RMS
        if utterance.language == "clip":
            assert utterance.path.read_bytes() == announcer.chime.read_bytes()
        else:
            assert len(samples) / rate > 1.0  # a sentence, not a blip


def test_a_call_from_a_long_outage_backlog_is_counted_and_logged_but_not_spoken(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    speaker = new_speaker(wav_dir=tmp_path / "spoken")
    announcer = Announcer(speaker, chime_path=tmp_path / "chime.wav")

    with caplog.at_level(logging.INFO, logger="devices.announcer"):
        assert not announcer.announce(call(7, "A001", 2, seconds_ago=600))
        assert announcer.announce(call(8, "A002", 2, seconds_ago=30))
    assert speaker.wait_idle(20)

    assert [u.text for u in speaker.spoken] == ["[chime]", "请A002号到2号窗口办理"]
    assert (announcer.announced, announcer.skipped_stale) == (1, 1)
    messages = [r.getMessage() for r in caplog.records if r.name == "devices.announcer"]
    assert messages == ["not announcing A001 to window 2 (event 7): called 600 s ago"]


def test_max_age_none_speaks_old_calls_and_any_time_zone_counts(tmp_path: Path) -> None:
    speaker, chime = NullSpeaker(), tmp_path / "chime.wav"
    announcer = Announcer(speaker, chime_path=chime, max_age=None)
    old = call(1, "C010", 1, seconds_ago=3 * 3600)
    beijing = timezone(timedelta(hours=8))
    fresh = Call(2, "C011", 1, False, datetime.now(beijing))

    assert announcer.announce(old) and announcer.announce(fresh)
    strict = Announcer(speaker, chime_path=chime, max_age=60)
    assert strict.announce(Call(3, "C012", 1, False, old.called_at)) is False
    assert strict.announce(Call(4, "C013", 1, False, datetime.now(beijing)))
    assert [u.text for u in speaker.spoken] == [
        "[chime]", "请C010号到1号窗口办理", "[chime]", "请C011号到1号窗口办理",
        "[chime]", "请C013号到1号窗口办理",
    ]
    with pytest.raises(ValueError, match="timezone-aware"):  # naive: UTC or Beijing time?
        Call(5, "C014", 1, False, datetime.now())


def test_repeat_speaks_each_call_again_in_every_language_after_one_chime(
    tmp_path: Path,
) -> None:
    speaker = NullSpeaker()
    announcer = Announcer(speaker, chime_path=tmp_path / "chime.wav", repeat=2,
                          languages=("zh", "en"))

    announcer.announce(call(1, "D003", 4))

    assert [(u.language, u.text) for u in speaker.spoken] == [
        ("clip", "[chime]"),
        ("zh", "请D003号到4号窗口办理"), ("en", "Number D003, please go to window 4"),
        ("zh", "请D003号到4号窗口办理"), ("en", "Number D003, please go to window 4"),
    ]
    with pytest.raises(ValueError, match="repeat"):
        Announcer(speaker, chime_path=tmp_path / "chime.wav", repeat=0)
    with pytest.raises(ValueError, match="'fr'"):
        Announcer(speaker, chime_path=tmp_path / "chime.wav", languages=("zh", "fr"))


def test_call_text_in_chinese_and_english() -> None:
    called, recalled = call(1, "A001", 3), call(2, "A001", 3, recall=True)

    assert call_text(called) == "请A001号到3号窗口办理"
    assert call_text(recalled, "zh") == "重呼，请A001号到3号窗口办理"
    assert call_text(called, "en") == "Number A001, please go to window 3"
    assert call_text(recalled, "en") == "Recall: Number A001, please go to window 3"
    with pytest.raises(ValueError, match="'fr'"):
        call_text(called, "fr")


def test_chime_is_a_short_falling_two_tone_wav_without_clicks_cached_in_a_file(
    tmp_path: Path,
) -> None:
    path = ensure_chime(tmp_path / "cache" / "chime.wav")

    rate, samples = read_samples(path)
    assert path == tmp_path / "cache" / "chime.wav"
    assert rate == SAMPLE_RATE and len(samples) / rate == pytest.approx(0.8)
    half = len(samples) // 2
    ding, dong = samples[:half], samples[half:]
    # The middle of each half, clear of the fades: E5 then C5.
    assert pitch(ding[half // 4:-half // 4], rate) == pytest.approx(TONES[0], rel=0.01)
    assert pitch(dong[half // 4:-half // 4], rate) == pytest.approx(TONES[1], rel=0.01)
    assert rms(ding) > SILENCE_RMS and rms(dong) > SILENCE_RMS
    # Fades: both tones start and end at silence, so no step reaches the speaker.
    for tone in (ding, dong):
        assert tone[0] == 0 and tone[-1] == 0
        assert max(abs(s) for s in tone[:5] + tone[-5:]) < 0.05 * 32768

    written = path.stat().st_mtime_ns
    time.sleep(0.01)
    assert ensure_chime(path) == path and path.stat().st_mtime_ns == written  # cached
    path.write_bytes(b"RIFF, but cut short")
    ensure_chime(path)
    assert read_samples(path) == (rate, samples)  # a damaged cache is written again
    assert [p.name for p in path.parent.iterdir()] == ["chime.wav"]  # no temporary left


def test_without_a_writable_chime_calls_are_still_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the cache folder should be")
    speaker = NullSpeaker()

    announcer = Announcer(speaker, chime_path=tmp_path / "not-a-folder" / "chime.wav")
    announcer.announce(call(1, "A001", 3))

    assert announcer.chime is None
    assert [u.text for u in speaker.spoken] == ["请A001号到3号窗口办理"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("announcing calls without a chime")


def test_a_playing_chime_is_cut_short_by_stop_and_the_queue_dropped(
    new_speaker: Callable[..., Pyttsx3Speaker], tmp_path: Path
) -> None:
    speaker = new_speaker(player=CLIP_LENGTH_PLAYER)
    chime = ensure_chime(tmp_path / "chime.wav")  # 0.8 s through the player
    speaker.play(chime)
    speaker.say("请A001号到3号窗口办理")
    assert wait_until(lambda: len(speaker.spoken) == 1, 10)
    time.sleep(0.2)

    before = time.monotonic()
    speaker.stop()
    assert speaker.wait_idle(3)

    assert time.monotonic() - before < 0.5
    assert [(u.language, u.text, u.path) for u in speaker.spoken] == [("clip", "[chime]", None)]
    assert speaker.status.state is DeviceState.OK, speaker.status
    speaker.play(chime)  # still works after stop(), and the player accepted the file
    assert speaker.wait_idle(10)
    assert len(speaker.spoken) == 2 and speaker.status.state is DeviceState.OK, speaker.status


def test_null_speaker_play_records_the_clip_and_plays_nothing(tmp_path: Path) -> None:
    speaker = NullSpeaker()

    speaker.play(tmp_path / "chime.wav")  # need not even exist: nothing is played
    speaker.say("请A001号到3号窗口办理")

    assert [(u.index, u.language, u.text, u.path) for u in speaker.spoken] == [
        (1, "clip", "[chime]", None), (2, "zh", "请A001号到3号窗口办理", None)
    ]
    assert speaker.wait_idle(0)
