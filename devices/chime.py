"""The calling chime: a short two-tone "ding-dong" WAV, generated once and cached in a file.

Generated rather than shipped so that no audio asset has to be licensed or kept in the
repository; the standard library is enough (no numpy on the terminal).
"""

from __future__ import annotations

import array
import math
import os
import sys
import tempfile
import wave
from pathlib import Path

from devices.status import DeviceError

SAMPLE_RATE = 22050  # Hz; mono, 16-bit
TONES = (659.25, 523.25)  # E5 then C5: the falling third of a door chime
TONE_SECONDS = 0.4  # each tone; the chime lasts 0.8 s
AMPLITUDE = 0.5  # of full scale: loud enough, with room for the overtone
OVERTONE = 0.25  # relative level of the octave above, for a bell-like colour
DECAY = 4.0  # per second: each tone rings and fades like a struck bell
FADE_SECONDS = 0.01  # linear fade at both ends of each tone, so the speaker does not click


def default_chime_path() -> Path:
    """Where the chime is cached unless told otherwise: the user's cache folder."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "hallkiosk" / "chime.wav"


def chime_frames(rate: int = SAMPLE_RATE) -> int:
    """How many samples the chime has at rate."""
    return len(TONES) * round(TONE_SECONDS * rate)


def chime_samples(rate: int = SAMPLE_RATE) -> array.array[int]:
    """The chime as signed 16-bit samples."""
    per_tone, fade = round(TONE_SECONDS * rate), max(1, round(FADE_SECONDS * rate))
    samples = array.array("h")
    for frequency in TONES:
        for n in range(per_tone):
            t = n / rate
            ramp = min(1.0, n / fade, (per_tone - 1 - n) / fade)
            envelope = AMPLITUDE * math.exp(-DECAY * t) * ramp
            wave_value = math.sin(2 * math.pi * frequency * t)
            wave_value += OVERTONE * math.sin(4 * math.pi * frequency * t)
            samples.append(round(32767 * envelope * wave_value / (1 + OVERTONE)))
    return samples


def write_chime(path: Path, rate: int = SAMPLE_RATE) -> Path:
    """Write the chime to path as a 16-bit mono WAV file; returns path."""
    samples = chime_samples(rate)
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a reader never sees half a file.
    handle, name = tempfile.mkstemp(prefix=".chime-", suffix=".wav", dir=path.parent)
    os.close(handle)
    try:
        with wave.open(name, "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(rate)
            audio.writeframes(samples.tobytes())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path


def ensure_chime(path: Path | None = None, rate: int = SAMPLE_RATE) -> Path:
    """The cached chime file, written first if missing or not the expected WAV."""
    path = path or default_chime_path()
    try:
        with wave.open(str(path), "rb") as audio:
            shape = (audio.getnchannels(), audio.getsampwidth(), audio.getframerate(),
                     audio.getnframes())
        if shape == (1, 2, rate, chime_frames(rate)):
            return path
    except (OSError, EOFError, wave.Error):  # missing, truncated or not a WAV: write it
        pass
    try:
        return write_chime(path, rate)
    except OSError as error:
        raise DeviceError(f"cannot write the chime to {path}: {error}") from error
