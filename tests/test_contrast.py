"""Theme colours meet WCAG contrast; elder-mode sizes meet the elder-friendly guidelines."""

from __future__ import annotations

import pytest

from kiosk.palette import COLORS, ELDER, NORMAL, TEXT_PAIRS, contrast_ratio, hex_rgba

# 1 pt = 4/3 px, and the theme's dp are CSS-like px on the 1080-wide portrait screen.
PT = 4 / 3


@pytest.mark.parametrize(("name", "foreground", "background"), TEXT_PAIRS,
                         ids=[name for name, _, _ in TEXT_PAIRS])
def test_text_pair_has_at_least_4_5_to_1(name, foreground, background):
    assert contrast_ratio(foreground, background) >= 4.5, name


def test_every_text_pair_uses_hex_colours():
    for name, foreground, background in TEXT_PAIRS:
        assert len(hex_rgba(foreground)) == 4 and len(hex_rgba(background)) == 4, name


def test_the_main_widget_colours_are_covered_by_pairs():
    checked = {colour.upper() for _, fg, bg in TEXT_PAIRS for colour in (fg, bg)}
    for role in ("text", "muted", "background", "surface", "primary", "on_primary", "accent"):
        assert COLORS[role].upper() in checked, role


def test_contrast_formula_extremes():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#0A4A85", "#0A4A85") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


def test_contrast_formula_known_value():
    # WCAG's reference: #767676 on white is the darkest grey that just passes 4.5:1.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#FFFFFF") < 4.5


def test_elder_sizes_meet_the_guidelines():
    assert ELDER.body >= 18 * PT  # 24 dp
    assert ELDER.tile >= 30 * PT  # 40 dp
    assert ELDER.target >= 60
    assert ELDER.line_height >= 1.3


def test_elder_mode_is_larger_than_normal_everywhere():
    for size in ("small", "body", "heading", "title", "tile", "target"):
        assert getattr(ELDER, size) > getattr(NORMAL, size), size
