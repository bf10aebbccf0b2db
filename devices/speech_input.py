"""The terminal's listener: audio source -> voice detection -> engine, on a worker thread.

:class:`SpeechListener` implements :class:`devices.listening.Listener` for any engine
(pocketsphinx, Vosk, FunASR) and any audio source (the microphone, or a WAV file for
tests and the ``wav`` debug setting); :func:`make_listener` builds the configured one
and falls back to :class:`NullListener`, logged, when the engine cannot be used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devices.audio_input import AudioSource, MicrophoneSource, WavSource, microphone_present
from devices.funasr import FunasrEngine
from devices.listening import Heard, Listener, ListenError, NullListener
from devices.recognizers import Engine, PocketsphinxEngine, Recognizer, VoskEngine, unavailable
from devices.utterance import Timing, not_heard, utterance_frames
from protocol.config import TerminalConfig

log = logging.getLogger(__name__)


@dataclass
class _Session:
    """One press of the talk button: its callbacks and whether it was released or dropped."""

    on_partial: Callable[[str], None]
    on_final: Callable[[Heard], None]
    on_error: Callable[[ListenError], None]
    released: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)


class SpeechListener:
    """Push-to-talk recognition with one engine; every callback comes from a worker thread."""

    def __init__(self, engine: Engine, open_source: Callable[[], AudioSource],
                 timing: Timing | None = None, has_input: bool = True) -> None:
        self.engine = engine
        self._has_input = has_input
        self._open_source = open_source
        self.timing = timing or Timing()
        self._session: _Session | None = None
        self._lock = threading.Lock()
        self.last_latency = 0.0  # seconds from the end of speech to the final text

    @property
    def available(self) -> bool:
        """Whether there was an input device when the terminal started (the engine is checked
        when the listener is built)."""
        return self._has_input

    def start(self, on_partial: Callable[[str], None], on_final: Callable[[Heard], None],
              on_error: Callable[[ListenError], None]) -> None:
        """Begin an utterance on a worker thread (a running one is dropped silently)."""
        session = _Session(on_partial, on_final, on_error)
        with self._lock:
            if self._session is not None:
                self._session.cancelled.set()
            self._session = session
        threading.Thread(target=self._run, args=(session,), name="listener",
                         daemon=True).start()

    def stop(self) -> None:
        """The button was released: finish the utterance."""
        with self._lock:
            if self._session is not None:
                self._session.released.set()

    def cancel(self) -> None:
        """Drop the utterance; no callback follows."""
        with self._lock:
            if self._session is not None:
                self._session.cancelled.set()
                self._session = None

    def _run(self, session: _Session) -> None:
        try:
            heard = self._listen(session)
        except ListenError as error:
            log.info("listener (%s): %s", self.engine.name, error.reason)
            if not session.cancelled.is_set():
                session.on_error(error)
        except Exception as error:  # an engine's own failure must still answer the visitor
            log.exception("listener (%s) failed", self.engine.name)
            if not session.cancelled.is_set():
                session.on_error(unavailable(f"{self.engine.name}: {error}"))
        else:
            if heard is not None and not session.cancelled.is_set():
                session.on_final(heard)
        finally:
            with self._lock:
                if self._session is session:
                    self._session = None

    def _listen(self, session: _Session) -> Heard | None:
        source = self._open_source()
        try:
            recognizer = self.engine.open()
            try:
                text = self._recognise(session, source, recognizer)
            except BaseException:
                recognizer.abort()
                raise
        finally:
            source.close()
        if session.cancelled.is_set():
            return None
        if not text:
            raise not_heard(f"{self.engine.name} recognised nothing")
        return Heard(text=text, language=self.engine.language)

    def _recognise(self, session: _Session, source: AudioSource, recognizer: Recognizer) -> str:
        shown = ""
        for frame in utterance_frames(source, self.timing, session.released, session.cancelled):
            partial = recognizer.feed(frame)
            if partial and partial != shown and not session.cancelled.is_set():
                shown = partial
                session.on_partial(partial)
        if session.cancelled.is_set():
            recognizer.abort()
            return ""
        ended = time.monotonic()
        text = recognizer.finish()
        self.last_latency = time.monotonic() - ended
        return text


def _prepare(engine: Engine) -> None:
    try:
        engine.prepare()
    except ListenError as error:  # the first press reports it to the visitor
        log.error("speech engine %s not ready: %s", engine.name, error.reason)
    except Exception:  # a background load must not die silently
        log.exception("speech engine %s failed to load", engine.name)


def make_engine(config: TerminalConfig) -> Engine | None:
    """The configured engine, or None (logged) when it is `none` or cannot be used here."""
    settings = config.listening
    if settings.engine == "pocketsphinx":
        return PocketsphinxEngine()
    if settings.engine == "vosk":
        folder = Path(settings.model_path).expanduser()
        if not (folder / "am").is_dir():
            log.error("speech input off: the Vosk model folder %s is missing or is not an "
                      "unpacked Vosk model (deploy/README.md, Speech input)", folder)
            return None
        return VoskEngine(folder, settings.language)
    if settings.engine == "funasr":
        log.info("speech input: questions are sent to the FunASR server %s",
                 settings.server_url)
        return FunasrEngine(settings.server_url, settings.engine_timeout,
                            settings.funasr_mode, settings.language)
    return None


def make_listener(config: TerminalConfig) -> Listener:
    """The terminal's listener from its `[listening]` settings; NullListener when off."""
    settings = config.listening
    engine = make_engine(config)
    if engine is None:
        return NullListener()
    threading.Thread(target=_prepare, args=(engine,), name="listener-load", daemon=True).start()
    timing = Timing(no_speech_timeout=settings.no_speech_timeout,
                    end_silence=settings.end_silence, max_utterance=settings.max_utterance,
                    vad_aggressiveness=settings.vad_aggressiveness)
    if settings.wav:
        wav = Path(settings.wav).expanduser()
        log.warning("speech input reads %s instead of the microphone", wav)
        return SpeechListener(engine, lambda: WavSource(wav, realtime=True), timing)
    device = settings.device
    has_input = microphone_present(device)
    if not has_input:
        log.error("speech input off: no microphone (input device %r)", device or "default")
    return SpeechListener(engine, lambda: MicrophoneSource(device), timing, has_input)
