"""Read-aloud speaks the screen's main text through the real speech thread, never blocking."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

from protocol.config import merge


def wav_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wav")) if folder.exists() else []


def test_read_aloud_button_speaks_without_blocking(ui: Any, ui_data_dir: Path) -> None:
    speech_dir = ui_data_dir / "speech"
    before = len(wav_files(speech_dir))
    ui.tap(ui.screen)
    ui.tap("常见问题")
    started = time.perf_counter()
    ui.tap("朗读")
    tapped = time.perf_counter() - started
    assert tapped < 1.0, f"the tap took {tapped:.2f}s: speech must not block the UI"
    assert ui.app.speaker.wait_idle(timeout=30)
    files = wav_files(speech_dir)
    assert len(files) == before + 1
    with wave.open(str(files[-1])) as audio:
        assert audio.getnframes() / audio.getframerate() > 0.5
    spoken_text = ui.app.speaker.spoken[-1][2]
    assert spoken_text.startswith(ui.screen.speech_text()[:10])


def test_read_every_screen_on_entering_when_switched_on(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("长辈版与无障碍")
    count = len(ui.app.speaker.spoken)
    ui.app.state.read_aloud = True  # what the 朗读 "On" button and the robot profile set
    ui.tap("首页")
    assert ui.app.speaker.wait_idle(timeout=30)
    assert len(ui.app.speaker.spoken) == count + 1
    assert ui.app.speaker.spoken[-1][2] == ui.screen.speech_text()
    ui.tap("办事指南")
    assert ui.app.speaker.wait_idle(timeout=30)
    assert ui.app.speaker.spoken[-1][2] == ui.screen.speech_text()


def test_robot_profile_greets_and_reads_screens_by_default(ui: Any) -> None:
    app = ui.app
    query_config = app.terminal_config
    app.terminal_config = merge(query_config, {"terminal": {"profile": "robot"}})
    try:
        app.reset_session()  # a new visitor session picks up the profile's defaults
        assert app.state.read_aloud
        ui.tap(ui.screen)
        assert app.speaker.wait_idle(timeout=30)
        spoken = [entry[2] for entry in app.speaker.spoken[-2:]]
        assert spoken[0].startswith("您好")  # the greeting, then the home screen read aloud
        assert spoken[1] == ui.screen.speech_text()
    finally:
        app.terminal_config = query_config
        app.reset_session()
    assert not app.state.read_aloud
