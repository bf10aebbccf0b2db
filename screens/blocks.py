"""Build the body of content pages (guide, flow result ...) from text blocks.

Content decides how many sections and rows a page has, so detail screens
fill a Column in Python with these few kv-styled widgets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.widget import Widget

from screens.base import sentences

# Pages being laid out over several frames, by their container.
_BUILDING: dict[int, Page] = {}


def building() -> bool:
    """Whether some page is still adding its blocks (test drivers wait for this)."""
    return bool(_BUILDING)


def stop_building() -> None:
    """Add no more blocks to any page (the app stops)."""
    for page in list(_BUILDING.values()):
        page.cancel()


def release(container: Widget) -> None:
    """Stop laying out the page in container and drop its widgets (and their textures)."""
    page = _BUILDING.get(id(container))
    if page is not None:
        page.cancel()
    container.clear_widgets()


class Page:
    """Appends styled widgets to a container; remembers the text for read-aloud.

    A progressive page (a long page opened by a tap: a guide, a law) builds its first
    blocks (more than a screen shows) at once, so the frame that shows the page is
    complete, and adds the rest a few per frame after it, while the visitor reads the top.
    A long guide (60 blocks and more, each label rendered with the CJK font) would
    otherwise hold the tap for several frames. Pages rebuilt while the visitor types (a
    form, a calculator) are built at once.
    """

    FIRST = 14  # blocks built before the page is first drawn
    CHUNK = 8  # blocks added per frame after that

    def __init__(self, container: Widget, *, progressive: bool = False):
        release(container)
        self.container = container
        self._first = self.FIRST if progressive else 1 << 30  # else all at once
        self.spoken: list[str] = []
        self._built = 0
        self._queue: deque[Callable[[], Widget]] = deque()
        self._event: Any = None
        self._first_tick = False

    def _add(self, make: Callable[[], Widget]) -> None:
        if not self._queue and self._built < self._first:
            self.container.add_widget(make())
            self._built += 1
            return
        self._queue.append(make)
        if self._event is None:
            self._first_tick = True
            self._event = Clock.schedule_interval(self._next_blocks, 0)
            _BUILDING[id(self.container)] = self

    def _next_blocks(self, _dt: float) -> None:
        if self._first_tick:  # this frame draws the first blocks; the rest from the next
            self._first_tick = False
            return
        for _ in range(self.CHUNK):
            if not self._queue:
                break
            self.container.add_widget(self._queue.popleft()())
        if not self._queue:
            self.cancel()

    def cancel(self) -> None:
        """Add no more blocks."""
        self._queue.clear()
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if _BUILDING.get(id(self.container)) is self:
            del _BUILDING[id(self.container)]

    def heading(self, text: str) -> None:
        """A section heading."""
        self._add(lambda: Factory.Heading(text=text))
        self.spoken.append(text)

    def paragraph(self, text: str, *, speak: bool = True) -> None:
        """Body text."""
        if text:
            self._add(lambda: Factory.Paragraph(text=text))
            if speak:
                self.spoken.append(text)

    def muted(self, text: str) -> None:
        """Secondary text (dates, codes, notes)."""
        if text:
            self._add(lambda: Factory.Muted(text=text))

    def bullets(self, items: Iterable[str]) -> None:
        """An unnumbered list."""
        for item in items:
            # No-break spaces: Kivy wraps only at spaces, and a bullet must stay with
            # its text even when the text is one long run of Chinese characters.
            self.paragraph(f"•\u00a0\u00a0{item}")

    def numbered(self, rows: Iterable[tuple[str, str]]) -> None:
        """A numbered list of (main text, note) rows, each on a card."""
        for number, (main, note) in enumerate(rows, start=1):
            self._add(partial(_card, f"{number}.\u00a0\u00a0{main}", note))
            self.spoken.append(f"{number}、{main}")

    def button(self, text: str, on_release: Callable[[], Any], *, light: bool = True) -> Any:
        """A full-width button."""
        widget = Factory.LightButton(text=text) if light else Factory.KButton(text=text)
        widget.bind(on_release=lambda *_args: on_release())
        self.widget(widget)
        return widget

    def widget(self, widget: Widget) -> None:
        """Any other widget."""
        self._add(lambda: widget)

    def later(self, make: Callable[[], Widget]) -> None:
        """A widget made only when its turn comes (a QR code far down the page)."""
        self._add(make)

    def text(self) -> str:
        """Everything worth reading aloud, in order."""
        return sentences(self.spoken)


def _card(main: str, note: str) -> Widget:
    card = Factory.Card()
    card.add_widget(Factory.Paragraph(text=main))
    if note:
        card.add_widget(Factory.Muted(text=note))
    return card
