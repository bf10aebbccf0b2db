"""The theme as Kivy properties, so every size re-lays out when elder mode toggles."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp
from kivy.properties import BooleanProperty, DictProperty, ListProperty, NumericProperty

from kiosk.palette import COLORS, ELDER, NORMAL, TILE_COLORS, Sizes, hex_rgba


class Theme(EventDispatcher):
    """Colours and sizes; ``elder`` switches every size to the elder-mode set."""

    elder = BooleanProperty(False)
    small = NumericProperty(0)
    body = NumericProperty(0)
    heading = NumericProperty(0)
    title = NumericProperty(0)
    tile = NumericProperty(0)
    target = NumericProperty(0)
    spacing = NumericProperty(0)
    line_height = NumericProperty(1.3)
    color = DictProperty({name: hex_rgba(value) for name, value in COLORS.items()})
    tiles = ListProperty([hex_rgba(value) for value in TILE_COLORS])

    def __init__(self, **kwargs: object):
        super().__init__(**kwargs)
        self._apply(NORMAL)

    def on_elder(self, _instance: object, elder: bool) -> None:
        """Switch every size with the mode."""
        self._apply(ELDER if elder else NORMAL)

    def _apply(self, sizes: Sizes) -> None:
        for name in ("small", "body", "heading", "title", "tile", "target", "spacing"):
            setattr(self, name, dp(getattr(sizes, name)))
        self.line_height = sizes.line_height

    def tile_color(self, index: int) -> list[float]:
        """The colour of the index-th tile, cycling through the palette."""
        return list(self.tiles[index % len(self.tiles)])
