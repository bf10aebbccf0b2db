"""What makes taps cheap (issue #17) leaves every page as it was: a guide page draws the
blocks in view and the others once scrolled to (nothing moves meanwhile), its text blocks are
reused for the next guide with that guide's text only, its QR code is the code of its link,
and a list's rows are where Kivy's own layout would put them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any


def in_view(scroll: Any, child: Any) -> bool:
    """Whether a child of the scroll view's content reaches into the visible part."""
    _x, bottom = child.to_window(child.x, child.y)
    _x, top = child.to_window(child.x, child.top)
    _x, view_bottom = scroll.to_window(scroll.x, scroll.y)
    _x, view_top = scroll.to_window(scroll.x, scroll.top)
    return bottom <= view_top and top >= view_bottom


def drawn(column: Any) -> set[Any]:
    """The children of a Column whose canvas is drawn."""
    canvases = set(column.canvas.children)
    return {child for child in column.children if child.canvas in canvases}


def blocks(column: Any) -> list[Any]:
    """The pooled text blocks of a page, top first."""
    return [child for child in reversed(column.children) if getattr(child, "block_kind", "")]


def test_guide_page_draws_blocks_in_view_and_reuses_them(ui: Any, tmp_path: Path) -> None:
    from kivy.uix.recycleboxlayout import RecycleBoxLayout

    from devices.qr import qr_modules
    from kiosk.i18n import tr
    from kiosk.lists import ListRow, RowsLayout
    from kiosk.widgets import QRCode
    from screens.base import localized

    library = ui.app.library
    category = max(library.categories(), key=lambda c: len(library.guides_in(c.code)))
    first, second = library.guides_in(category.code)[:2]
    ui.tap(ui.screen)
    ui.tap(tr._("Service guides"))
    ui.tap(localized(category, "name"))

    # The list's rows sit where Kivy's RecycleBoxLayout would put them.
    rows = ui.screen.ids.rows
    layout = rows.layout_manager
    assert isinstance(layout, RowsLayout) and len(rows.data) >= 2
    ours = (copy.deepcopy(layout.view_opts), list(layout._rv_positions), layout.minimum_size)
    RecycleBoxLayout.compute_sizes_from_data(layout, rows.data, [{}])
    RecycleBoxLayout.compute_layout(layout, rows.data, [{}])
    kivys = (layout.view_opts, layout._rv_positions, layout.minimum_size)
    assert len(ours[0]) == len(kivys[0]) == len(rows.data)
    for mine, theirs in zip(ours[0], kivys[0], strict=True):
        assert mine["size"] == theirs["size"] and mine["viewclass"] is theirs["viewclass"]
        assert abs(mine["pos"][0] - theirs["pos"][0]) < 1e-6
        assert abs(mine["pos"][1] - theirs["pos"][1]) < 1e-6
    assert all(abs(a - b) < 1e-6 for a, b in zip(ours[1], kivys[1], strict=True))
    assert all(abs(a - b) < 1e-6 for a, b in zip(ours[2], kivys[2], strict=True))
    rows.refresh_from_data()
    ui.frames(2)

    ui.tap(localized(first, "title"))
    screen = ui.screen
    column, scroll = screen.ids.column, screen.ids.scroll
    assert scroll.cull
    ui.frames(3)
    # Drawn: exactly the blocks in view; the page is longer than the view.
    assert drawn(column) == {child for child in column.children if in_view(scroll, child)}
    assert len(drawn(column)) < len(column.children)
    assert screen.phone_card not in drawn(column)
    # Nothing moves while the page is shown (a moving page would take a tap as a stop).
    assert scroll.scroll_y == 1
    ui.frames(5)
    assert scroll.scroll_y == 1 and scroll.effect_y.velocity == 0
    ui.screenshot(tmp_path / "guide-top.png")

    # Scrolled to its foot, the phone card is drawn, and its texture is the link's code.
    ui.tap(tr._("View on phone"))
    ui.frames(2)
    card = screen.phone_card
    assert card in drawn(column) and in_view(scroll, card)
    assert drawn(column) == {child for child in column.children if in_view(scroll, child)}
    code = next(w for w in ui.widgets(card) if isinstance(w, QRCode))
    modules = qr_modules(code.data)
    size = len(modules)
    assert code.texture.size == (size, size)
    pixels = code.texture.pixels  # RGBA, bottom row first
    assert [[pixels[4 * (y * size + x)] < 128 for x in range(size)]
            for y in reversed(range(size))] == [list(row) for row in modules]
    ui.frames(3)
    assert scroll.effect_y.velocity == 0
    ui.screenshot(tmp_path / "guide-foot.png")

    # The next guide takes the same blocks, with its own text only.
    used = {id(block) for block in blocks(column)}
    ui.tap(tr._("Back"))
    assert ui.app.nav.current == "guide_list"
    assert not column.children  # left: the blocks went back to the pool, without text
    ui.tap(localized(second, "title"))
    assert ui.screen is screen and scroll.scroll_y == 1
    again = blocks(column)
    assert used & {id(block) for block in again}
    texts = [t for block in again for t in (
        [block.main.text, block.note.text] if block.block_kind == "Card" else [block.text])]
    assert localized(second, "summary") in "\n".join(texts)
    assert localized(first, "title") not in texts
    assert all(block.text for block in again if block.block_kind != "Card")
    assert all(block.main.text for block in again if block.block_kind == "Card")
    assert drawn(column) == {child for child in column.children if in_view(scroll, child)}

    # Back on the list, its rows show titles (rows handed on by released lists included).
    ui.tap(tr._("Back"))
    titles = [w.title for w in ui.widgets() if isinstance(w, ListRow)]
    assert titles and all(title.strip() for title in titles)
