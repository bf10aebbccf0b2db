"""Speech input: the Listener interface the ask screen uses, and a null listener.

A listener turns the visitor's voice into text. The screen starts it when the
visitor presses 按住说话 (or taps 点击说话) and stops it on release; recognition
runs off the UI thread, so every callback may arrive on any thread and the caller
must hop to its own (Kivy: ``Clock.schedule_once``).

Engines (Vosk, a FunASR runtime server, pocketsphinx) live in their own modules
and implement this same interface; the terminal picks one from its configuration
and falls back to :class:`NullListener` when none is installed, so the typed path
always works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

DEVICE = "listener"


@dataclass(frozen=True)
class Heard:
    """What the listener made of one utterance."""

    text: str  # the recognised text, stripped; never empty
    language: str  # "zh" or "en": the engine's language


class ListenError(Exception):
    """Why nothing was heard, with a message for the visitor in Chinese and English."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(reason)
        self.reason = reason  # for the log
        self.zh = zh
        self.en = en


NOT_HEARD = ("没听清，请再说一遍", "Sorry, I did not catch that. Please say it again.")
NO_MICROPHONE = ("话筒暂时不能用，请用键盘输入问题",
                 "The microphone is not available; please type your question.")
ENGINE_UNAVAILABLE = ("语音识别暂时不能用，请用键盘输入问题",
                      "Speech recognition is not available right now; please type your question.")


class Listener(Protocol):
    """A speech recogniser with push-to-talk."""

    @property
    def available(self) -> bool:
        """Whether this listener can hear at all (a microphone and an engine are present)."""
        ...

    def start(self, on_partial: Callable[[str], None], on_final: Callable[[Heard], None],
              on_error: Callable[[ListenError], None]) -> None:
        """Begin listening. Partial text goes to on_partial while the visitor speaks; exactly one
        of on_final or on_error is called per start (also after stop())."""
        ...

    def stop(self) -> None:
        """The visitor released the button: finish the utterance and report it."""
        ...

    def cancel(self) -> None:
        """Drop the utterance without reporting it (the visitor left the screen)."""
        ...


class NullListener:
    """No speech input on this terminal: the ask screen hides its talk button."""

    @property
    def available(self) -> bool:
        return False

    def start(self, on_partial: Callable[[str], None], on_final: Callable[[Heard], None],
              on_error: Callable[[ListenError], None]) -> None:
        on_error(ListenError("no speech input configured", *NO_MICROPHONE))

    def stop(self) -> None:
        """Nothing to stop."""

    def cancel(self) -> None:
        """Nothing to cancel."""
