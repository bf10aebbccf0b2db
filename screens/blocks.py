"""Build the body of content pages (guide, flow result ...) from text blocks.

Content decides how many sections and rows a page has, so detail screens
fill a Column in Python with these few kv-styled widgets.

The text blocks (headings, paragraphs, notes, numbered cards) are taken from a pool when
a page is built and given back, without their text (so without their textures), when it is
cleared: building a label through its kv rules costs several times what giving an existing
one new text does (issue #17: a guide page has about 45 of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kivy.factory import Factory
from kivy.uix.widget import Widget

from screens.base import sentences

POOL_LIMIT = 40  # free blocks kept per kind (a long guide page uses about 25 paragraphs)
_free: dict[str, list[Any]] = {}


def _inner_width(container: Widget) -> float:
    """The width a vertical box gives its children."""
    padding = getattr(container, "padding", (0, 0, 0, 0))
    return float(container.width - padding[0] - padding[2])


def _take(kind: str, width: float) -> Any:
    """A free block of kind (built the first time), as wide as the container gives it: a
    label laid out at the right width once, not at the default 100 px first."""
    free = _free.get(kind)
    block = free.pop() if free else None
    if block is None:
        if kind == "Card":
            block = Factory.Card()
            block.main = Factory.Paragraph()
            block.note = Factory.Muted()
            block.add_widget(block.main)
        else:
            block = getattr(Factory, kind)()
        block.block_kind = kind
    block.width = width
    if kind == "Card":
        inner = _inner_width(block)
        block.main.width = block.note.width = inner
    return block


def release_blocks(container: Widget) -> None:
    """Empty container; its text blocks go back to the pool, without text (no textures)."""
    for child in list(container.children):
        container.remove_widget(child)
        kind = getattr(child, "block_kind", "")
        if not kind:
            continue
        if kind == "Card":
            child.main.text = child.note.text = ""
        else:
            child.text = ""
        free = _free.setdefault(kind, [])
        if len(free) < POOL_LIMIT:
            free.append(child)


class Page:
    """Appends styled widgets to a container; remembers the text for read-aloud."""

    def __init__(self, container: Widget):
        self.container = container
        release_blocks(container)
        self.width = _inner_width(container)
        self.spoken: list[str] = []

    def _text_block(self, kind: str, text: str) -> None:
        block = _take(kind, self.width)
        block.text = text
        self.container.add_widget(block)

    def heading(self, text: str) -> None:
        """A section heading."""
        self._text_block("Heading", text)
        self.spoken.append(text)

    def paragraph(self, text: str, *, speak: bool = True) -> None:
        """Body text."""
        if text:
            self._text_block("Paragraph", text)
            if speak:
                self.spoken.append(text)

    def muted(self, text: str) -> None:
        """Secondary text (dates, codes, notes)."""
        if text:
            self._text_block("Muted", text)

    def bullets(self, items: Iterable[str]) -> None:
        """An unnumbered list."""
        for item in items:
            # No-break spaces: Kivy wraps only at spaces, and a bullet must stay with
            # its text even when the text is one long run of Chinese characters.
            self.paragraph(f"•\u00a0\u00a0{item}")

    def numbered(self, rows: Iterable[tuple[str, str]]) -> None:
        """A numbered list of (main text, note) rows, each on a card."""
        for number, (main, note) in enumerate(rows, start=1):
            card = _take("Card", self.width)
            card.main.text = f"{number}.\u00a0\u00a0{main}"
            card.note.text = note
            if note and card.note.parent is None:
                card.add_widget(card.note)
            elif not note and card.note.parent is not None:
                card.remove_widget(card.note)
            self.container.add_widget(card)
            self.spoken.append(f"{number}、{main}")

    def button(self, text: str, on_release: Callable[[], Any], *, light: bool = True) -> Any:
        """A full-width button."""
        widget = Factory.LightButton(text=text) if light else Factory.KButton(text=text)
        widget.width = self.width
        widget.bind(on_release=lambda *_args: on_release())
        self.container.add_widget(widget)
        return widget

    def widget(self, widget: Widget) -> None:
        """Any other widget."""
        self.container.add_widget(widget)

    def text(self) -> str:
        """Everything worth reading aloud, in order."""
        return sentences(self.spoken)
