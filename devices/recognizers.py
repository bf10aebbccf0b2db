"""Speech engines that run in the terminal: pocketsphinx (its bundled English model) and Vosk
(a model folder the province installs, Mandarin small model). No audio leaves the machine.

An engine is loaded once, on first use and off the UI thread; each utterance gets a
recogniser that takes frames, reports partial text and gives the final text.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from devices.audio_input import SAMPLE_RATE
from devices.listening import ENGINE_UNAVAILABLE, ListenError

log = logging.getLogger(__name__)

PARTIAL_EVERY = 10  # frames (300 ms) between pocketsphinx's partial hypotheses
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


class Recognizer(Protocol):
    """One utterance being recognised."""

    def feed(self, frame: bytes) -> str:
        """Take a frame; the partial text so far ('' while there is none)."""
        ...

    def finish(self) -> str:
        """The final text of the utterance ('' when nothing was recognised)."""
        ...

    def abort(self) -> None:
        """Drop the utterance."""
        ...


class Engine(Protocol):
    """A speech engine: its name, its language, and a recogniser per utterance."""

    name: str
    language: str

    def prepare(self) -> None:
        """Load what the first utterance would otherwise wait for (called off the UI thread)."""
        ...

    def open(self) -> Recognizer:
        """A recogniser for a new utterance; ListenError when the engine cannot run."""
        ...


def unavailable(reason: str) -> ListenError:
    """The visitor-facing error for an engine that cannot run."""
    return ListenError(reason, *ENGINE_UNAVAILABLE)


def tidy(text: str) -> str:
    """Engine text as shown: trimmed, without the spaces engines put between Chinese words."""
    return _CJK_GAP.sub("", " ".join(text.split()))


class PocketsphinxEngine:
    """CMU pocketsphinx with the English acoustic model, dictionary and language model that
    its wheel bundles."""

    name = "pocketsphinx"
    language = "en"

    def __init__(self) -> None:
        self._decoder: Any = None
        self._lock = threading.Lock()  # one utterance at a time through the one decoder

    def _load(self) -> Any:
        if self._decoder is None:
            try:
                from pocketsphinx import Decoder
                self._decoder = Decoder(samprate=SAMPLE_RATE, logfn="/dev/null")
            except (ImportError, RuntimeError, ValueError) as error:
                raise unavailable(f"pocketsphinx: {error}") from error
        return self._decoder

    def prepare(self) -> None:
        """Load the decoder (about a second) before the first press."""
        with self._lock:
            self._load()

    def open(self) -> Recognizer:
        """Start an utterance on the shared decoder."""
        if not self._lock.acquire(timeout=5):
            raise unavailable("pocketsphinx is busy with another utterance")
        try:
            decoder = self._load()
            decoder.start_utt()
        except BaseException:
            self._lock.release()
            raise
        return _PocketsphinxUtterance(decoder, self._lock)


class _PocketsphinxUtterance:
    def __init__(self, decoder: Any, lock: threading.Lock) -> None:
        self._decoder = decoder
        self._lock = lock
        self._audio = bytearray()
        self._partial = ""

    def feed(self, frame: bytes) -> str:
        self._decoder.process_raw(frame, False, False)
        self._audio += frame
        if len(self._audio) % (PARTIAL_EVERY * len(frame)) == 0:
            hypothesis = self._decoder.hyp()
            self._partial = tidy(hypothesis.hypstr) if hypothesis else ""
        return self._partial

    def finish(self) -> str:
        # The streaming pass only feeds the partial text: its live feature normalisation is
        # still settling. The final text decodes the whole utterance again as one block from
        # fresh feature state (measured on espeak-ng: "how do i apply for the lady" streamed,
        # "how do i apply for legal aid" this way; about 0.8 s for 2 s of speech).
        try:
            self._decoder.end_utt()
            self._decoder.reinit_feat()
            self._decoder.start_utt()
            self._decoder.process_raw(bytes(self._audio), False, True)
            self._decoder.end_utt()
            hypothesis = self._decoder.hyp()
            return tidy(hypothesis.hypstr) if hypothesis else ""
        finally:
            self._lock.release()

    def abort(self) -> None:
        try:
            self._decoder.end_utt()
        finally:
            self._lock.release()


class VoskEngine:
    """Vosk (Kaldi) with a model folder installed by the province, e.g. the Mandarin small
    model vosk-model-small-cn-0.22 unpacked to /var/lib/hallkiosk/vosk-model-small-cn."""

    name = "vosk"

    def __init__(self, model_path: Path, language: str = "zh") -> None:
        self.model_path = model_path
        self.language = language
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        """The vosk module and the loaded model."""
        with self._lock:
            try:
                import vosk
            except ImportError as error:
                raise unavailable("vosk is not installed (pip install vosk)") from error
            if self._model is None:
                try:
                    vosk.SetLogLevel(-1)
                    self._model = vosk.Model(str(self.model_path))
                except Exception as error:  # vosk raises a bare Exception for a bad model
                    raise unavailable(f"vosk model {self.model_path}: {error}") from error
            return vosk, self._model

    def prepare(self) -> None:
        """Load the model (seconds for the small Mandarin model) before the first press."""
        self._load()

    def open(self) -> Recognizer:
        """A Kaldi recogniser for a new utterance on the loaded model."""
        vosk, model = self._load()
        return _VoskUtterance(vosk.KaldiRecognizer(model, SAMPLE_RATE))


class _VoskUtterance:
    def __init__(self, recognizer: Any) -> None:
        self._recognizer = recognizer
        self._done: list[str] = []  # segments Kaldi already closed at a pause

    def _text(self, pending: str) -> str:
        return tidy(" ".join([*self._done, pending]))

    def feed(self, frame: bytes) -> str:
        if self._recognizer.AcceptWaveform(frame):
            self._done.append(json.loads(self._recognizer.Result()).get("text", ""))
            return self._text("")
        return self._text(json.loads(self._recognizer.PartialResult()).get("partial", ""))

    def finish(self) -> str:
        return self._text(json.loads(self._recognizer.FinalResult()).get("text", ""))

    def abort(self) -> None:
        self._recognizer.Reset()
