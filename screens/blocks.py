"""Build the body of content pages (guide, flow result ...) from text blocks.

Content decides how many sections and rows a page has, so detail screens
fill a Column in Python with these few kv-styled widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kivy.factory import Factory
from kivy.uix.widget import Widget

from screens.base import sentences


class Page:
    """Appends styled widgets to a container; remembers the text for read-aloud."""

    def __init__(self, container: Widget):
        self.container = container
        container.clear_widgets()
        self.spoken: list[str] = []

    def heading(self, text: str) -> None:
        """A section heading."""
        self.container.add_widget(Factory.Heading(text=text))
        self.spoken.append(text)

    def paragraph(self, text: str, *, speak: bool = True) -> None:
        """Body text."""
        if text:
            self.container.add_widget(Factory.Paragraph(text=text))
            if speak:
                self.spoken.append(text)

    def muted(self, text: str) -> None:
        """Secondary text (dates, codes, notes)."""
        if text:
            self.container.add_widget(Factory.Muted(text=text))

    def bullets(self, items: Iterable[str]) -> None:
        """An unnumbered list."""
        for item in items:
            # No-break spaces: Kivy wraps only at spaces, and a bullet must stay with
            # its text even when the text is one long run of Chinese characters.
            self.paragraph(f"•\u00a0\u00a0{item}")

    def numbered(self, rows: Iterable[tuple[str, str]]) -> None:
        """A numbered list of (main text, note) rows, each on a card."""
        for number, (main, note) in enumerate(rows, start=1):
            card = Factory.Card()
            card.add_widget(Factory.Paragraph(text=f"{number}.\u00a0\u00a0{main}"))
            if note:
                card.add_widget(Factory.Muted(text=note))
            self.container.add_widget(card)
            self.spoken.append(f"{number}、{main}")

    def button(self, text: str, on_release: Callable[[], Any], *, light: bool = True) -> Any:
        """A full-width button."""
        widget = Factory.LightButton(text=text) if light else Factory.KButton(text=text)
        widget.bind(on_release=lambda *_args: on_release())
        self.container.add_widget(widget)
        return widget

    def widget(self, widget: Widget) -> None:
        """Any other widget."""
        self.container.add_widget(widget)

    def text(self) -> str:
        """Everything worth reading aloud, in order."""
        return sentences(self.spoken)
