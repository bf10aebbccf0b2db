"""Visitor journeys on the real app with real touches."""

from __future__ import annotations

from typing import Any

from content.install import SEED
from content.loader import load_source

SEED_CONTENT = load_source(SEED)


def start(ui: Any) -> None:
    """Touch the attract loop."""
    ui.tap(ui.screen)
    assert ui.app.nav.current == "home"


def test_attract_home_guide_detail_and_back(ui: Any) -> None:
    start(ui)
    ui.tap("办事指南")
    assert ui.app.nav.current == "categories"
    ui.tap("法律援助")
    assert ui.app.nav.current == "guide_list"
    rows = ui.screen.ids.rows.data
    guide = next(g for g in SEED_CONTENT.guides if g.category == "legal-aid")
    ui.tap(guide.title)
    assert ui.app.nav.current == "guide_detail"
    texts = ui.texts()
    assert guide.title in texts[:5]
    shown = "\n".join(texts)
    for material in guide.materials:
        assert material.name in shown  # every material is told at once (一次性告知)
    ui.tap("返回")
    assert ui.app.nav.current == "guide_list"
    assert ui.screen.ids.rows.data is rows  # back keeps the list (and where it was scrolled)
    ui.tap("返回")
    ui.tap("公证")
    assert {row["key"] for row in ui.screen.ids.rows.data} == {
        g.code for g in SEED_CONTENT.guides if g.category == "notary"}
    ui.tap("首页")
    assert ui.app.nav.current == "home"


def test_search_flyz_opens_first_result(ui: Any) -> None:
    start(ui)
    ui.tap("搜索")
    for letter in "FLYZ":
        ui.tap(letter)
    screen = ui.screen
    assert screen.query == "FLYZ"
    results = screen.ids.results.data
    assert results and "法律援助" in results[0]["title"]
    ui.tap(ui.find(results[0]["title"], root=screen.ids.results))
    assert ui.app.nav.current in {"guide_list", "guide_detail", "flow", "faq_detail"}
    assert "法律援助" in ui.screen.title


def test_elder_mode_enlarges_text_and_targets(ui: Any) -> None:
    start(ui)
    ui.tap("办事指南")
    from kivy.uix.label import Label

    label = ui.find("法律援助", kind=Label)
    button = ui.find("返回")
    before_font, before_height = label.font_size, button.height
    ui.tap("长辈版")
    assert ui.app.theme.elder
    assert label.font_size > before_font * 1.2
    assert button.height > before_height and button.height >= 60
    ui.tap("标准版")
    assert label.font_size == before_font


def test_language_switch_changes_home_tiles(ui: Any) -> None:
    start(ui)
    assert "办事指南" in ui.texts()
    ui.tap("English")
    texts = ui.texts()
    assert "Service guides" in texts and "办事指南" not in texts
    ui.tap("Service guides")
    assert "Legal aid" in ui.texts()  # content shows its English fields
    ui.tap("中文")
    assert "法律援助" in ui.texts()


def test_escape_and_window_close_do_not_exit(ui: Any) -> None:
    from kivy.core.window import Window

    start(ui)
    assert ui.key(27) is True  # consumed: Kivy does not stop the app
    ui.key(282)  # F1 opens Kivy's settings panel in an ordinary Kivy app
    assert ui.app._app_settings is None and ui.app.nav.current == "home"
    assert Window.dispatch("on_request_close") is True
    ui.frames(2)
    assert ui.app.nav.current == "home"
    assert not ui.app.allow_exit

