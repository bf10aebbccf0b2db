"""Shared widgets: large buttons, chips, tiles, QR images, the letter keyboard, overlays.

Text labels are in kiosk.labels, scroll views and lists in kiosk.lists."""

from __future__ import annotations

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
from kivy.uix.modalview import ModalView
from kivy.uix.stacklayout import StackLayout

from devices.qr import qr_modules, qr_size
from kiosk.labels import Label, covering_font


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

    for key in keys:
        button = Factory.KButton(text=key, size_hint_y=1)
        button.bind(on_release=lambda _w, k=key: on_key(k))
        container.add_widget(button)


class Overlay(ModalView):
    """A ModalView opened again and again over the terminal's life.

    Kivy 2.3's ModalView.open binds its centring to the view's own center and size on every
    open and never unbinds them: an overlay made once and opened for every visitor (the idle
    countdown) gained two bindings a visitor. Dropped here before each open, so at most one
    pair exists."""

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Open without piling up Kivy's centring bindings."""
        if not self._is_open:
            self.funbind("center", self._align_center)
            self.funbind("size", self._align_center)
        super().open(*args, **kwargs)


class CountdownOverlay(Overlay):
    """Covers the screen while the idle countdown runs; 继续使用 dismisses it."""

    remaining = NumericProperty(0)


class MessageOverlay(Overlay):
    """A message from the hall's staff (the show_message remote command)."""

    text = StringProperty("")


class Badge(Label):
    """A small label with its own background (sample data, status)."""

    shown = BooleanProperty(True)
