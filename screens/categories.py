"""Guide categories as large tiles."""

from __future__ import annotations

from kivy.factory import Factory

from screens.base import BaseScreen, _, localized, ngettext, sentences


class CategoriesScreen(BaseScreen):
    """Pick a category of process guides."""

    release_on_leave = ("grid",)

    def refresh(self) -> None:
        """One tile per category, with its number of guides."""
        self.title = _("Service guides")
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
