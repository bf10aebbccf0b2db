"""Fixtures shared by the device tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.speech import Pyttsx3Speaker, make_speaker


@pytest.fixture
def new_speaker() -> Iterator[Callable[..., Pyttsx3Speaker]]:
    """Build real pyttsx3 speakers; close them after the test (one engine per process)."""
    speakers: list[Pyttsx3Speaker] = []

    def build(**options: Any) -> Pyttsx3Speaker:
        speaker = make_speaker("pyttsx3", **options)
        assert isinstance(speaker, Pyttsx3Speaker)
        speakers.append(speaker)
        return speaker

    yield build
    for speaker in speakers:
        speaker.close()
