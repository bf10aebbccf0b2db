"""The one idle timer: countdown with 继续使用, then back to the attract loop, inputs cleared."""

from __future__ import annotations

from typing import Any


def go_quiet(ui: Any, seconds: float) -> None:
    """Pretend nobody touched the screen for some seconds, then let the timer check."""
    ui.app.idle.last_activity -= seconds
    ui.frames(1)
    ui.app.idle._check(0)
    ui.frames(3)


def type_query(ui: Any, letters: str) -> None:
    ui.tap(ui.screen)
    ui.tap("搜索")
    for letter in letters:
        ui.tap(letter)


def test_countdown_then_reset_clears_search(ui: Any) -> None:
    type_query(ui, "GZ")
    assert ui.screen.query == "GZ"
    timeout = ui.app.idle.timeout
    go_quiet(ui, timeout + 1)
    assert "继续使用" in ui.texts()  # the countdown overlay is up
    assert ui.app.nav.current == "search"
    go_quiet(ui, ui.app.idle.countdown + 1)
    assert ui.app.nav.current == "attract"
    assert "继续使用" not in ui.texts()
    ui.tap(ui.screen)
    ui.tap("搜索")
    assert ui.screen.query == ""
    assert ui.screen.ids.results.data == []


def test_continue_keeps_the_session(ui: Any) -> None:
    type_query(ui, "FL")
    go_quiet(ui, ui.app.idle.timeout + 1)
    rows = list(ui.screen.ids.results.data)
    ui.tap("继续使用")
    assert "继续使用" not in ui.texts()
    assert ui.app.nav.current == "search"  # the waking touch pressed nothing underneath
    assert ui.screen.ids.results.data == rows
    go_quiet(ui, ui.app.idle.countdown + 1)  # quiet again, but the clock restarted
    assert ui.app.nav.current == "search"
    assert ui.screen.query == "FL"


def test_elder_mode_waits_longer_and_resets_to_defaults(ui: Any) -> None:
    ui.tap(ui.screen)
    normal = ui.app.idle.timeout
    ui.tap("长辈版")
    assert ui.app.idle.timeout > normal
    go_quiet(ui, normal + 1)
    assert "继续使用" not in ui.texts()  # the normal limit is not enough in elder mode
    ui.app.idle.expire_now()
    ui.frames(3)
    assert ui.app.nav.current == "attract"
    assert not ui.app.theme.elder  # the next visitor starts in the standard mode


def test_the_countdown_opened_for_every_visitor_gains_no_bindings(ui: Any) -> None:
    """Kivy's ModalView binds its centring on every open and never unbinds it: the countdown
    opened once a visitor would hold two more bindings a visitor (kiosk.widgets.Overlay)."""
    overlay = ui.app.countdown

    def observers() -> int:
        return len(overlay.get_property_observers("center")) + len(
            overlay.get_property_observers("size"))

    ui.tap(ui.screen)
    go_quiet(ui, ui.app.idle.timeout + 1)
    assert overlay._is_open
    ui.tap("继续使用")
    counted = observers()
    for _visitor in range(3):
        go_quiet(ui, ui.app.idle.timeout + 1)
        assert "继续使用" in ui.texts()
        ui.tap("继续使用")
        assert "继续使用" not in ui.texts()
    assert observers() == counted
