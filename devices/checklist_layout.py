"""The materials checklist (一次性告知单) a visitor takes home from a guide: title, every material
with a tick box, where to go in the hall, hours, phone and a QR code to the guide online.

Printed like the queue ticket: a bitmap in the CJK font ("bitmap" mode) or the printer's own
GB18030 font ("gb18030" mode), ending with one paper cut. In the visitor's language, as
tickets are: the terminal passes the texts and the fixed words (ChecklistWords, Chinese by
default) from its gettext catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from content.linebreak import break_lines
from devices.ticket_layout import (
    BASE_WIDTH,
    ESC,
    FS,
    GS,
    LF,
    TEXT_CELL,
    _font,
    qr_box_size,
    text_cells,
    ticket_qr,
    write_slip,
)

TICK_BOX = "□"


@dataclass(frozen=True)
class ChecklistWords:
    """The fixed words of a take-home slip in one language (defaults: the zh_CN catalog's)."""

    heading_one: str = "需要携带的材料（共{count}项）"
    heading: str = "需要携带的材料（共{count}项）"
    where: str = "办理地点：{where}"
    hours: str = "办公时间：{hours}"
    phone: str = "咨询电话：{phone}"


CHINESE_CHECKLIST = ChecklistWords()


@dataclass(frozen=True)
class ChecklistPrint:
    """What a take-home slip prints: a guide's materials checklist (each line with a tick
    box), or a result such as a calculator's (its working, no boxes, its basis in notes)."""

    code: str  # the guide's code (or the calculator's name)
    title: str
    materials: tuple[str, ...]  # one line per material, counts included (or working lines)
    where: str
    hours: str
    phone: str
    url: str  # the guide online (or where to go on)
    banner: str = "一次性告知单"
    heading: str = ""  # above the lines; default: 需要携带的材料（共N项）
    boxed: bool = True  # a tick box before each line
    notes: tuple[str, ...] = ()  # after the lines: legal basis, 仅供参考
    caption: str = "扫码在手机上查看办事指南"
    code_label: str = "事项编号"  # before the code; a case receipt says 案件编号
    words: ChecklistWords = CHINESE_CHECKLIST  # the visitor's language

    def __post_init__(self) -> None:
        if not self.materials:
            raise ValueError("a checklist needs at least one material")

    @property
    def number(self) -> str:
        """What the printers' logs and the simulated printer's file names call this print."""
        return f"checklist-{self.code}"


def checklist_lines(checklist: ChecklistPrint) -> list[tuple[str, str]]:
    """(kind, text) in print order: "title", "heading", "item", "body"; the QR code goes before
    the last line (its caption)."""
    words, count = checklist.words, len(checklist.materials)
    heading = words.heading_one if count == 1 else words.heading
    lines = [("title", checklist.banner), ("title", checklist.title),
             ("body", f"{checklist.code_label} {checklist.code}"),
             ("heading", checklist.heading or heading.format(count=count))]
    box = f"{TICK_BOX} " if checklist.boxed else "• "
    lines += [("item", f"{box}{material}") for material in checklist.materials]
    lines += [("body", note) for note in checklist.notes]
    if checklist.where:
        lines.append(("body", words.where.format(where=checklist.where)))
    if checklist.hours:
        lines.append(("body", words.hours.format(hours=checklist.hours)))
    if checklist.phone:
        lines.append(("body", words.phone.format(phone=checklist.phone)))
    lines.append(("body", checklist.caption))
    return lines


SIZES = {"title": 30, "heading": 26, "item": 24, "body": 22}


def render_checklist(checklist: ChecklistPrint, width_dots: int, font_path: str,
                     font_index: int = 0) -> Image.Image:
    """The checklist as a mode "1" image exactly width_dots wide, text left-aligned."""
    scale = width_dots / BASE_WIDTH
    margin = round(12 * scale)
    usable = width_dots - 2 * margin
    lines = checklist_lines(checklist)
    rows: list[tuple[Any, str, int]] = []  # (font or QR image, text, x)
    for index, (kind, text) in enumerate(lines):
        if index == len(lines) - 1:
            rows.append((ticket_qr(checklist.url, width_dots), "", 0))
        font = _font(font_path, font_index, round(SIZES[kind] * scale))
        # break_lines hangs a bulleted item's continuation lines under its text.
        rows += [(font, part, margin) for part in break_lines(text, font.getlength, usable)]
    heights = [row[0].height if isinstance(row[0], Image.Image) else sum(row[0].getmetrics())
               + round(6 * scale) for row in rows]
    image = Image.new("1", (width_dots, sum(heights) + round(32 * scale)), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    top = round(16 * scale)
    for (what, text, left), height in zip(rows, heights, strict=True):
        if isinstance(what, Image.Image):
            image.paste(what, ((width_dots - what.width) // 2, top))
        else:
            draw.text((left, top), text, fill=0, font=what)
        top += height
    return image


def write_checklist(escpos_printer: Any, checklist: ChecklistPrint, *, width_dots: int,
                    mode: str = "bitmap", font_path: str | None = None,
                    font_index: int = 0) -> None:
    """Send the checklist to any python-escpos printer object, ending with a paper cut."""
    write_slip(escpos_printer, "checklists", mode, width_dots, font_path,
               lambda path: render_checklist(checklist, width_dots, path, font_index),
               lambda: _write_text(escpos_printer, checklist, width_dots))


def _write_text(escpos_printer: Any, checklist: ChecklistPrint, width_dots: int) -> None:
    raw = escpos_printer._raw
    raw(ESC + b"@" + FS + b"&" + ESC + b"a\x00")  # reset, Chinese characters on, left
    lines = checklist_lines(checklist)
    for index, (kind, text) in enumerate(lines):
        if index == len(lines) - 1:
            raw(ESC + b"a\x01" + ESC + b"E\x00" + GS + b"!\x00")
            escpos_printer.qr(checklist.url, ec=1, size=qr_box_size(checklist.url, width_dots),
                              native=True)
        bold = kind in ("title", "heading")
        tall = kind == "title"
        raw(ESC + b"E" + bytes([bold]) + GS + b"!" + bytes([1 if tall else 0]))
        for part in break_lines(text, text_cells, width_dots // TEXT_CELL):
            raw(part.encode("gb18030") + LF)
    raw(ESC + b"E\x00" + GS + b"!\x00" + ESC + b"a\x00")
