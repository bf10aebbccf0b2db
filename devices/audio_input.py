"""Where the listener's audio comes from: the microphone (PortAudio) or a WAV file.

Every source gives the same thing: 16 kHz mono 16-bit PCM in 30 ms frames, the
unit webrtcvad and every engine accept, so a WAV file can feed exactly the
pipeline a microphone does (tests, demos and the ``wav`` debug setting).
"""

from __future__ import annotations

import logging
import queue
import time
import wave
from array import array
from pathlib import Path
from typing import Any, Protocol

from devices.listening import NO_MICROPHONE, ListenError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FRAME_MS = 30
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2


class AudioSource(Protocol):
    """An open stream of 30 ms frames of 16 kHz mono 16-bit PCM."""

    def read(self, timeout: float) -> bytes | None:
        """The next frame, or None when the source has ended (a WAV file's end)."""
        ...

    def close(self) -> None:
        """Release the device or file."""
        ...


def no_microphone(reason: str) -> ListenError:
    """The visitor-facing error for a missing or broken microphone."""
    return ListenError(f"microphone: {reason}", *NO_MICROPHONE)


def to_mono_16k(pcm: bytes, channels: int, rate: int) -> bytes:
    """16-bit PCM of any channel count and rate as 16 kHz mono (linear interpolation)."""
    samples = array("h", pcm)
    if channels > 1:
        samples = array("h", (sum(samples[i:i + channels]) // channels
                              for i in range(0, len(samples) - channels + 1, channels)))
    if rate == SAMPLE_RATE or not samples:
        return samples.tobytes()
    step = rate / SAMPLE_RATE
    last = len(samples) - 1
    out = array("h")
    for index in range(int(len(samples) / step)):
        position = index * step
        left = int(position)
        right = min(left + 1, last)
        fraction = position - left
        out.append(int(samples[left] + (samples[right] - samples[left]) * fraction))
    return out.tobytes()


def microphone_present(device: str = "") -> bool:
    """Whether PortAudio can be loaded and has the input device (the default when empty)."""
    try:
        import sounddevice
    except (ImportError, OSError) as error:  # a missing libportaudio2 is an OSError
        log.info("no microphone: sounddevice/PortAudio not usable: %s", error)
        return False
    try:
        sounddevice.query_devices(device or None, kind="input")
    except (sounddevice.PortAudioError, ValueError) as error:
        log.info("no microphone: %s", error)
        return False
    return True


class WavSource:
    """A WAV file (16-bit PCM, any rate or channel count) read as 30 ms frames; a short last
    frame is padded with silence. realtime paces the frames like a microphone (partial text
    shows as it would); otherwise they come as fast as the pipeline takes them."""

    def __init__(self, path: Path, realtime: bool = False) -> None:
        self._realtime = realtime
        self._next = 0.0
        try:
            with wave.open(str(path), "rb") as wav:
                if wav.getsampwidth() != 2:
                    raise ListenError(f"{path}: not 16-bit PCM", *NO_MICROPHONE)
                pcm = wav.readframes(wav.getnframes())
                self._pcm = to_mono_16k(pcm, wav.getnchannels(), wav.getframerate())
        except (OSError, EOFError, wave.Error) as error:
            raise no_microphone(f"cannot read {path}: {error}") from error
        self._offset = 0

    def read(self, timeout: float) -> bytes | None:
        """The next frame, or None at the end of the file."""
        if self._offset >= len(self._pcm):
            return None
        if self._realtime:
            now = time.monotonic()
            self._next = max(self._next, now) + FRAME_MS / 1000
            time.sleep(self._next - now)
        frame = self._pcm[self._offset:self._offset + FRAME_BYTES]
        self._offset += FRAME_BYTES
        return frame.ljust(FRAME_BYTES, b"\0")

    def close(self) -> None:
        """Nothing to release: the file was read whole."""


class MicrophoneSource:
    """The default input device through sounddevice (PortAudio), 16 kHz mono 16-bit.

    PortAudio calls back on its own thread; frames wait in a bounded queue, and the oldest
    are dropped if the pipeline falls behind (never blocking the audio thread)."""

    def __init__(self, device: str = "") -> None:
        try:
            import sounddevice  # PortAudio is loaded here; a missing libportaudio2 is OSError
        except (ImportError, OSError) as error:
            raise no_microphone(f"sounddevice/PortAudio not usable: {error}") from error
        self._frames: queue.Queue[bytes] = queue.Queue(maxsize=200)
        try:
            sounddevice.query_devices(device or None, kind="input")
            self._stream = sounddevice.RawInputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=FRAME_SAMPLES,
                device=device or None, callback=self._on_audio)
            self._stream.start()
        except (sounddevice.PortAudioError, ValueError) as error:
            raise no_microphone(str(error)) from error

    def _on_audio(self, data: Any, frames: int, time: Any, status: Any) -> None:
        if status:
            log.debug("microphone: %s", status)
        chunk = bytes(data)
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(chunk)

    def read(self, timeout: float) -> bytes | None:
        """The next frame; a stalled device raises the no-microphone error."""
        try:
            return self._frames.get(timeout=timeout)
        except queue.Empty:
            raise no_microphone(f"no audio for {timeout:.1f} s") from None

    def close(self) -> None:
        """Stop and close the PortAudio stream."""
        try:
            self._stream.stop()
            self._stream.close()
        except Exception as error:  # closing runs in a finally and must not raise
            log.warning("microphone did not close cleanly: %s", error)
