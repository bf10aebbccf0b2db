"""Take a guide home: 打印告知单 prints the checklist on the (simulated) ticket printer; without
paper the visitor is told and 手机查看 shows the QR code carrying the guide's code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from content.install import SEED
from content.loader import load_source
from devices.escpos_render import decode_escpos
from devices.printer import NullPrinter, make_printer
from devices.printer_simulated import SimulatedPrinter

SEED_CONTENT = load_source(SEED)
GUIDE = next(g for g in SEED_CONTENT.guides if g.code == "FLYZ-003")
HALL = SEED_CONTENT.points[0]  # no hall overlay: the content's first centre is this hall


@pytest.fixture
def printer(ui: Any, tmp_path: Path) -> Iterator[SimulatedPrinter]:
    simulated = make_printer("simulated", directory=str(tmp_path / "printer"),
                             paper_width_mm=80, mode="gb18030")
    assert isinstance(simulated, SimulatedPrinter)
    ui.app.queue.printer = simulated
    try:
        yield simulated
    finally:
        ui.app.queue.printer = NullPrinter()


def open_guide(ui: Any) -> None:
    ui.tap(ui.screen)  # leave the attract loop
    ui.app.open_item("guide", GUIDE.code)  # as a search result opens it
    ui.frames(3)
    assert ui.app.nav.current == "guide_detail"


def test_print_checklist_and_view_on_phone(ui: Any, printer: SimulatedPrinter,
                                           tmp_path: Path) -> None:
    open_guide(ui)
    ui.screenshot(tmp_path / "guide-take-home.png")
    ui.tap("打印告知单")
    assert ui.wait_until(lambda: any("告知单已打印" in t for t in ui.texts()), 15)
    assert len(printer.tickets) == 1
    data = printer.tickets[0].read_bytes()
    layout = printer.ticket_format
    paper = decode_escpos(data, layout.width_dots, layout.font_path, layout.font_index)
    text = "".join("".join(paper.text_lines).split())
    assert GUIDE.title.replace(" ", "") in text
    for material in GUIDE.materials:
        assert "□" + "".join(material.name.split()) in text, material.name
    assert "".join(GUIDE.where.service.split()) in text
    assert HALL.type == "centre" and f"咨询电话：{HALL.phone}" in text
    assert "办公时间：" + "".join(HALL.hours.split()) in text
    assert paper.qr_codes and f"guide={GUIDE.code}" in paper.qr_codes[0]
    ui.screenshot(tmp_path / "guide-printed.png")

    # Out of paper: nothing printed, the visitor is told and offered the phone.
    printer.set_fault("paper_out")
    ui.tap("打印告知单")
    assert ui.wait_until(lambda: any("打印机暂时无法打印" in t for t in ui.texts()), 15)
    assert len(printer.tickets) == 1
    ui.screenshot(tmp_path / "guide-no-paper.png")
    ui.tap("手机查看")
    ui.frames(3)
    card = ui.screen.phone_card
    assert f"guide={GUIDE.code}" in card.data
    scroll = ui.screen.ids.scroll
    top = card.to_window(card.x, card.top)[1]
    bottom = card.to_window(card.x, card.y)[1]
    view_bottom = scroll.to_window(scroll.x, scroll.y)[1]
    view_top = scroll.to_window(scroll.x, scroll.top)[1]
    assert view_bottom <= bottom and top <= view_top + 1  # the QR code is on screen
    from kiosk.widgets import QRCode

    code = next(w for w in ui.widgets(card) if isinstance(w, QRCode))
    # drawn as large as its box (a texel per module would be a few pixels: unscannable)
    assert min(code.norm_image_size) >= 0.95 * min(code.size) > 150
    ui.screenshot(tmp_path / "guide-phone.png")


def test_self_check_result_prints_its_materials(ui: Any, printer: SimulatedPrinter,
                                                tmp_path: Path) -> None:
    flow = next(f for f in load_source(SEED).flows if f.id == "legal-aid-check")
    ui.tap(ui.screen)
    ui.tap("法律援助自测")
    for answer in ["民事或行政纠纷", "都不是", "讨要工资", "是，我是农民工"]:
        ui.tap(answer)
    result = flow.nodes["result_worker_exempt"]
    ui.tap("打印告知单")
    assert ui.wait_until(lambda: any("告知单已打印" in t for t in ui.texts()), 15)
    ui.screenshot(tmp_path / "flow-printed.png")
    layout = printer.ticket_format
    paper = decode_escpos(printer.tickets[-1].read_bytes(), layout.width_dots,
                          layout.font_path, layout.font_index)
    text = "".join("".join(paper.text_lines).split())
    for material in result.materials:
        assert "□" + "".join(material.split()) in text, material
    assert paper.qr_codes and "flow=legal-aid-check&result=result_worker_exempt" in \
        paper.qr_codes[0]
    # Out of paper: nothing more printed; the same link is offered as a code on screen.
    printer.set_fault("paper_out")
    ui.tap("打印告知单")
    assert ui.wait_until(lambda: any("请用手机扫描下方二维码" in t for t in ui.texts()), 15)
    assert len(printer.tickets) == 1
    assert ui.screen.phone_card.data == paper.qr_codes[0]
    ui.tap("打印告知单")  # again: still one code on screen
    assert ui.wait_until(lambda: ui.screen.print_button.disabled is False, 15)
    assert sum(isinstance(w, type(ui.screen.phone_card))
               for w in ui.screen.print_button.parent.children) == 1
    ui.screenshot(tmp_path / "flow-no-paper.png")


def test_an_english_visitor_prints_the_checklist_in_english(
        ui: Any, printer: SimulatedPrinter, tmp_path: Path) -> None:
    assert GUIDE.title_en and GUIDE.where.service_en and HALL.hours_en
    ui.tap(ui.screen)
    ui.app.set_language("en")
    try:
        ui.app.open_item("guide", GUIDE.code)
        ui.frames(3)
        ui.tap(ui.screen.print_button)
        assert ui.wait_until(lambda: len(printer.tickets) == 1, 15)
        layout = printer.ticket_format
        paper = decode_escpos(printer.tickets[0].read_bytes(), layout.width_dots,
                              layout.font_path, layout.font_index)
        text = " ".join(" ".join(paper.text_lines).split())
        compact = "".join(text.split())  # a line may break after a dash
        for english in ("Checklist to take home", GUIDE.title_en, f"Matter code {GUIDE.code}",
                        f"Materials to bring ({len(GUIDE.materials)} items)",
                        f"Where: {GUIDE.where.service_en}",
                        "Opening hours: " + " ".join(HALL.hours_en.split()),
                        f"Phone: {HALL.phone}", "Scan to read the guide on your phone"):
            assert "".join(english.split()) in compact, english
        for material in GUIDE.materials:
            assert material.name_en and f"□{''.join(material.name_en.split())}(" in compact
        assert "original ×1" in text
        for chinese in ("一次性告知单", "需要携带", "办理地点", "办公时间", "咨询电话", "原件"):
            assert chinese not in text
        assert paper.qr_codes and f"guide={GUIDE.code}" in paper.qr_codes[0]
    finally:
        ui.app.set_language("zh_CN")
