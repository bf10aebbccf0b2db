"""Guide categories as large tiles."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory

from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized, ngettext, sentences


class CategoriesScreen(BaseScreen):
    """Pick a category of process guides."""

    # The dozen tiles are kept between visits (a few MB of textures): every way to a
    # guide passes here, twice, and rebuilding them cost each of those taps about 30 ms.
    # So is the screen, for the visitor's session: a visitor who went home and comes back
    # to the guides found it rebuilt (about 35 ms of the tap).
    _built_for: tuple[Any, ...] = ()
    lifetime = "session"

    def refresh(self) -> None:
        """One tile per category, with its number of guides."""
        self.title = _("Service guides")
        built_for = (tr.language, self.library.version, tuple(map(tuple, self.shell.theme.tiles)))
        if built_for == self._built_for:
            return
        self._built_for = built_for
        grid = self.ids.grid
        grid.clear_widgets()
        for index, category in enumerate(self.library.categories()):
            count = len(self.library.guides_in(category.code))
            tile = Factory.Tile(icon=category.icon, text=localized(category, "name"),
                                subtitle=ngettext("{count} guide", "{count} guides", count).format(
                                    count=count),
                                background=self.shell.theme.tile_color(index))
            tile.bind(on_release=lambda _w, code=category.code: self.open_category(code))
            grid.add_widget(tile)

    def open_category(self, code: str) -> None:
        """Show the guides of a category."""
        self.shell.nav.go("guide_list", key=code)

    def speech_text(self) -> str:
        """Every category name."""
        return sentences([self.title, *(localized(c, "name") for c in self.library.categories())])
