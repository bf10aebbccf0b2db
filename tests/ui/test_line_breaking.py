"""Chinese line breaking on the real screens: what Kivy draws follows content.linebreak."""

from __future__ import annotations

from typing import Any

from content.install import SEED
from content.linebreak import INDENT, NO_LINE_END, NO_LINE_START
from content.loader import load_source

SEED_CONTENT = load_source(SEED)


def drawn_lines(ui: Any) -> list[list[str]]:
    """The lines of every visible wrapping label as drawn (the core label's text)."""
    from kivy.uix.label import Label

    labels = [w for w in ui.widgets() if isinstance(w, Label) and w.text_size[0]
              and w.text and not w.markup and not w.shorten]
    return [w._label.text.split("\n") for w in labels]


def open_guide(ui: Any, title: str, category: str) -> None:
    ui.tap(ui.screen)
    ui.tap("办事指南")
    ui.tap(category)
    ui.tap(title)
    assert ui.app.nav.current == "guide_detail"
    ui.frames(3)


def test_guide_pages_never_start_a_line_with_closing_punctuation(ui: Any) -> None:
    guide = max((g for g in SEED_CONTENT.guides if g.category == "legal-aid"),
                key=lambda g: sum(len(m.name) for m in g.materials))
    open_guide(ui, guide.title, "法律援助")
    paragraphs = drawn_lines(ui)
    wrapped = [lines for lines in paragraphs if len(lines) > 1]
    assert len(wrapped) >= 3  # the page has wrapped text to check
    for lines in paragraphs:
        for line in lines:
            text = line.lstrip(INDENT)
            if text:
                assert text[0] not in NO_LINE_START, lines
                assert text[-1] not in NO_LINE_END, lines


def test_a_bullet_paragraph_hangs_and_is_measured_with_the_label_font(ui: Any) -> None:
    from kivy.factory import Factory

    text = "1. 身份证明：居民身份证、户口簿或者其他有效证件的原件和复印件（复印件一份）"
    label = Factory.Paragraph(text=text, width=420)
    ui.screen.add_widget(label)
    try:
        label.texture_update()
        lines = label._label.text.split("\n")
        assert len(lines) >= 3
        assert all(line.startswith(INDENT) for line in lines[1:])  # under the text, not the "1."
        extents = label._label.get_extents
        assert all(extents(line)[0] <= 420 for line in lines)
        # Kivy's layout reuses the line breaker's measurements: exactly SDL_ttf's own
        cached = label._label.get_cached_extents()
        assert cached is not extents and all(cached(line) == extents(line) for line in lines)
        assert label.texture_size[1] >= len(lines) * label.font_size  # Kivy drew every line
        assert "".join(line.lstrip(INDENT) for line in lines).replace(" ", "") == \
            text.replace(" ", "")
    finally:
        ui.screen.remove_widget(label)
