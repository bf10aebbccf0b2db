"""The interface font is a cut of the CJK face (issue #17): the app draws with the cut,
and a text with a character outside it (a rare name character) with the whole face,
so nothing is ever drawn as a box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

RARE = "张喆堃"  # 喆 and 堃 (name characters) are not in GB 2312
COMMON = "法律援助申请材料"


def pixels(label: Any) -> bytes:
    """The alpha channel of what a label draws (the glyphs' shapes, whatever the colour)."""
    label.texture_update()
    assert label.texture is not None
    return bytes(label.texture.pixels)[3::4]


def test_the_app_draws_with_the_cut_and_rare_characters_with_the_whole_face(
        ui: Any, ui_data_dir: Path) -> None:
    from kivy.core.text import DEFAULT_FONT
    from kivy.core.text import Label as CoreLabel

    from kiosk import bootstrap
    from kiosk.labels import FULL_FONT, Label

    fonts = bootstrap.FONTS
    assert fonts is not None and fonts.covered is not None and fonts.full_regular is not None
    assert fonts.regular.parent == ui_data_dir / "fonts" and "-cut-" in fonts.regular.name
    with TTFont(str(fonts.regular), lazy=True) as cut:
        cut_map = dict(cut.getBestCmap())
    with TTFont(str(fonts.full_regular), lazy=True) as whole:
        whole_map = dict(whole.getBestCmap())
    assert len(cut_map) < len(whole_map) / 4  # a real cut: about 7,500 of 44,000 characters
    assert all(ord(c) in cut_map for c in COMMON + "，。：；（）《》“”、0123456789ABCabc·—")
    assert {ord(c) in cut_map for c in RARE[1:]} == {False}
    assert all(ord(c) in whole_map for c in RARE)
    # every character the cut claims to cover is really in it (where the face has it)
    assert all(ord(c) in cut_map for c in fonts.covered if ord(c) in whole_map)
    # its glyphs numbered in order (CIDs 0, 1, 2 ...): a one-range charset, which SDL2_ttf
    # reads at once each time it opens the font at another size (kiosk.fonts)
    with TTFont(str(fonts.regular), lazy=True) as cut:
        top = cut["CFF "].cff.topDictIndex[0]
        assert top.charset == [".notdef", *(f"cid{gid:05d}" for gid in range(1, len(top.charset)))]
        assert len(top.charset) == cut["maxp"].numGlyphs

    common = Label(text=COMMON, font_size=40)
    assert pixels(common) and common._label.options["font_name"] == DEFAULT_FONT
    for text in (COMMON, "《民法典》第1165条：“行为人因过错……”Legal aid 12348"):
        drawn_by = [CoreLabel(text=text, font_size=size, font_name=name, bold=bold)
                    for name in (DEFAULT_FONT, FULL_FONT)
                    for size, bold in ((27, False), (40, True))]
        for core in drawn_by:
            core.refresh()
        cut_pixels = [bytes(core.texture.pixels) for core in drawn_by[:2]]
        assert cut_pixels == [bytes(core.texture.pixels) for core in drawn_by[2:]]  # the same
    rare = Label(text=RARE, font_size=40)
    drawn = pixels(rare)
    assert rare._label.options["font_name"] == FULL_FONT
    in_cut = CoreLabel(text=RARE, font_size=40, font_name=DEFAULT_FONT)
    in_cut.refresh()
    in_whole = CoreLabel(text=RARE, font_size=40, font_name=FULL_FONT)
    in_whole.refresh()
    assert drawn == bytes(in_whole.texture.pixels)[3::4]
    assert drawn != bytes(in_cut.texture.pixels)[3::4]  # the cut alone would draw boxes
    # the same label back on common text returns to the cut
    rare.text = COMMON
    assert pixels(rare) == pixels(common) and rare._label.options["font_name"] == DEFAULT_FONT


def test_sizes_drawn_alike_share_one_open_face(ui: Any) -> None:
    """SDL2_ttf draws at the whole pixel size: labels whose sizes differ only in the fraction
    draw the same pixels and share one open face (about 1 MiB each), so a text fitted to its
    width (the calling display's banner) opens no new face for every length it comes to."""
    from kivy.core.text import Label as CoreLabel

    from screens.display import FittedText

    drawn = {}
    for size in (30.0, 30.4, 30.9, 31.0):
        core = CoreLabel(text=COMMON, font_size=size)
        core.refresh()
        drawn[size] = (core._get_font_id(), bytes(core.texture.pixels))
    assert drawn[30.0] == drawn[30.4] == drawn[30.9]  # one face, the same pixels
    assert drawn[31.0][0] != drawn[30.0][0] and drawn[31.0][1] != drawn[30.0][1]

    banner = FittedText(base_font=60, width=1000, height=90)
    sizes, faces = set(), set()
    for count in range(60):  # a window's name a little longer each time
        banner.text = "请 A023 号到法律援助窗口" + "1" * count
        sizes.add(banner.font_size)
        faces.add(banner._label._get_font_id())
    assert len(sizes) > 15  # the fit comes to a size for (almost) every length ...
    whole = {int(size) for size in sizes}
    assert len(faces) == len(whole) < len(sizes)  # ... drawn by a face per whole pixel size
