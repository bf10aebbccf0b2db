"""Shared widgets: large buttons, tiles, list rows, QR images, the letter keyboard."""

from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import Any

from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label as KivyLabel
from kivy.uix.modalview import ModalView
from kivy.uix.recycleboxlayout import RecycleBoxLayout
from kivy.uix.recyclelayout import RecycleLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview import views as recycle_views
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.scrollview import ScrollView
from kivy.uix.stacklayout import StackLayout

from content.linebreak import break_lines
from devices.qr import qr_modules, qr_size
from kiosk import bootstrap

# The interface font is a cut of the CJK face (kiosk.fonts): a text with a character
# outside it is drawn, and measured, with the whole face registered as FULL_FONT.
FULL_FONT = "HallKioskCJKFull"
_COVERED = bootstrap.FONTS.covered if bootstrap.FONTS is not None else None
if _COVERED is not None and bootstrap.FONTS is not None:
    CoreLabel.register(FULL_FONT, str(bootstrap.FONTS.full_regular), None,
                       str(bootstrap.FONTS.full_bold))


def covering_font(font_name: str, text: str) -> str:
    """font_name, or the whole face when font_name is the interface's cut and text has a
    character the cut lacks."""
    if _COVERED is None or font_name != DEFAULT_FONT or _COVERED.issuperset(text):
        return font_name
    return FULL_FONT


class Label(KivyLabel):
    """Kivy's label, wrapping its text by the Chinese line-breaking rule (content.linebreak).

    Kivy breaks CJK text wherever a line is full, so a line could start with "，" or end with
    "（". When the label wraps (a text_size width), this label breaks the lines itself with the
    shared rule, measured with the label's own font, and hands Kivy lines that already fit.
    Registered as the Factory's ``Label``: every ``Label`` and every kv class built on it
    (KLabel, Paragraph, buttons, tiles) follows the rule. Markup and shortened labels are left
    to Kivy.
    """

    _drawn_for: tuple[Any, ...] | None = None  # what the texture shows (see _render)
    # Labels of this class with the same text and options draw one texture (the header's
    # buttons: the same six words on every screen built, about 2 ms of each new screen).
    share_texture = False

    def texture_update(self, *largs: Any) -> None:
        """Break the text by the rule, then let Kivy render it."""
        self._cover_text()
        width = self.text_size[0]
        if width and self.text and not self.markup and not self.shorten:
            core = self._label
            usable = width - self.padding[0] - self.padding[2]
            if usable > 0:
                core.text = "\n".join(break_lines(self.text, _measure(core), usable))
        self._render(*largs)

    def _render(self, *largs: Any) -> None:
        """Kivy's texture update, unless the texture already shows this text with these
        options: a FitLabel renders its text itself while fitting it, and Kivy's own update,
        triggered by the same changes, came a frame later and laid the text out again (about
        13 titles of a new list, issue #17)."""
        core = self._label
        drawn_for = (core.text, tuple(core.text_size), self.markup, tuple(
            (name, tuple(value) if isinstance(value, list) else
             tuple(sorted(value.items())) if isinstance(value, dict) else value)
            for name, value in core.options.items()))
        if drawn_for == self._drawn_for and self.texture is not None \
                and self.texture is core.texture:
            return
        if self.share_texture and not self.markup and core.text:
            self._render_shared(drawn_for, *largs)
            return
        super().texture_update(*largs)
        self._drawn_for = drawn_for if self.texture is not None else None

    def _render_shared(self, drawn_for: tuple[Any, ...], *largs: Any) -> None:
        """The texture another label drew for the same text and options, or a new one (never
        the one this label's core drew before: Kivy would draw the new text into it, over
        what the other labels sharing it show)."""
        core = self._label
        shared = _SHARED_TEXTURES.get(drawn_for)
        if shared is None:
            core.texture = None
            super().texture_update(*largs)
            drawn: Texture | None = core.texture
            if drawn is None or drawn is core.texture_1px:
                self._drawn_for = None
                return
            # Drawn now, not when first shown: Kivy's deferred drawing goes through this
            # label's core, which may by then hold another text (and the shared texture
            # would stay blank for the others).
            drawn.bind()
            if len(_SHARED_TEXTURES) >= SHARED_TEXTURES_MAX:
                del _SHARED_TEXTURES[next(iter(_SHARED_TEXTURES))]
            shared = _SHARED_TEXTURES[drawn_for] = drawn
        else:
            core.texture = shared
            self.texture = shared
            self.texture_size = list(shared.size)
            self.is_shortened = False
        self._drawn_for = drawn_for

    def _cover_text(self) -> None:
        """Render (and measure) with the font that has every character of the text."""
        options, font = self._label.options, covering_font(self.font_name, self.text)
        if options["font_name"] != font:
            options["font_name"] = font
            self._label.resolve_font_name()


# Textures of labels that share them (Label.share_texture), by text and options; bounded.
_SHARED_TEXTURES: dict[tuple[Any, ...], Texture] = {}
SHARED_TEXTURES_MAX = 48  # the header's words in two languages and two modes, with room

LATIN_WORD = re.compile(r"[A-Za-z0-9'’-]+")


class FitLabel(Label):
    """A title that wraps and, when even two lines do not fit, takes a smaller font: the
    whole text always shows (never cut with "…")."""

    max_font_size = NumericProperty("34dp")  # a unit string: dp() here would open a window

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._fit_soon = Clock.create_trigger(self._fit, 0)
        for name in ("size", "text", "max_font_size", "min_scale"):
            self.fbind(name, self._fit_soon)

    min_scale = NumericProperty(0.5)  # the smallest font, as a share of max_font_size

    def on_text(self, *_args: Any) -> None:
        """Start a new text at the full size: the frame drawn before the fit shows a short
        title large, not at the size the previous, longer title needed."""
        self.font_size = self.max_font_size

    def _fit(self, *_args: Any) -> None:
        if self.width <= 1 or self.height <= 1:
            return
        size, floor = self.max_font_size, self.max_font_size * self.min_scale
        self.text_size = (self.width, None)
        words = LATIN_WORD.findall(self.text)  # never broken inside: "Administr-ator"
        while True:
            self.font_size = size
            self.texture_update()
            fits = self.texture_size[1] <= self.height and all(
                self._word_width(word, size) <= self.width for word in words)
            if fits or size <= floor:
                return
            size = max(floor, size * 0.9)

    def _word_width(self, word: str, size: float) -> float:
        core = CoreLabel(text=word, font_size=size, bold=self.bold,
                         font_name=covering_font(self.font_name, word))
        return float(core.get_extents(word)[0])


class Preview(Label):
    """A one-line teaser of a longer text (a list row's summary), cut with "…" by design:
    the whole text is one tap away, on the item's own page. The layout test lets it be
    cut, and only it.

    The cut is made here, adding up the cached widths of the characters: Kivy's own
    shortening measures the whole text again and again (about 3 ms a row with long
    summaries). Kivy's shortening stays on as a backstop should kerning make the cut text
    a little too wide.
    """

    def texture_update(self, *largs: Any) -> None:
        """Cut the text to the line, then let Kivy render it."""
        self._cover_text()
        width = self.text_size[0]
        cut = False
        if self.text.isspace():
            self._label.text = ""  # nothing to see: no texture (a released list's rows)
        elif width and self.text and self.shorten and not self.markup:
            core = self._label
            usable = (width - self.padding[0] - self.padding[2]) * PREVIEW_MARGIN
            core.text, cut = _cut_to_line(" ".join(self.text.split("\n")), _measure(core),
                                          usable)
        self._render(*largs)
        self.is_shortened = bool(getattr(self, "is_shortened", False)) or cut


PREVIEW_MARGIN = 0.98  # Kivy shortens a line a little before it reaches the edge
ELLIPSIS = "…"


def _cut_to_line(text: str, measure: Any, width: float) -> tuple[str, bool]:
    """text as it fits on one line of width: whole, or cut with "…" (and whether cut)."""
    used, room, cut_at = 0.0, width - measure(ELLIPSIS), 0
    for index, char in enumerate(text):
        used += measure(char)
        if not cut_at and used > room:
            cut_at = index  # where "…" goes should the whole text not fit
        if used > width:
            return text[:cut_at].rstrip() + ELLIPSIS, True
    return text, False


# Widths of short texts (the line breaker's tokens: a character, a Latin word) per font,
# shared by every label: a guide page measures the same few hundred characters again and
# again. Bounded: the cache of a font starts over past _WIDTHS_MAX entries.
_WIDTHS: dict[tuple[Any, ...], dict[str, float]] = {}
_WIDTHS_MAX = 20_000
_SHORT = 16


def _measure(core: Any) -> Any:
    extents = core.get_cached_extents()
    options = core.options
    key = tuple(options.get(name) for name in (
        "font_name", "font_size", "bold", "italic", "font_hinting", "font_kerning",
        "font_features", "font_direction", "font_script_name", "font_family"))
    widths = _WIDTHS.setdefault(key, {})

    def measure(text: str) -> float:
        if len(text) > _SHORT:
            return float(extents(text)[0])
        width = widths.get(text)
        if width is None:
            if len(widths) >= _WIDTHS_MAX:
                widths.clear()
            width = widths[text] = float(extents(text)[0])
        return width

    return measure


Factory.unregister("Label")
Factory.register("Label", cls=Label)


class _OneBarBinding:
    """Kivy 2.3's ScrollView binds bar_color on every scroll update but unbinds it only
    once per half second, so scrolling accumulates bindings; keep at most one."""

    def update_from_scroll(self, *largs: Any) -> None:
        """Drop the previous bar_color binding before Kivy adds one."""
        self.funbind("bar_color", self._change_bar_color)  # type: ignore[attr-defined]
        super().update_from_scroll(*largs)  # type: ignore[misc]


class KScrollView(_OneBarBinding, ScrollView):
    """ScrollView without the bar-colour binding leak.

    With ``cull`` on and a Column as its content, only the Column's children in the visible
    part are drawn: Kivy draws (and so renders the text textures of) every widget of a long
    page in its first frame, though a guide page shows a third to a half of it. Culling
    changes nothing in the layout (sizes and positions are computed for every child, so the
    page height, the bar and scroll_to stay exact); a child is drawn again, its texture
    rendered then, in the frame in which it scrolls into view (before that frame is drawn).
    """

    cull = BooleanProperty(False)
    CULL_MARGIN = 0.0  # of the view's height drawn beyond it (none needed: see above)

    def update_from_scroll(self, *largs: Any) -> None:
        """Position the content, then draw only what is in view."""
        super().update_from_scroll(*largs)
        self.cull_content()

    def on_cull(self, *_args: Any) -> None:
        """Turning culling off draws every child again."""
        self.cull_content()

    def cull_content(self) -> None:
        """Show the content's children in view, hide the others."""
        content = self._viewport
        if not isinstance(content, Column):
            return
        if not self.cull:
            if content.culled:
                content.show_band(float("-inf"), float("inf"))
            return
        if content.height > self.height:
            bottom = self.scroll_y * (content.height - self.height)
        else:
            bottom = content.height - self.height
        margin = self.height * self.CULL_MARGIN
        content.show_band(bottom - margin, bottom + self.height + margin)


class Column(BoxLayout):
    """A vertical box of blocks as tall as they are (styled in widgets.kv). In a KScrollView
    with ``cull`` on, its children out of view are not drawn (their canvases are taken out
    of this widget's canvas, and put back when they come into view)."""

    def __init__(self, **kwargs: Any):
        self._hidden: set[Any] = set()
        super().__init__(**kwargs)

    @property
    def culled(self) -> bool:
        """Whether some children are not drawn now."""
        return bool(self._hidden)

    def show_band(self, low: float, high: float) -> None:
        """Draw the children that reach into low..high (in this widget's coordinates)."""
        canvas, hidden, origin = self.canvas, self._hidden, self.y
        for child in self.children:
            bottom = child.y - origin
            near = bottom <= high and bottom + child.height >= low
            if near and child in hidden:
                hidden.discard(child)
                canvas.add(child.canvas)
            elif not near and child not in hidden:
                hidden.add(child)
                canvas.remove(child.canvas)

    def do_layout(self, *largs: Any) -> None:
        """Lay out, then draw only what is in the scroll view's visible part."""
        super().do_layout(*largs)
        if isinstance(self.parent, KScrollView):
            self.parent.cull_content()

    def remove_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        """Forget a removed child's culling (Kivy leaves an absent canvas alone)."""
        self._hidden.discard(widget)
        super().remove_widget(widget, *args, **kwargs)


class KRecycleView(_OneBarBinding, RecycleView):
    """RecycleView without the bar-colour binding leak."""

    def release_rows(self) -> None:
        """The list is dropped (its screen released): its row widgets go, without their
        texts (so without textures), to Kivy's cache of views shared by every list, where
        the next list built takes them instead of building rows through their kv rules
        (about 1.2 ms a row, 20 ms a screen of them)."""
        adapter = self.view_adapter
        if adapter is None:
            return
        rows = [*adapter.views.values(),
                *(view for views in adapter.dirty_views.values() for view in views.values())]
        for row in rows:
            if isinstance(row, ListRow):
                # The subtitle a space, not "" (a Preview of spaces has no texture): a row
                # without a subtitle is laid out differently, and the next list's rows would
                # be laid out twice.
                row.subtitle = " "
                row.title = row.badge = row.kind = row.key = ""
        layout = self.layout_manager
        if layout is not None:
            layout.clear_layout()  # the views to the shared cache, out of this layout
        else:
            adapter.invalidate()
        # Kivy keeps up to 1,000 spare views; a screen of rows is all the next list needs.
        spare = recycle_views._cached_views.get(ListRow)
        if spare is not None and len(spare) > SPARE_ROWS:
            recycle_views._cache_count -= len(spare) - SPARE_ROWS
            del spare[:len(spare) - SPARE_ROWS]


SPARE_ROWS = 32  # list rows kept in Kivy's view cache for the next lists (a screen holds ~15)


def fill_spare_rows() -> int:
    """Build list rows into Kivy's shared view cache up to SPARE_ROWS (when nobody is using
    the screen: at start and between visitors), so that the lists of a visit take built rows
    (building 15 through kv was about 18 ms of the tap that opened a list, issue #17). A list
    that keeps its screen for the session (service points, questions) keeps its rows; the
    others come back when their screens are released. Returns how many were built."""
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.layout import Layout

    theme = App.get_running_app().theme
    # the size of a row in a list of the whole window's width (a Body's padding aside):
    # its labels are first laid out at about their width, not at Kivy's default 100 px
    size = (Window.width - 2 * theme.spacing,
            theme.target * (1.7 if theme.elder else 1.35))  # as ItemList's rows
    spare = recycle_views._cached_views[ListRow]
    built = max(0, SPARE_ROWS - len(spare))
    for _ in range(built):
        row = ListRow(size_hint=(None, None), size=size)
        row.subtitle = " "  # as a released row (see KRecycleView.release_rows)
        for widget in row.walk(restrict=True):
            if isinstance(widget, Layout):
                widget.do_layout()
        row.size_hint = (1, None)  # RowsLayout sets size and hint of the rows it shows
        spare.append(row)
    recycle_views._cache_count += built
    return built


def release_rows(root: Any) -> None:
    """Hand the rows of every list under root to the shared cache (see KRecycleView)."""
    for widget in root.walk(restrict=True):
        if isinstance(widget, KRecycleView):
            widget.release_rows()


class RowsLayout(RecycleBoxLayout):
    """The layout of a list (ItemList) whose rows are all ``default_size`` high.

    Kivy's RecycleBoxLayout works a new list out row by row, looking each row's data up for
    a size, a size hint and a position hint and running the general box algorithm over them
    (about 15 ms for 1,000 rows, on every new list and again when the list's height
    follows). A list's rows here never carry a size in their data (title, subtitle, kind,
    key, badge), so each row's size and position follows from its index. Any other use
    (horizontal, key_size ... set, or a size in the first row's data) takes Kivy's way.
    """

    SIZE_KEYS = frozenset({"size", "width", "height", "size_hint", "size_hint_x",
                           "size_hint_y", "pos_hint", "size_hint_min", "size_hint_max",
                           "size_hint_min_x", "size_hint_min_y", "size_hint_max_x",
                           "size_hint_max_y"})

    def _uniform(self, data: Any) -> bool:
        return (self.orientation == "vertical" and self.default_size[1] is not None
                and self.default_size_hint[1] is None and not self.default_pos_hint
                and self.key_size is None and self.key_size_hint is None
                and self.key_pos_hint is None and self.key_viewclass is None
                and self.key_size_hint_min is None and self.key_size_hint_max is None
                and not (data and self.SIZE_KEYS & data[0].keys()))

    def compute_sizes_from_data(self, data: Any, flags: Any) -> None:
        """The same options for every row (what Kivy would work out for each)."""
        if not self._uniform(data):
            super().compute_sizes_from_data(data, flags)
            return
        opts: list[Any] = getattr(self, "view_opts")  # noqa: B009 (mypy: Kivy's untyped property)
        if opts and len(opts) == len(data) and not flags:
            return  # nothing changed
        self.clear_layout()
        width, height = self.default_size
        # One set of options copied for every row; Kivy replaces these lists, never
        # changes them in place, so the rows may share them.
        template = {"size": [self.initial_size[0] if width is None else width, height],
                    "size_hint": list(self.default_size_hint),
                    "size_hint_min": list(self.default_size_hint_min),
                    "size_hint_max": list(self.default_size_hint_max), "pos": None,
                    "pos_hint": self.default_pos_hint, "viewclass": self.viewclass,
                    "width_none": width is None, "height_none": False}
        self.view_opts = [template.copy() for _item in data]

    def compute_layout(self, data: Any, flags: Any) -> None:
        """Rows one under the other, each its own height, from the top."""
        if not self._uniform(data):
            super().compute_layout(data, flags)
            return
        RecycleLayout.compute_layout(self, data, flags)  # sizes views changed by themselves
        changed = self._changed_views
        if changed is None or changed and not self._update_sizes(changed):
            return
        self.clear_layout()
        self._rv_positions = None
        left, top, right, bottom = self.padding
        if not data:
            self.minimum_size = left + right, top + bottom
            return
        view_opts = self.view_opts
        count, spacing, height = len(view_opts), self.spacing, self.default_size[1]
        hint_x = self.default_size_hint[0]
        width = (max(0.0, hint_x * (self.width - left - right)) if hint_x is not None
                 else view_opts[0]["size"][0])
        self.minimum_size = (left + right + (0 if hint_x is not None else width),
                             top + bottom + count * height + spacing * (count - 1))
        x, step, size = self.x + left, height + spacing, [width, height]
        lowest = self.y + bottom
        for index, opt in enumerate(view_opts):
            opt["pos"] = x, lowest + (count - 1 - index) * step
            opt["size"] = size
        # where each row starts, as Kivy keeps it for finding the rows in view
        first = self.y + self.height - top - height - spacing / 2.0
        self._rv_positions = [first - (count - 1 - i) * step for i in range(count)]


class KButton(ButtonBehavior, Label):
    """A large flat button."""

    background = ListProperty([0, 0, 0, 0])
    pressed = ListProperty([0, 0, 0, 0])


class KeyButton(KButton):
    """A key of a keypad or keyboard: its word on one line, in a smaller font when the key
    is too narrow for it ("Delete" on a 长辈版 keypad), never broken inside the word."""

    max_font_size = NumericProperty("34dp")  # a unit string: dp() here would open a window

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._fit_soon = Clock.create_trigger(self._fit, -1)
        for name in ("width", "text", "max_font_size", "bold", "font_name"):
            self.fbind(name, self._fit_soon)

    def _fit(self, *_args: Any) -> None:
        room = self.width - self.padding[0] - self.padding[2] - 24
        if room <= 0 or not self.text:
            self.font_size = self.max_font_size
            return
        core = CoreLabel(text=self.text, font_size=self.max_font_size, bold=self.bold,
                         font_name=covering_font(self.font_name, self.text))
        natural = max(core.get_extents(line)[0] for line in self.text.split("\n"))
        self.font_size = self.max_font_size * min(1.0, room / natural) if natural else \
            self.max_font_size


class HeaderButton(ButtonBehavior, Label):
    """A header button as wide as its text; stacked (portrait 长辈版), a label of several
    words takes one line per word, so that the title between the buttons keeps its room
    ("Read aloud", "Call staff" in English)."""

    background = ListProperty([0, 0, 0, 1])
    stacked = BooleanProperty(False)
    share_texture = True

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        for name in ("text", "font_size", "stacked", "bold"):
            self.fbind(name, self._wrap)
        self._wrap()

    def _wrap(self, *_args: Any) -> None:
        words = self.text.split()
        if not self.stacked or len(words) < 2:
            self.text_size = (None, None)
            return
        widest = max(CoreLabel(text=word, font_size=self.font_size, bold=self.bold,
                               font_name=covering_font(self.font_name, word)
                               ).get_extents(word)[0]
                     for word in words)
        self.text_size = (widest + 2, None)


class Chip(ToggleButtonBehavior, Label):
    """A filter choice that stays selected.

    In a wrapping row (a StackLayout) a chip is never wider than the row: a longer name
    wraps onto a second line inside the chip (by the Chinese rule) instead of being cut.
    """

    value = StringProperty("")
    max_width = NumericProperty(0)  # the row's width when in a wrapping row, else 0
    padding_x = NumericProperty("40dp")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.fbind("text", self._fit)
        self.fbind("font_size", self._fit)
        self.fbind("max_width", self._fit)
        self._fit()

    def on_parent(self, _chip: Any, parent: Any) -> None:
        """Follow the width of a wrapping row."""
        if isinstance(parent, StackLayout):
            parent.bind(width=self.setter("max_width"))
            self.max_width = parent.width

    def _fit(self, *_args: Any) -> None:
        room = self.max_width - self.padding_x
        if room <= 0:
            self.text_size = (None, None)
            return
        core = CoreLabel(text=self.text, font_size=self.font_size, bold=self.bold,
                         font_name=covering_font(self.font_name, self.text))
        natural = core.get_extents(self.text)[0]
        self.text_size = (room, None) if natural > room else (None, None)


class Tile(ButtonBehavior, BoxLayout):
    """A big coloured tile with a glyph and a label. A title too long for one line (English
    names such as "Administrative reconsideration") first takes a somewhat smaller font, so
    that the glyph keeps its room; only a title that still does not fit wraps."""

    icon = StringProperty("")
    text = StringProperty("")
    subtitle = StringProperty("")
    background = ListProperty([0, 0, 0, 1])
    target = StringProperty("")
    title_scale = NumericProperty(1.0)  # of the theme's tile font
    SCALES = (1.0, 0.85, 0.7)  # tried in turn for one line; a title too long for all wraps

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._fit_soon = Clock.create_trigger(self._fit_title, 0)
        for name in ("width", "text", "padding"):
            self.fbind(name, self._fit_soon)

    def _fit_title(self, *_args: Any) -> None:
        from kivy.app import App

        app = App.get_running_app()
        size = float(app.theme.tile) if app is not None else 0.0
        room = self.width - self.padding[0] - self.padding[2]
        if size <= 0 or room <= 1 or not self.text:
            self.title_scale = 1.0
            return
        for scale in self.SCALES:
            core = CoreLabel(text=self.text, font_size=size * scale, bold=True,
                             font_name=covering_font(DEFAULT_FONT, self.text))
            if core.get_extents(self.text)[0] <= room:
                self.title_scale = scale
                return
        self.title_scale = self.SCALES[1]


class ListRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One row of a list: title, subtitle, optional badge; reports its item when tapped."""

    title = StringProperty("")
    subtitle = StringProperty("")
    badge = StringProperty("")
    kind = StringProperty("")
    key = StringProperty("")
    index = NumericProperty(0)

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        """Take a row's values from the RecycleView data."""
        self.index = index
        return super().refresh_view_attrs(rv, index, data)

    def on_release(self) -> None:
        """Open the item this row shows."""
        from kivy.app import App

        App.get_running_app().open_item(self.kind, self.key)


@lru_cache(maxsize=64)
def qr_texture(data: str) -> Texture:
    """A QR code texture for data, one texel per module drawn with nearest filtering
    (cached: screens show the same links often). The modules are worked out when the texture
    is first drawn: choosing the code's mask is most of its cost (about 5 ms), and a guide
    page's code, at its foot, is drawn only once the visitor scrolls to it."""
    size = qr_size(data)
    texture = Texture.create(size=(size, size), colorfmt="luminance", bufferfmt="ubyte",
                             callback=partial(_draw_modules, data))
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture


def _draw_modules(data: str, texture: Texture) -> None:
    modules = qr_modules(data)
    pixels = bytes(0 if dark else 255 for row in reversed(modules) for dark in row)
    texture.blit_buffer(pixels, colorfmt="luminance", bufferfmt="ubyte")


class QRCode(Image):
    """Shows data as a QR code."""

    data = StringProperty("")

    def on_data(self, _instance: Any, data: str) -> None:
        """Render the code when the data changes."""
        self.texture = qr_texture(data) if data else None


class QRCard(ButtonBehavior, BoxLayout):
    """A tappable card with a QR code and a caption."""

    data = StringProperty("")
    caption = StringProperty("")
    note = StringProperty("")  # under the caption; the 12348 platform's line when empty


class LetterKeyboard(GridLayout):
    """On-screen keyboard with letters, digits, space, delete and clear; emits on_key."""

    # Alphabetical, not QWERTY: many elderly visitors have never typed on a keyboard.
    keys = ListProperty(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    __events__ = ("on_key",)

    def on_key(self, key: str) -> None:
        """Default handler: nothing."""


def add_keys(container: Any, keys: Any, on_key: Any) -> None:
    """Fill a grid with one key button per character; on_key(character) when pressed."""
    from kivy.factory import Factory

    for key in keys:
        button = Factory.KButton(text=key, size_hint_y=1)
        button.bind(on_release=lambda _w, k=key: on_key(k))
        container.add_widget(button)


class CountdownOverlay(ModalView):
    """Covers the screen while the idle countdown runs; 继续使用 dismisses it."""

    remaining = NumericProperty(0)


class MessageOverlay(ModalView):
    """A message from the hall's staff (the show_message remote command)."""

    text = StringProperty("")


class Badge(Label):
    """A small label with its own background (sample data, status)."""

    shown = BooleanProperty(True)
