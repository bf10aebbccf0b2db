"""Screens are built when first shown and released when the visitor has left them; a released
screen comes back right: its text, the language switched meanwhile, 长辈版, the orientation."""

from __future__ import annotations

import gc
import itertools
import weakref
from typing import Any

LANDSCAPE, PORTRAIT = (1920, 1080), (1080, 1920)


def alive(ui: Any) -> set[str]:
    """Names of the screens the app holds now."""
    return {screen.name for screen in ui.app.nav.built()}


def font_sizes(screen: Any) -> set[float]:
    """Font sizes of the texts on a guide page."""
    from kivy.uix.label import Label  # Kivy only after the app configured it (the CJK font)

    return {w.font_size for w in screen.ids.column.walk(restrict=True) if isinstance(w, Label)}


def open_first_guide(ui: Any) -> Any:
    """Home -> 办事指南 -> the first category -> its first guide, with real taps."""
    from kiosk.i18n import tr
    from screens.base import localized

    library = ui.app.library
    category = library.categories()[0]
    ui.tap(tr._("Service guides"))
    ui.tap(localized(category, "name"))
    ui.tap(localized(library.guides_in(category.code)[0], "title"))
    assert ui.app.nav.current == "guide_detail"
    return ui.screen


def test_released_screen_is_rebuilt_in_the_current_language_mode_and_orientation(ui: Any) -> None:
    from kiosk.i18n import tr  # Kivy modules only once the app has configured Kivy
    from kiosk.navigation import KEEP_RECENT
    from screens.base import localized

    app = ui.app
    library = app.library
    guide = library.guides_in(library.categories()[0].code)[0]
    # Only what has been shown exists (earlier tests of the session leave a few screens).
    assert len(alive(ui)) < 12
    ui.tap(ui.screen)  # a visitor touches the attract loop
    assert "home" in alive(ui)

    first = open_first_guide(ui)
    assert first.title == guide.title and guide.title in ui.texts()
    assert alive(ui) >= {"categories", "guide_list", "guide_detail"}
    normal_body = app.theme.body
    assert normal_body in font_sizes(first)
    released = weakref.ref(first)
    body = first.tree  # its widget tree (header, scroll view, page, fixed widgets)

    # Home forgets the way back; four more screens push the guide out of the recent ones.
    ui.tap(tr._("Home"))
    for tile in (tr._("Service points"), tr._("Questions"), tr._("Law library"),
                 tr._("Legal calculators"))[:KEEP_RECENT]:
        ui.tap(tile)
        ui.tap(tr._("Home"))
    assert "guide_detail" not in alive(ui) and "guide_list" not in alive(ui)
    assert first.manager is None and first.parent is None
    assert first.tree is None and body.parent is None  # the tree is kept for the next page
    # Besides attract, home and the recent ones, only screens kept for the whole process
    # (admin PIN pad, enrol, display, rater: earlier tests of the session may have built them).
    for_visitors = {screen.name for screen in app.nav.built()
                    if getattr(screen, "lifetime", "visit") != "process"}
    assert {"attract", "home"} <= for_visitors and len(for_visitors) <= 2 + KEEP_RECENT + 2

    # While it is released: English, 长辈版, landscape.
    ui.tap(tr._("LANGUAGE_SWITCH"))
    assert app.state.language == "en" and tr._("Home") == "Home"
    ui.tap(tr._("Elder mode"))
    assert app.theme.elder and app.theme.body > normal_body
    ui.resize(*LANDSCAPE)

    again = open_first_guide(ui)
    assert again is not first
    title = localized(guide, "title")
    assert title != guide.title  # the seed's first guide has an English title
    assert again.title == title and title in ui.texts()
    texts = ui.texts()
    assert "Steps" in texts and "Fees" in texts and "Legal basis" in texts
    assert "办理流程" not in texts and guide.title not in texts
    assert localized(guide, "summary") in texts
    assert "Home" in texts and "首页" not in texts  # the header in English too
    assert app.theme.body in font_sizes(again)  # elder sizes on the rebuilt page
    assert normal_body not in font_sizes(again)
    assert again.width == LANDSCAPE[0] and app.state.split == "horizontal"
    # The new screen took the released one's widget tree, and its buttons act for it.
    assert again.tree is body and again.ids.column is body.ids.column
    assert again.phone_card is body.phone_card and body.phone_card in again.ids.column.children
    assert again.ids.scroll.scroll_y == 1
    ui.tap("View on phone")
    ui.frames(2)
    assert again.ids.scroll.scroll_y < 1
    del body
    # and it still works: back goes to the (rebuilt) guide list of the category
    ui.tap(tr._("Back"))
    assert app.nav.current == "guide_list"
    assert localized(guide, "title") in ui.texts()

    # The session ends: the screens the visitor used are released; the first guide page
    # (and its textures) is gone for good, nothing holds it.
    del first  # this test's own reference
    ui.resize(*PORTRAIT)
    app.reset_session()
    ui.frames(3)
    gc.collect()
    assert released() is None
    # what the visitor entered elsewhere (points, FAQ, laws: kept during the session) too
    assert not alive(ui) & {"points", "faq", "laws", "calculators"}
    kept = {s.name for s in app.nav.built() if s.lifetime != "process"}  # (admin PIN pad ...)
    assert kept <= {"attract", "home", "categories", "guide_list", "guide_detail"}

    # The next visitor opens the same list twice, the first released in between: the new
    # list, on the released list's widgets, shows its rows (the same rows as those widgets
    # showed last: no change Kivy would see).
    ui.tap(ui.screen)
    assert open_first_guide(ui).title == guide.title
    ui.tap(tr._("Home"))
    for tile in (tr._("Service points"), tr._("Questions"), tr._("Law library"),
                 tr._("Legal calculators"))[:KEEP_RECENT]:
        ui.tap(tile)
        ui.tap(tr._("Home"))
    assert "guide_list" not in alive(ui)
    assert open_first_guide(ui).title == guide.title


def test_a_page_left_scrolled_down_hands_on_a_still_tree(ui: Any) -> None:
    """A visitor reads a guide down to its take-a-number button and leaves: the page is
    emptied, and Kivy would spring its scroll view back as an overscroll (its effect
    diverges over long frames). The scroll view stops at the top instead, and the next guide
    page built on that widget tree starts there, still, and takes a tap at once (a tree
    handed on moving carried the next page away under the finger)."""
    from kiosk.i18n import tr
    from kiosk.navigation import KEEP_RECENT

    ui.tap(ui.screen)
    first = open_first_guide(ui)
    scroll, body = first.ids.scroll, first.tree
    scroll.scroll_to(first.take_button, padding=40, animate=False)
    ui.frames(2)
    assert scroll.scroll_y < 0.9
    ui.tap(tr._("Home"))
    assert scroll.effect_y.velocity == 0 and scroll.scroll_y == 1  # left still, at its top
    for tile in (tr._("Service points"), tr._("Questions"), tr._("Law library"),
                 tr._("Legal calculators"))[:KEEP_RECENT]:
        ui.tap(tile)
        ui.tap(tr._("Home"))
    assert "guide_detail" not in alive(ui) and body.parent is None
    assert scroll.effect_y.velocity == 0 and scroll.scroll_y == 1  # handed on still

    again = open_first_guide(ui)
    assert again.tree is body  # the same scroll view, now showing this page
    ui.frames(5)
    assert scroll.effect_y.velocity == 0 and scroll.scroll_y == 1
    ui.tap(again.take_button)
    assert ui.app.nav.current != "guide_detail"  # the tap reached the button: to the ticket


def test_spare_list_rows_are_built_a_few_a_frame(ui: Any) -> None:
    """The spare list rows made after the start (about 90 ms all at once) are built a few a
    frame, so a visitor tapping meanwhile is not kept waiting for all of them; a list then
    takes them."""
    from kivy.uix.recycleview import views

    from kiosk.app import SPARE_ROWS_PER_FRAME
    from kiosk.lists import SPARE_ROWS, ListRow

    spare = views._cached_views[ListRow]
    views._cache_count -= len(spare)
    spare.clear()  # as in a process just started
    ui.app._fill_spare_rows()
    counts = [len(spare)]
    while counts[-1] < SPARE_ROWS and len(counts) <= SPARE_ROWS:
        ui.frames(1)
        counts.append(len(spare))
    assert counts[0] == SPARE_ROWS_PER_FRAME and counts[-1] == SPARE_ROWS
    assert max(b - a for a, b in itertools.pairwise(counts)) <= SPARE_ROWS_PER_FRAME
    ui.frames(3)
    assert len(spare) == SPARE_ROWS  # and no more

    ui.tap(ui.screen)
    open_first_guide(ui)  # its guide list took spare rows
    assert len(spare) < SPARE_ROWS
