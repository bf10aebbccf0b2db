"""Helpers for the speech input tests: spoken WAV files and a synchronous listen()."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import content
from content.library import Library
from content.loader import load_source
from content.search import SearchIndex
from devices.listening import Heard, Listener, ListenError

SEED_DIR = Path(content.__file__).parent / "seed"
# espeak-ng's en-us voice with the f2 variant is the one pocketsphinx's US English model
# hears best (measured: the plain `en` voice gives "how do people really").
ENGLISH_VOICE = "en-us+f2"
# The answers that count as right for "how do I apply for legal aid" in the seed content.
# the answers about applying for legal aid: its guides, the FAQ on who and where, the self-check
LEGAL_AID = ("FLYZ-", "FAQ-001", "FAQ-008", "intent:self-check", "flow:legal-aid-check")


def speak(text: str, path: Path, voice: str = ENGLISH_VOICE) -> Path:
    """espeak-ng's rendering of text as a WAV file (22.05 kHz, as espeak-ng writes it)."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
    return path


def sox_wav(path: Path, *effect: str, seconds: float = 3) -> Path:
    """A 16 kHz mono WAV file made by sox's synth (noise, a hum) or silence."""
    command = ["sox", "-n", "-r", "16000", "-b", "16", "-c", "1", str(path)]
    command += ["synth", str(seconds), *effect] if effect else ["trim", "0", str(seconds)]
    subprocess.run(command, check=True)
    return path


def seed_library() -> Library:
    """The seed content as the terminal loads it."""
    return Library("seed", load_source(SEED_DIR), SearchIndex([]))


@dataclass
class Outcome:
    """What one press of the talk button produced."""

    partials: list[str] = field(default_factory=list)
    heard: Heard | None = None
    error: ListenError | None = None
    calls: int = 0  # on_final and on_error calls together
    seconds: float = 0.0  # from start() to the result
    threads: set[str] = field(default_factory=set)


def listen(listener: Listener, release_after: float | None = None,
           wait: float = 30) -> Outcome:
    """Press the talk button, release it after release_after seconds (or never), and wait for
    the result."""
    outcome = Outcome()
    done = threading.Event()

    def final(heard: Heard) -> None:
        outcome.heard, outcome.calls = heard, outcome.calls + 1
        outcome.threads.add(threading.current_thread().name)
        done.set()

    def error(problem: ListenError) -> None:
        outcome.error, outcome.calls = problem, outcome.calls + 1
        outcome.threads.add(threading.current_thread().name)
        done.set()

    started = time.monotonic()
    listener.start(outcome.partials.append, final, error)
    if release_after is not None:
        done.wait(release_after)
        listener.stop()
    assert done.wait(wait), "the listener never reported"
    outcome.seconds = time.monotonic() - started
    time.sleep(0.05)  # a second report would arrive now
    return outcome
