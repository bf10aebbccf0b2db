"""Home: large tiles for everything a visitor can do."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from screens.base import BaseScreen, _, sentences

if TYPE_CHECKING:
    from content.library import Library

ADMIN_TAPS = 5
ADMIN_TAP_WINDOW = 4.0


# 长辈版 home: the six things visitors do most, in this order.
ELDER_TILES = ["ticket", "categories", "flow", "faq", "points", "rate_start"]


def first_steps(library: Library) -> list[tuple[str, dict[str, Any]]]:
    """What a query terminal rehearses between visitors (kiosk.rehearsal): home, the guide
    categories, a category's guides and its first guide, the service points and the first
    point, the common questions and search: the screens visitors open most, and the kinds
    of page they lead to."""
    steps: list[tuple[str, dict[str, Any]]] = [("home", {}), ("categories", {})]
    for category in library.categories():
        guides = library.guides_in(category.code)
        if guides:
            steps += [("guide_list", {"key": category.code}),
                      ("guide_detail", {"key": guides[0].code})]
            break
    steps.append(("points", {}))
    if library.content.points:
        steps.append(("point_detail", {"key": library.content.points[0].id}))
    return [*steps, ("faq", {}), ("search", {})]


def home_entries() -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """Every home tile: glyph, title, subtitle, target screen and its parameters."""
    return [
        ("号", _("Take a number"), _("Queue for a service window"), "ticket", {}),
        ("询", _("Ask a question"), _("Say or type what happened"), "ask", {}),
        ("办", _("Service guides"), _("Materials and steps"), "categories", {}),
        ("点", _("Service points"), _("Addresses and hours"), "points", {}),
        ("搜", _("Search"), _("Type a word"), "search", {}),
        ("援", _("Legal aid self-check"), _("Can I get legal aid?"), "flow",
         {"key": "legal-aid-check"}),
        ("问", _("Questions"), _("Common questions"), "faq", {}),
        ("法", _("Law library"), _("Laws explained, with cases"), "laws", {}),
        ("算", _("Legal calculators"), _("Fees and compensation"), "calculators", {}),
        ("码", _("Continue online"), _("Scan with your phone"), "online", {}),
        ("评", _("Rate a service"), _("How did we do?"), "rate_start", {}),
        ("诉", _("Complaints and suggestions"), _("Tell us, we call back"), "complain", {}),
        ("进", _("Check progress"), _("Your case by its code"), "case_progress", {}),
        ("老", _("Elder mode and help"), _("Large text, read aloud"), "accessibility", {}),
    ]


class HomeScreen(BaseScreen):
    """The visitor's start page; in 长辈版 six large tiles and 更多服务 for the rest."""

    tiles = ListProperty([])
    elder = BooleanProperty(False)
    more = BooleanProperty(False)  # 长辈版's second page (更多服务)
    _watching_mode = False
    footer = StringProperty("")
    notice = StringProperty("")  # the hall's current notices (通知公告), one line each
    _taps: list[float]

    def refresh(self) -> None:
        """Rebuild the tiles in the current language (and mode)."""
        if not self._watching_mode:  # the tile set depends on 长辈版: rebuild when it toggles
            self._watching_mode = True
            self.shell.theme.bind(elder=self._mode_changed)
        self.title = _("Public Legal Service Centre")
        entries = home_entries()
        self.elder = bool(self.shell.theme.elder)
        self.more = self.elder and bool(self.params.get("more"))
        if self.elder:  # fewer, larger choices: the six most used, the rest under 更多服务
            chosen = ELDER_TILES if not self.more else [
                e[3] for e in entries if e[3] not in ELDER_TILES]
            entries = sorted((e for e in entries if e[3] in chosen),
                             key=lambda e: chosen.index(e[3]))
        self.tiles = [
            {"icon": icon, "text": text, "subtitle": sub, "target": target, "params": params,
             "background": self.shell.theme.tile_color(i)}
            for i, (icon, text, sub, target, params) in enumerate(entries)
        ]
        english = self.shell.state.language == "en"
        self.notice = "" if self.more else "\n".join(
            _("Notice: {title} — {text}").format(
                title=(english and n.get("title_en")) or n["title"],
                text=(english and n.get("text_en")) or n["text"])
            for n in self.library.current_notices(dt.date.today()))
        self.footer = _("Legal service hotline {hotline} (24 hours)").format(
            hotline=self.services.config.terminal.hotline)
        grid = self.ids.grid
        if len(grid.children) != len(self.tiles):  # built per tile set; later only texts change
            grid.clear_widgets()
            for index in range(len(self.tiles)):
                widget = Factory.Tile()
                widget.bind(on_release=lambda _w, i=index: self.open_tile(self.tiles[i]))
                grid.add_widget(widget)
        for widget, tile in zip(reversed(grid.children), self.tiles, strict=True):
            widget.icon, widget.text = tile["icon"], tile["text"]
            widget.subtitle, widget.background = tile["subtitle"], tile["background"]
            widget.target = tile["target"]

    def _mode_changed(self, *_args: Any) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def open_more(self) -> None:
        """更多服务: the tiles 长辈版 leaves off its home, one tap away."""
        self.shell.nav.go("home", more=True)

    def open_tile(self, tile: dict[str, Any]) -> None:
        """Go where a tile leads."""
        self.shell.nav.go(tile["target"], **tile["params"])

    def title_tapped(self) -> None:
        """Five taps on the title within a few seconds open the admin PIN pad."""
        now = time.monotonic()
        self._taps = [t for t in getattr(self, "_taps", []) if now - t < ADMIN_TAP_WINDOW]
        self._taps.append(now)
        if len(self._taps) >= ADMIN_TAPS:
            self._taps = []
            self.shell.nav.go("admin_login")

    def release(self) -> None:
        """Stop following 长辈版 (the theme would keep a released home screen alive)."""
        if self._watching_mode:
            self.shell.theme.unbind(elder=self._mode_changed)
            self._watching_mode = False
        super().release()

    def reset(self) -> None:
        """Forget admin taps."""
        self._taps = []

    def speech_text(self) -> str:
        """Title and every tile."""
        return sentences([self.title, self.notice, *(t["text"] for t in self.tiles)])
