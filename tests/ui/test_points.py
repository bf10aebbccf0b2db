"""Filtering service points with the chips, and opening one."""

from __future__ import annotations

from typing import Any

from content.install import SEED
from content.loader import load_source

POINTS = load_source(SEED).points


def open_points(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("服务网点")
    assert ui.app.nav.current == "points"


def test_type_and_district_chips_filter_the_list(ui: Any) -> None:
    from kiosk.widgets import Chip

    open_points(ui)
    assert len(ui.screen.results) == len(POINTS)
    ui.tap(ui.find("公证处", kind=Chip))
    notaries = [p.id for p in POINTS if p.type == "notary_office"]
    assert ui.screen.results == notaries
    ui.tap(ui.find("村(社区)法律服务工作室", kind=Chip))  # a second type widens the filter
    rooms = {p.id for p in POINTS if p.type in ("notary_office", "village_room")}
    assert set(ui.screen.results) == rooms
    district = POINTS[-1].district
    ui.tap(ui.find(district, kind=Chip))  # another group narrows it
    expected = {p.id for p in POINTS if p.id in rooms and p.district == district}
    assert expected and set(ui.screen.results) == expected
    assert {row["key"] for row in ui.screen.ids.rows.data} == expected  # what the list shows


def test_open_a_point_shows_contacts_and_map_code(ui: Any) -> None:
    from kiosk.widgets import Chip, QRCode

    open_points(ui)
    ui.tap(ui.find("公证处", kind=Chip))
    first = next(p for p in POINTS if p.type == "notary_office")
    ui.tap(first.name)
    assert ui.app.nav.current == "point_detail"
    shown = "\n".join(ui.texts())
    for value in (first.name, first.address, first.phone, first.hours):
        assert value in shown
    assert "示例数据" in shown  # sample data is marked as such
    assert ui.wait_until(lambda: any(isinstance(w, QRCode) and w.texture
                                     for w in ui.widgets()))
    code = next(w for w in ui.widgets() if isinstance(w, QRCode))
    assert f"{first.longitude},{first.latitude}" in code.data
    # The texture is the code itself, one texel per module (top row last: GL's origin is
    # at the bottom), a 2-module quiet zone of light texels around the code.
    from devices.qr import qr_modules

    modules = qr_modules(code.data)
    size = len(modules)
    assert code.texture.size == (size, size)
    pixels = code.texture.pixels  # RGBA, bottom row first
    shown = [[pixels[4 * (y * size + x)] < 128 for x in range(size)]
             for y in reversed(range(size))]
    assert shown == [list(row) for row in modules]
    assert not any(shown[0]) and shown[2][2:9] == [True] * 7  # quiet zone, finder's top
