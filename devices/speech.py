"""Speech output: the Speaker interface, a pyttsx3 speaker on one owner thread, a null speaker.

WAV clips (the calling chime) go through the same queue as speech, so a chime and the words
after it come out in order and never on top of each other.

Why playback bypasses pyttsx3 (measured, pyttsx3 2.99 + espeak-ng): the espeak driver's external
loop is broken (``iterate()`` raises "'NoneType' object is not an iterator" and never speaks), and
its own playback runs ``os.system("aplay ...")`` inside espeak's callback, so ``engine.stop()``
blocks until the clip ends. So the owner thread synthesizes with ``save_to_file()`` (far faster
than real time) and plays the WAV in a player process that it kills on ``stop()``.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from devices.playback import CLOSE_TIMEOUT, play_wav
from devices.status import DeviceError, DeviceState, DeviceStatus, StatusTracker
from devices.voices import choose_voice, route_driver_prints

logger = logging.getLogger(__name__)

DEVICE = "speech"
CLIP = "clip"  # the language of a played WAV clip in `spoken`
HISTORY = 1000  # utterances kept in `spoken`: a kiosk runs for months
SYNTHESIS_TIMEOUT = 10.0  # seconds, plus a little per character
SYNTHESIS_ATTEMPTS = 3
ENGINE_STALL = 30.0  # seconds in runAndWait(), which has no timeout, before we report it
# The espeak driver has one synthesis callback per process, hence one engine per process.
_ENGINE_LOCK = threading.Lock()


class SpokenUtterance(NamedTuple):
    """One utterance written to a WAV file or handed to the audio player."""

    index: int  # type: ignore[assignment]  # the number in the file name; hides tuple.index
    language: str
    text: str
    path: Path | None  # the kept WAV file in simulated mode, else None
    started: float  # time.monotonic() when synthesis began
    finished: float  # time.monotonic() when the audio was ready, before playback


class _Request(NamedTuple):
    text: str
    language: str
    generation: int  # stop() starts a generation, dropping older requests
    clip: Path | None = None  # a WAV file to play instead of text to speak


class Speaker(Protocol):
    """Speech output; say() only enqueues, so callers on the UI thread never block."""

    @property
    def status(self) -> DeviceStatus:
        """The current device status."""

    def say(self, text: str, language: str = "zh") -> None:
        """Queue text to be spoken after everything already queued."""

    def play(self, path: Path) -> None:
        """Queue a WAV clip to be played after everything already queued."""

    def stop(self) -> None:
        """Drop queued utterances and cut the current one short."""

    def close(self) -> None:
        """Stop speaking and release the engine."""

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or speaking; False if the timeout passed first."""


class NullSpeaker:
    """The explicit "no speech configured" speaker: records what it was asked to say."""

    def __init__(self, **options: object) -> None:
        # Voice, rate and wav_dir settings mean nothing without a speech backend.
        self.spoken: list[SpokenUtterance] = []
        self.status = DeviceStatus(DEVICE, DeviceState.DISABLED, "no speech backend configured")
        self._numbers = itertools.count(1)
        logger.info("speech disabled: no speech backend configured")

    def say(self, text: str, language: str = "zh") -> None:
        """Record the text without speaking it."""
        logger.debug("speech disabled, not saying %r (%s)", text, language)
        now = time.monotonic()
        _remember(self.spoken, SpokenUtterance(next(self._numbers), language, text, None, now, now))

    def play(self, path: Path) -> None:
        """Record the clip as "[stem]" in language "clip" without playing it."""
        logger.debug("speech disabled, not playing %s", path)
        now = time.monotonic()
        record = SpokenUtterance(next(self._numbers), CLIP, clip_label(path), None, now, now)
        _remember(self.spoken, record)

    def stop(self) -> None:
        """Nothing to stop."""

    def close(self) -> None:
        """Nothing to release."""

    def wait_idle(self, timeout: float) -> bool:
        """Always idle."""
        return True


class Pyttsx3Speaker:
    """Speaks through pyttsx3; one daemon thread owns the engine and drains a queue."""

    def __init__(
        self, voice_zh: str = "cmn", voice_en: str = "en", rate: int = 170, volume: float = 1.0,
        wav_dir: Path | str | None = None, driver: str = "espeak",
        player: Sequence[str] = ("aplay", "-q"),
    ) -> None:
        self.spoken: list[SpokenUtterance] = []
        self.voice_ids: dict[str, str] = {}  # language -> voice the engine reported using
        self._codes = {"zh": voice_zh, "en": voice_en}
        self._rate, self._volume, self._driver, self._player = rate, volume, driver, [*player]
        self._wav_dir = Path(wav_dir) if wav_dir else None
        self._ok_message = f"simulated: WAV files in {self._wav_dir}" if self._wav_dir else ""
        self._tracker = StatusTracker(DEVICE, logger, message="starting")
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 1  # engine start-up counts, so wait_idle() also waits for it
        self._generation = self._index = 0
        self._usable, self._closed = True, False
        self._busy_since: float | None = None
        self._synthesized = threading.Event()
        self._voices: list[Any] = []
        self._resolved: dict[str, str] = {}
        self._thread = threading.Thread(target=self._run, name="speech-engine", daemon=True)
        self._thread.start()

    @property
    def status(self) -> DeviceStatus:
        """The current device status; an engine stuck in runAndWait() shows as an error."""
        busy_since = self._busy_since
        if busy_since is not None and time.monotonic() - busy_since > ENGINE_STALL:
            self._tracker.update(DeviceState.ERROR, "speech engine stopped responding")
        return self._tracker.current

    def say(self, text: str, language: str = "zh") -> None:
        """Queue text; returns at once and does nothing if the engine is unavailable."""
        with self._idle:
            if self._closed or not self._usable or not text.strip():
                logger.debug("speech unavailable or nothing to say, dropping %r", text)
                return
            self._pending += 1
            self._requests.put(_Request(text, language, self._generation))

    def play(self, path: Path) -> None:
        """Queue a WAV clip; returns at once and does nothing if the engine is unavailable."""
        with self._idle:
            if self._closed or not self._usable:
                logger.debug("speech unavailable, dropping clip %s", path)
                return
            self._pending += 1
            self._requests.put(_Request(clip_label(path), CLIP, self._generation, path))

    def stop(self) -> None:
        """Drop queued utterances; a playing one is killed within POLL_INTERVAL."""
        with self._idle:
            self._generation += 1

    def close(self) -> None:
        """Stop, let the owner thread release the engine, and wait for it to end."""
        with self._idle:
            if self._closed:
                return
            self._closed, self._generation = True, self._generation + 1
        self._requests.put(None)
        self._thread.join(CLOSE_TIMEOUT)
        if self._thread.is_alive():
            logger.warning("speech engine thread did not stop within %s s", CLOSE_TIMEOUT)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or speaking; False if the timeout passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        locked = _ENGINE_LOCK.acquire(timeout=CLOSE_TIMEOUT)
        engine = self._start_engine(locked)
        while (request := self._requests.get()) is not None:
            try:
                if engine is not None and request.generation == self._generation:
                    if request.clip is not None:
                        self._play_clip(request.clip, request.text, request.generation)
                    else:
                        self._speak(engine, request.text, request.language, request.generation)
            except Exception as error:  # pyttsx3, ctypes and players fail in many ways
                self._tracker.update(DeviceState.ERROR, f"speaking failed: {error}")
            finally:
                self._busy_since = None
                self._done()
        if engine is not None:
            engine.disconnect(self._finished_token)
        del engine  # gone before another speaker may create one
        if locked:
            _ENGINE_LOCK.release()

    def _start_engine(self, locked: bool) -> Any:
        """Create the engine on this thread; on failure record why and return None."""
        try:
            if not locked:
                raise DeviceError("another Pyttsx3Speaker owns the engine in this process")
            if self._wav_dir is None and shutil.which(self._player[0]) is None:
                raise DeviceError(f"audio player {self._player[0]!r} not found")
            import pyttsx3  # the terminal extra: this module imports without it

            engine = pyttsx3.init(self._driver)
            route_driver_prints(self._driver)
            self._finished_token = engine.connect("finished-utterance", self._on_finished)
            self._voices = list(engine.getProperty("voices"))
            self._default_voice = str(engine.getProperty("voice") or "")
            self.voice_ids = {language: self._voice_for(language) for language in self._codes}
            if self._wav_dir is not None:  # continue the numbering: never overwrite a file
                self._wav_dir.mkdir(parents=True, exist_ok=True)
                numbers = (path.name.split("-")[0] for path in self._wav_dir.glob("*-*.wav"))
                self._index = max((int(n) for n in numbers if n.isdigit()), default=0)
        except Exception as error:  # ImportError, OSError, RuntimeError from espeak ...
            with self._idle:
                self._usable = False
            self._tracker.update(DeviceState.ERROR, f"speech engine unavailable: {error}")
            return None
        else:
            self._tracker.update(DeviceState.OK, self._ok_message)
            return engine
        finally:
            self._done()

    def _voice_for(self, language: str) -> str:
        if language not in self._resolved:
            code = self._codes.get(language, language)
            voice_id = choose_voice(self._voices, code)
            if voice_id is None:
                voice_id = self._default_voice
                logger.warning("no voice matches %r; using the default %r", code, voice_id)
            self._resolved[language] = voice_id
        return self._resolved[language]

    def _on_finished(self, name: str | None = None, completed: bool = True, **_: Any) -> None:
        # Runs on espeak's thread; the driver sometimes adds a stray completed=False.
        if completed:
            self._synthesized.set()

    def _speak(self, engine: Any, text: str, language: str, generation: int) -> None:
        self._index += 1
        if self._wav_dir:
            path = self._wav_dir / f"{self._index:04d}-{language}.wav"
        else:  # deleted after playback
            handle, name = tempfile.mkstemp(prefix="hallkiosk-speech-", suffix=".wav")
            os.close(handle)
            path = Path(name)
        try:
            started = time.monotonic()
            self._synthesize(engine, text, language, path)
            record = SpokenUtterance(self._index, language, text, path if self._wav_dir else None,
                                     started, time.monotonic())
            if self._wav_dir or generation == self._generation:  # else stopped meanwhile
                _remember(self.spoken, record)
                if not self._wav_dir:
                    play_wav(path, self._player, lambda: generation != self._generation)
        finally:
            if not self._wav_dir:
                path.unlink(missing_ok=True)
        self._tracker.update(DeviceState.OK, self._ok_message)

    def _play_clip(self, clip: Path, label: str, generation: int) -> None:
        """Play clip with the player, or in simulated mode copy it into wav_dir."""
        self._index += 1
        started = time.monotonic()
        path = None
        if self._wav_dir:
            path = self._wav_dir / f"{self._index:04d}-{CLIP}.wav"
            shutil.copyfile(clip, path)
        _remember(self.spoken, SpokenUtterance(self._index, CLIP, label, path, started,
                                               time.monotonic()))
        if not self._wav_dir:
            play_wav(clip, self._player, lambda: generation != self._generation)
        self._tracker.update(DeviceState.OK, self._ok_message)

    def _synthesize(self, engine: Any, text: str, language: str, path: Path) -> None:
        voice_id = self._voice_for(language)
        settings = {"voice": voice_id, "rate": self._rate, "volume": self._volume}
        timeout = SYNTHESIS_TIMEOUT + len(text) / 50
        for _attempt in range(SYNTHESIS_ATTEMPTS):
            self._synthesized.clear()
            self._busy_since = time.monotonic()
            for name, value in settings.items():
                engine.setProperty(name, value)
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            # The first runAndWait() returns before espeak's thread has written the file.
            if not self._synthesized.wait(timeout):
                raise DeviceError(f"speech synthesis did not finish within {timeout:.0f} s")
            self._busy_since = None
            if path.is_file() and path.stat().st_size > 44:  # 44 bytes: a bare WAV header
                break
            # Measured on about 1 clip in 100 to 300 back to back: the espeak driver cancels a
            # fresh clip with a stale stop flag and writes a bare header; the next try works.
            logger.debug("speech synthesis wrote no audio to %s; trying again", path.name)
        else:
            raise DeviceError(f"speech synthesis wrote no audio to {path.name}")
        self.voice_ids[language] = str(engine.getProperty("voice") or voice_id)


def clip_label(path: Path) -> str:
    """How a played clip shows in `spoken`: "[chime]" for chime.wav."""
    return f"[{path.stem}]"


def _remember(spoken: list[SpokenUtterance], utterance: SpokenUtterance) -> None:
    spoken.append(utterance)
    del spoken[:-HISTORY]


SPEAKERS: dict[str, Callable[..., Speaker]] = {"pyttsx3": Pyttsx3Speaker, "null": NullSpeaker}


def make_speaker(backend: str, **options: Any) -> Speaker:
    """Build the speaker named in the configuration: "pyttsx3" or "null"."""
    if backend not in SPEAKERS:
        expected = ", ".join(sorted(SPEAKERS))
        raise DeviceError(f"unknown speech backend {backend!r}; expected one of: {expected}")
    try:
        return SPEAKERS[backend](**options)
    except TypeError as error:  # a misspelt option in the configuration
        raise DeviceError(f"bad option for speech backend {backend!r}: {error}") from error
