"""Text labels: Chinese line breaking, the interface font's cut (a text it lacks is drawn
with the whole face), labels that fit their box, one-line previews, shared textures."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.properties import NumericProperty
from kivy.uix.label import Label as KivyLabel

from content.linebreak import break_lines
from kiosk import bootstrap

# The interface font is a cut of the CJK face (kiosk.fonts): a text with a character
# outside it is drawn, and measured, with the whole face registered as FULL_FONT.
FULL_FONT = "HallKioskCJKFull"
_COVERED = bootstrap.FONTS.covered if bootstrap.FONTS is not None else None
if _COVERED is not None and bootstrap.FONTS is not None:
    CoreLabel.register(FULL_FONT, str(bootstrap.FONTS.full_regular), None,
                       str(bootstrap.FONTS.full_bold))


FACE_OPTIONS = ("font_name_r", "bold", "italic", "underline", "strikethrough")


def face_id(core: Any) -> str:
    """The open face a core label draws with: SDL2_ttf opens a face at the whole pixel size
    (``int(font_size)``), but Kivy keys its open faces by the exact size, so 57.2 and 57.6
    opened two identical faces, and every size a fitted text comes to (the calling display's
    banner and numbers shrink to their width) opened another: about 1 MiB of the CJK cut each,
    up to Kivy's 64, and a few milliseconds to open. Keyed by the size it is opened at, a face
    serves every label it would draw the same pixels for."""
    options = core.options
    return "|".join([str(int(options["font_size"])),
                     *(str(options[name]) for name in FACE_OPTIONS)])


if CoreLabel.__name__ == "LabelSDL2":  # the provider whose faces are opened at int(size)
    CoreLabel._get_font_id = face_id


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
    # The texture as large as the text, whatever the text_size (see _render_tight): only for
    # left-aligned labels whose canvas draws the texture at their left (ListRow's RowTitle
    # and RowPreview, styled in widgets.kv), as Kivy's own canvas centres it.
    tight_texture = False

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
        if not self.markup and "get_cached_extents" not in vars(core):
            core.get_cached_extents = partial(_layout_extents, core)
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
        if self.tight_texture and not self.markup and core.text:
            self._render_tight(*largs)
        else:
            super().texture_update(*largs)
        self._drawn_for = drawn_for if self.texture is not None else None

    def _render_tight(self, *largs: Any) -> None:
        """Kivy's texture update with a texture only as large as the text, not the label's
        text_size: the lines are already broken (or cut) to the width, so Kivy has nothing to
        wrap, and a short title is rendered, converted and uploaded without the empty rest of
        its row (a list row is about 1,000 px wide). Should a line come out wider than the
        text_size (kerning), Kivy's own update is made instead."""
        core = self._label
        usersize = core.usersize
        width = usersize[0]
        core.usersize = (None, None)
        try:
            super().texture_update(*largs)
        finally:
            core.usersize = usersize
        if width is not None and self.texture_size[0] > width:
            super().texture_update(*largs)

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


def tight_texture_pos(x: float, center_y: float, texture_size: Any,
                      text_size: Any) -> tuple[int, int]:
    """Where a left-aligned, vertically centred label draws its tight texture: the pixel at
    which Kivy's full texture (text_size high, the text in its middle) shows the text."""
    height = int(texture_size[1])
    box = int(text_size[1]) if text_size[1] else height
    return int(x), int(center_y - box / 2.0) + box - int((box - height) / 2.0) - height


class RowTitle(FitLabel):
    """A list row's title: its texture only as wide as its longest line, drawn at the
    label's left (widgets.kv)."""

    tight_texture = True


class RowPreview(Preview):
    """A list row's one-line preview: its texture only as large as the (cut) line, drawn at
    the label's left, where the full texture would show it (widgets.kv)."""

    tight_texture = True


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
# again. Bounded: the cache of a font starts over past _WIDTHS_MAX entries. Longer texts
# (whole lines) are kept a little while (_LINES): the line breaker measures each line it
# makes, and Kivy's layout of the label then measures the same lines again.
_WIDTHS: dict[tuple[Any, ...], dict[str, float]] = {}
_WIDTHS_MAX = 20_000
_SHORT = 16
_LINES: dict[tuple[Any, ...], dict[str, float]] = {}
_LINES_MAX = 256
_HEIGHTS: dict[tuple[Any, ...], int] = {}  # a font's line height (the same for any text)


def _font_key(core: Any) -> tuple[Any, ...]:
    options = core.options
    return tuple(options.get(name) for name in (
        "font_name", "font_size", "bold", "italic", "font_hinting", "font_kerning",
        "font_features", "font_direction", "font_script_name", "font_family",
        "outline_width"))


def _measure(core: Any) -> Any:
    extents = core.get_extents  # SDL_ttf's measurement (never the cached one below)
    key = _font_key(core)
    widths = _WIDTHS.setdefault(key, {})
    lines = _LINES.setdefault(key, {})

    def measure(text: str) -> float:
        cache, limit = (lines, _LINES_MAX) if len(text) > _SHORT else (widths, _WIDTHS_MAX)
        width = cache.get(text)
        if width is None:
            if len(cache) >= limit:
                cache.clear()
            width = cache[text] = float(extents(text)[0])
        return width

    return measure


def _layout_extents(core: Any) -> Any:
    """The measurement Kivy's layout of core's text uses (its get_cached_extents): SDL_ttf's
    own, through the caches above, so that a line the line breaker measured is not measured
    again (about 0.1 ms a line of 40 characters)."""
    measure = _measure(core)
    key = _font_key(core)
    height = _HEIGHTS.get(key)
    if height is None:
        height = _HEIGHTS[key] = int(core.get_extents("")[1])

    def extents(text: str) -> tuple[int, int]:
        return int(measure(text)), height

    return extents


Factory.unregister("Label")
Factory.register("Label", cls=Label)
