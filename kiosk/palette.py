"""Colours and sizes of the theme, as plain data (no Kivy), so contrast can be tested.

Every pair of text colour and background used by a widget is listed in
``TEXT_PAIRS``; a test checks each against WCAG's 4.5:1.
"""

from __future__ import annotations

from dataclasses import dataclass


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """'#RRGGBB' as a Kivy rgba tuple."""
    value = value.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def relative_luminance(value: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b, _ = hex_rgba(value)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


COLORS = {
    "background": "#F2F4F7",
    "surface": "#FFFFFF",
    "text": "#16191D",
    "muted": "#47505A",
    "primary": "#0A4A85",
    "primary_dark": "#07335C",
    "on_primary": "#FFFFFF",
    "accent": "#A61E14",
    "on_accent": "#FFFFFF",
    "selected": "#DCE8F5",
    "divider": "#C9D1DA",
    "overlay": "#16191D",
    "sample": "#7A4B00",
    "sample_bg": "#FFF3D6",
}

# Tile colours for categories and home tiles, each carrying white text.
TILE_COLORS = ["#0A4A85", "#1B6B3A", "#8C4A06", "#5E2A8C", "#A61E14", "#00695C",
               "#37474F", "#9C1B55", "#2F5E1A", "#3F3C9A"]

TEXT_PAIRS: list[tuple[str, str, str]] = [
    ("body text", COLORS["text"], COLORS["background"]),
    ("body text on cards", COLORS["text"], COLORS["surface"]),
    ("secondary text", COLORS["muted"], COLORS["background"]),
    ("secondary text on cards", COLORS["muted"], COLORS["surface"]),
    ("text on selected rows", COLORS["text"], COLORS["selected"]),
    ("header and buttons", COLORS["on_primary"], COLORS["primary"]),
    ("pressed buttons", COLORS["on_primary"], COLORS["primary_dark"]),
    ("warnings and countdown", COLORS["on_accent"], COLORS["accent"]),
    ("overlay text", COLORS["surface"], COLORS["overlay"]),
    ("sample-data badge", COLORS["sample"], COLORS["sample_bg"]),
    *[(f"tile {i}", "#FFFFFF", c) for i, c in enumerate(TILE_COLORS)],
]


@dataclass(frozen=True)
class Sizes:
    """Font sizes and touch-target heights in dp for one mode."""

    small: int
    body: int
    heading: int
    title: int
    tile: int
    target: int
    spacing: int
    line_height: float


NORMAL = Sizes(small=22, body=26, heading=34, title=44, tile=36, target=88, spacing=16,
               line_height=1.35)
# Elder mode (长辈版): body at least 18 pt, main functions 30 pt and more, targets over 60 dp.
ELDER = Sizes(small=28, body=34, heading=42, title=54, tile=46, target=112, spacing=20,
              line_height=1.45)
