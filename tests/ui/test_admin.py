"""The admin screen: hidden entry, PIN check, and the only way out of the app."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import ADMIN_PIN


def enter_pin(ui: Any, pin: str) -> None:
    pad = ui.screen
    for digit in pin:
        ui.tap(digit)
    ui.tap("确定")
    assert ui.wait_until(lambda: not pad.checking)  # PBKDF2 runs in a worker
    ui.frames(2)


def open_pin_pad(ui: Any) -> None:
    ui.tap(ui.screen)
    for _ in range(5):
        ui.tap("欢迎！请选择您要办理的事项")
    assert ui.app.nav.current == "admin_login"


def test_wrong_pin_is_refused_and_right_pin_opens_admin(ui: Any) -> None:
    open_pin_pad(ui)
    enter_pin(ui, "000000")
    assert ui.app.nav.current == "admin_login"
    assert ui.screen.attempts == 1
    enter_pin(ui, ADMIN_PIN)
    assert ui.app.nav.current == "admin"
    shown = "\n".join(ui.texts())
    assert ui.app.library.version in shown
