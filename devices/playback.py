"""Play a WAV file in a player process that can be killed at once (stop()).

pyttsx3's own playback cannot be interrupted (see devices/speech.py), so
speech plays the synthesized file with an external player such as aplay.
"""

from __future__ import annotations

import subprocess
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

from devices.status import DeviceError

PLAYER_GRACE = 5.0  # seconds a player may run beyond the clip's length
CLOSE_TIMEOUT = 5.0
POLL_INTERVAL = 0.02  # how soon a playing utterance notices stop()


def play_wav(path: Path, player: Sequence[str], stopped: Callable[[], bool]) -> None:
    """Play path with the player command until it ends or stopped() turns true."""
    with wave.open(str(path), "rb") as audio:
        limit = audio.getnframes() / audio.getframerate() + PLAYER_GRACE
    deadline = time.monotonic() + limit
    command = [*player, str(path)]
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as error:
        raise DeviceError(f"cannot start audio player: {error}") from error
    with process:
        while process.poll() is None:
            if stopped() or time.monotonic() > deadline:
                process.kill()
                process.wait(CLOSE_TIMEOUT)
                if stopped():
                    return
                raise DeviceError(f"audio player ran past {limit:.0f} s")
            time.sleep(POLL_INTERVAL)
        errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise DeviceError(f"audio player exited with {process.returncode}: {errors[-200:]}")
