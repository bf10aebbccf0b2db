"""Between visitors the terminal rehearses a visitor's first steps off screen
(kiosk.rehearsal): the next visitor's taps find those screens built, and a visitor who
arrives during the rehearsal stops it."""

from __future__ import annotations

from typing import Any

from tests.ui.test_released_screens import alive, open_first_guide

READY = {"home", "categories", "points", "faq", "search"}  # kept for the session
HANDED_ON = {"guide_list", "guide_detail", "point_detail"}  # left: their trees handed on


def drawn_off_screen(ui: Any) -> list[str]:
    """Screens whose canvas the window draws though the manager does not show them."""
    from kivy.core.window import Window

    shown = {id(child) for child in Window.canvas.children}
    return [screen.name for screen in ui.app.nav.built()
            if screen.parent is None and id(screen.canvas) in shown]


def test_the_next_visitor_finds_the_first_screens_ready(ui: Any) -> None:
    from kiosk.i18n import tr  # Kivy modules only once the app has configured Kivy
    from screens.base import _FREE_BODIES

    app = ui.app
    assert app.rehearsal.busy  # reset_session (the fixture) scheduled it
    assert ui.wait_until(lambda: not app.rehearsal.busy, timeout=30)
    assert app.nav.current == "attract"
    assert not drawn_off_screen(ui)  # each was drawn under the attract loop for one frame
    assert alive(ui) >= READY
    assert not alive(ui) & HANDED_ON  # left as a visitor leaves them: released
    bodies = {kind: _FREE_BODIES.get(kind)
              for kind in ("GuideListBody", "GuideDetailBody", "PointDetailBody")}
    assert all(bodies.values())
    page = bodies["GuideDetailBody"]
    assert not page.ids.column.children  # emptied on leave: no page's textures kept
    points = app.nav.manager.get_screen("points")
    assert len(points.ids.rows.data) == len(app.library.content.points)

    ui.tap(ui.screen)  # the visitor
    ui.tap(tr._("Service points"))
    assert ui.screen is points  # the rehearsed screen, not a new one
    assert points.count_text in ui.texts()
    ui.tap(tr._("Home"))
    guide = open_first_guide(ui)
    assert guide.tree is page  # the rehearsed page's widget tree
    assert guide.title in ui.texts()
    assert page.ids.column.children


def test_a_visitor_arriving_stops_the_rehearsal(ui: Any) -> None:
    from kiosk.i18n import tr

    app = ui.app
    app.rehearsal.start(delay=0)
    # a screen drawn under the attract loop as the visitor touches it
    assert ui.wait_until(lambda: "categories" in drawn_off_screen(ui), timeout=10)
    app.start_session()  # what the touch does (in the same frame)
    assert not drawn_off_screen(ui)  # taken out before home is drawn
    ui.frames(3)
    assert not app.rehearsal.busy
    assert app.nav.current == "home"
    assert not alive(ui) & {"points", "faq", "search"}  # not rehearsed any more
    ui.tap(tr._("Search"))  # built when shown, as always
    assert app.nav.current == "search"


def test_what_a_visitor_entered_is_not_rehearsed_for_the_next(ui: Any) -> None:
    from kiosk.i18n import tr

    app = ui.app
    ui.tap(ui.screen)
    ui.tap(tr._("Service points"))
    chosen = ui.screen
    chosen.set_filter("type", "notary_office", True)
    assert chosen.filtered
    app.reset_session()  # the visitor walked away
    assert ui.wait_until(lambda: not app.rehearsal.busy, timeout=30)
    ready = app.nav.manager.get_screen("points")  # rebuilt, or the one reset
    assert not ready.filtered and not any(ready.filters.values())
    assert len(ready.ids.rows.data) == len(app.library.content.points)
    ui.tap(ui.screen)
    ui.tap(tr._("Service points"))
    assert ui.screen is ready
    assert tr._("Matching service points: {count}").format(
        count=len(app.library.content.points)) in ui.texts()


def test_new_content_between_visitors_is_rehearsed_again(ui: Any) -> None:
    from content.install import load_library

    app = ui.app
    assert ui.wait_until(lambda: not app.rehearsal.busy, timeout=30)
    before = {name: app.nav.manager.get_screen(name) for name in READY - {"home"}}
    newer = load_library(app.services.config.data_dir)  # as a sync would load it
    assert newer is not None and newer is not app.library
    app.offer_library(newer)
    assert app.library is newer and app.nav.current == "attract"
    assert app.rehearsal.busy
    assert ui.wait_until(lambda: not app.rehearsal.busy, timeout=30)
    for name, screen in before.items():  # built again on the new content, not kept
        assert app.nav.manager.get_screen(name) is not screen


def test_a_screen_drawn_under_the_attract_loop_can_be_shown_at_once(ui: Any) -> None:
    """Shown in the very frame it is drawn under the attract loop, a rehearsed screen is
    drawn by the screen manager alone, and taken out of its drawing when left."""
    from kivy.core.window import Window

    app = ui.app
    manager = app.nav.manager
    app.rehearsal.start(delay=0)
    assert ui.wait_until(lambda: "categories" in drawn_off_screen(ui), timeout=10)
    categories = manager.get_screen("categories")
    app.nav.go("categories")  # as if a tap led there in this frame
    assert categories.canvas not in Window.canvas.children
    assert categories.canvas in manager.canvas.children
    ui.frames(2)
    app.nav.home()
    ui.frames(2)
    assert categories.canvas not in manager.canvas.children
    assert categories.canvas not in Window.canvas.children
    assert ui.screen.name == "home" and ui.screen.canvas in manager.canvas.children
