"""The guide checklist (一次性告知单) on the ticket printer: real ESC/POS bytes, decoded back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devices.checklist_layout import TICK_BOX, ChecklistPrint, render_checklist
from devices.escpos_render import decode_escpos
from devices.printer import make_printer, ticket_format
from devices.printer_simulated import SimulatedPrinter
from devices.status import DeviceError

CHECKLIST = ChecklistPrint(
    code="FLYZ-003", title="民事、行政案件法律援助申请（经济困难）",
    materials=("法律援助申请表 原件1份", "申请人居民身份证 原件1份、复印件1份",
               "经济困难状况说明表（个人诚信承诺书）原件1份，这一行特意写得很长以便折行打印",
               "与所申请事项有关的材料 原件1份、复印件1份"),
    where="法律援助 1号窗口", hours="周一至周五 9:00-12:00 13:30-17:30", phone="12348",
    url="https://example.gov.cn/guide/FLYZ-003")


def test_text_mode_checklist_decodes_with_every_material():
    layout = ticket_format(80, mode="gb18030")
    started = time.perf_counter()
    data = layout.encode(CHECKLIST)
    elapsed = time.perf_counter() - started
    paper = decode_escpos(data, layout.width_dots, layout.font_path, layout.font_index)
    text = "".join("".join(paper.text_lines).split())  # a wrapped line's indent is blank
    for material in CHECKLIST.materials:
        assert "".join(f"{TICK_BOX} {material}".split()) in text
    assert paper.text_lines[0] == "一次性告知单"
    assert "办理地点：法律援助 1号窗口" in paper.text_lines
    assert any("12348" in line for line in paper.text_lines)
    assert paper.qr_codes == [CHECKLIST.url]
    assert paper.ends_with_cut and paper.cuts == 1
    print(f"gb18030 checklist: {len(data)} bytes, encoded in {elapsed * 1000:.1f} ms")


def test_bitmap_checklist_decodes_to_the_rendered_picture():
    layout = ticket_format(58, mode="bitmap")
    assert layout.font_path
    started = time.perf_counter()
    data = layout.encode(CHECKLIST)
    elapsed = time.perf_counter() - started
    paper = decode_escpos(data, layout.width_dots, layout.font_path, layout.font_index)
    picture = render_checklist(CHECKLIST, layout.width_dots, layout.font_path, layout.font_index)
    assert {width for width, _ in paper.rasters} == {picture.width}  # sent in strips
    assert sum(height for _, height in paper.rasters) == picture.height and paper.ends_with_cut
    assert paper.image.crop((0, 0, *picture.size)).tobytes() == picture.tobytes()
    print(f"bitmap checklist: {len(data)} bytes, {picture.size}, encoded in "
          f"{elapsed * 1000:.1f} ms")


def test_simulated_printer_writes_the_checklist_and_refuses_without_paper(tmp_path: Path):
    printer = make_printer("simulated", directory=str(tmp_path), mode="gb18030")
    assert isinstance(printer, SimulatedPrinter)
    printer.print_ticket(CHECKLIST)
    assert printer.tickets[-1].name == "ticket-0001-checklist-FLYZ-003.bin"
    printer.set_fault("paper_out")
    with pytest.raises(DeviceError, match="paper out"):
        printer.print_ticket(CHECKLIST)
    assert len(list(tmp_path.glob("*.bin"))) == 1  # nothing half-printed


def test_a_checklist_needs_materials():
    with pytest.raises(ValueError, match="at least one material"):
        ChecklistPrint("X", "t", (), "", "", "", "https://example.gov.cn")
