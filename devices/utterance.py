"""Cut one utterance out of an audio source with voice-activity detection (webrtcvad).

Push-to-talk: the utterance starts at the first speech after the button is pressed
(with a little audio before it, so the first syllable is not clipped) and ends when
the button is released, after a stretch of silence (tap-to-talk), at the maximum
length, or when a WAV source ends. No speech before the timeout is "not heard".
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from devices.audio_input import FRAME_MS, SAMPLE_RATE, AudioSource
from devices.listening import NOT_HEARD, ListenError

ONSET_FRAMES = 5  # a window of this many frames ...
ONSET_VOICED = 4  # ... with this many voiced ones starts the utterance


@dataclass(frozen=True)
class Timing:
    """How long the pipeline waits and listens, in seconds."""

    no_speech_timeout: float = 6.0  # from the press to the first speech
    end_silence: float = 1.0  # silence that ends the utterance before the release
    max_utterance: float = 15.0  # the longest question taken
    pre_roll: float = 0.3  # audio kept from before the detected start
    vad_aggressiveness: int = 2  # webrtcvad's 0 (lenient) .. 3 (strict)
    min_level: int = 300  # RMS below this is silence whatever the VAD says (hum, hiss)


def not_heard(reason: str) -> ListenError:
    """The visitor-facing "please say it again" error."""
    return ListenError(reason, *NOT_HEARD)


def rms(frame: bytes) -> float:
    """Root mean square level of a 16-bit PCM frame."""
    samples = array("h", frame)
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class VoiceDetector:
    """webrtcvad over 30 ms frames, with a level floor against steady low noise."""

    def __init__(self, timing: Timing) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(timing.vad_aggressiveness)
        self._min_level = timing.min_level

    def is_speech(self, frame: bytes) -> bool:
        """Whether this frame holds speech."""
        return rms(frame) >= self._min_level and self._vad.is_speech(frame, SAMPLE_RATE)


def utterance_frames(source: AudioSource, timing: Timing, released: threading.Event,
                     cancelled: threading.Event) -> Iterator[bytes]:
    """The frames of one utterance from source; raises the not-heard error when no speech
    starts before the timeout, the release or the end of the source."""
    detector = VoiceDetector(timing)
    frame_seconds = FRAME_MS / 1000
    before: deque[bytes] = deque(maxlen=max(ONSET_FRAMES, int(timing.pre_roll / frame_seconds)))
    window: deque[bool] = deque(maxlen=ONSET_FRAMES)
    deadline = time.monotonic() + timing.no_speech_timeout
    waited = 0.0  # audio time, so a WAV file times out like a microphone
    while True:
        if cancelled.is_set():
            return
        if released.is_set():
            raise not_heard("released before any speech")
        if time.monotonic() > deadline or waited > timing.no_speech_timeout:
            raise not_heard(f"no speech within {timing.no_speech_timeout:.0f} s")
        frame = source.read(timeout=1.0)
        if frame is None:
            raise not_heard("the audio ended before any speech")
        waited += frame_seconds
        before.append(frame)
        window.append(detector.is_speech(frame))
        if sum(window) >= ONSET_VOICED:
            break
    yield from before
    spoken = len(before) * frame_seconds
    silence = 0.0
    while not cancelled.is_set() and not released.is_set():
        if spoken >= timing.max_utterance or silence >= timing.end_silence:
            return
        frame = source.read(timeout=1.0)
        if frame is None:
            return
        yield frame
        spoken += frame_seconds
        silence = 0.0 if detector.is_speech(frame) else silence + frame_seconds
