"""Queue ticket content and layout: a pure bitmap rendering and the ESC/POS commands (no Kivy here).

A ticket prints in the visitor's language: its fixed words come in a TicketWords the terminal
builds from its gettext catalogs (kiosk/slips.py); the defaults here are the Chinese of the
zh_CN catalog (a test keeps the two the same), so a ticket made without words prints in
Chinese. The CJK font draws both: an English ticket keeps the hall's Chinese name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from content.linebreak import break_lines
from devices.qr import qr_image
from protocol.queue import window_numbers

PRIORITIES = ("normal", "green", "appointment")
MODES = ("bitmap", "gb18030")
PREFERRED_FAMILY = "Noto Sans CJK SC"
BASE_WIDTH = 384  # dots on a 58 mm head; sizes below are for it and scale with the paper
QR_SHARE = 0.55  # of the paper width
QR_BORDER = 2  # quiet-zone modules around the printed code
TEXT_CELL = 12  # dots per half-width character in a printer's resident 12x24 font

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"


class LineKind(StrEnum):
    """What a ticket line is; it decides size and weight in both print modes."""

    HALL = "hall"
    SERVICE = "service"
    NUMBER = "number"
    MARKER = "marker"
    BODY = "body"
    NOTICE = "notice"
    CAPTION = "caption"  # printed under the QR code


@dataclass(frozen=True)
class TicketWords:
    """The fixed words of a ticket in one language; {placeholders} are filled in per ticket.
    A count's wording has a form for one ("_one") and for any other count."""

    green: str = "绿色通道"
    appointment: str = "预约"
    window: str = "在 {windows} 号窗口办理"
    windows: str = "在 {windows} 号窗口办理"
    window_separator: str = "、"
    ahead_one: str = "前面还有 {count} 人等候"
    ahead: str = "前面还有 {count} 人等候"
    wait_one: str = "预计等候约 {minutes} 分钟"
    wait: str = "预计等候约 {minutes} 分钟"
    issued: str = "取号时间 {time}"
    notice: str = "过号无效，请重新取号"
    caption: str = "扫码查看排队进度"


CHINESE_TICKET = TicketWords()


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on one queue ticket."""

    hall: str
    service: str
    number: str
    people_ahead: int
    wait_minutes: int | None
    issued_at: datetime  # aware, already in the hall's local time
    status_url: str  # the phone page that follows this ticket's queue
    priority: str = "normal"  # "normal" | "green" | "appointment"
    windows: tuple[int, ...] = ()  # the hall's windows serving the service; none: no line
    words: TicketWords = CHINESE_TICKET  # the visitor's language
    service_note: str = ""  # under the service: its Chinese name on an English ticket

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        if self.priority not in PRIORITIES:
            raise ValueError(f"unknown priority {self.priority!r}; expected one of: "
                             + ", ".join(PRIORITIES))
        if self.people_ahead < 0 or (self.wait_minutes is not None and self.wait_minutes < 0):
            raise ValueError("people_ahead and wait_minutes cannot be negative")


@dataclass(frozen=True)
class RenderedTicket:
    """A ticket bitmap and where its parts are, as (left, top, right, bottom) boxes."""

    image: Image.Image
    regions: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


def _ticket_lines(ticket: TicketPrint) -> list[tuple[LineKind, str]]:
    words = ticket.words
    lines = [(LineKind.HALL, ticket.hall), (LineKind.SERVICE, ticket.service)]
    if ticket.service_note:
        lines.append((LineKind.BODY, ticket.service_note))
    lines.append((LineKind.NUMBER, ticket.number))
    if marker := {"green": words.green, "appointment": words.appointment}.get(ticket.priority):
        lines.append((LineKind.MARKER, marker))
    if ticket.windows:
        shown = window_numbers(ticket.windows, words.window_separator)
        template = words.window if len(ticket.windows) == 1 else words.windows
        lines.append((LineKind.MARKER, template.format(windows=shown)))
    ahead = words.ahead_one if ticket.people_ahead == 1 else words.ahead
    lines.append((LineKind.BODY, ahead.format(count=ticket.people_ahead)))
    if ticket.wait_minutes is not None:
        wait = words.wait_one if ticket.wait_minutes == 1 else words.wait
        lines.append((LineKind.BODY, wait.format(minutes=ticket.wait_minutes)))
    lines.append((LineKind.BODY, words.issued.format(time=f"{ticket.issued_at:%Y-%m-%d %H:%M}")))
    lines.append((LineKind.NOTICE, words.notice))
    lines.append((LineKind.CAPTION, words.caption))
    return lines


def ticket_text_lines(ticket: TicketPrint) -> list[str]:
    """The ticket's text in print order; the QR code goes before the last line (its caption)."""
    return [text for _kind, text in _ticket_lines(ticket)]


@lru_cache(maxsize=128)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=16)
def find_sc_face(path: str) -> int:
    """The face index of Simplified Chinese in a font collection (.ttc); 0 for a single font."""
    families: list[str] = []
    while True:
        try:
            families.append(str(ImageFont.truetype(path, 12, index=len(families)).getname()[0]))
        except OSError:  # FreeType's answer to an index past the last face
            break
    if not families:
        raise OSError(f"cannot read a font from {path}")
    preferred = [i for i, name in enumerate(families) if name == PREFERRED_FAMILY]
    simplified = [i for i, name in enumerate(families)
                  if name.endswith(" SC") and "Mono" not in name]
    return (preferred or simplified or [0])[0]


def qr_box_size(status_url: str, width_dots: int) -> int:
    """Dots per QR module so the code takes about QR_SHARE of the paper width."""
    modules = qr_image(status_url, box_size=1, border=0).width
    return max(2, min(16, int(width_dots * QR_SHARE) // (modules + 2 * QR_BORDER)))


def ticket_qr(status_url: str, width_dots: int) -> Image.Image:
    """The QR code as placed on a bitmap ticket: qr_image() at qr_box_size(), mode "1"."""
    box_size = qr_box_size(status_url, width_dots)
    return qr_image(status_url, box_size=box_size, border=QR_BORDER).convert("1")


def layout_ticket(ticket: TicketPrint, width_dots: int, font_path: str,
                  font_index: int = 0) -> RenderedTicket:
    """Lay the ticket out as a black-and-white bitmap exactly width_dots wide."""
    scale = width_dots / BASE_WIDTH
    margin = round(12 * scale)
    usable = width_dots - 2 * margin
    sizes = {LineKind.HALL: 28, LineKind.SERVICE: 34, LineKind.NUMBER: 120, LineKind.MARKER: 28,
             LineKind.BODY: 26, LineKind.NOTICE: 26, LineKind.CAPTION: 22}
    gaps = {LineKind.HALL: 4, LineKind.SERVICE: 4, LineKind.NUMBER: 8, LineKind.MARKER: 14,
            LineKind.BODY: 6, LineKind.NOTICE: 10, LineKind.CAPTION: 6}
    # Each block is (height, painter(draw, image, top) -> region box or None, region name).
    blocks: list[tuple[int, Callable[[Any, Image.Image, int], tuple[int, int, int, int]], str]]
    blocks = [(round(16 * scale), _nothing, "")]
    for kind, text in _ticket_lines(ticket):
        font = _font(font_path, font_index, round(sizes[kind] * scale))
        stroke = round(3 * scale) if kind is LineKind.NUMBER else 0
        if kind is LineKind.CAPTION:
            qr = ticket_qr(ticket.status_url, width_dots)
            blocks.append((qr.height, _paste(qr, width_dots), "qr"))
        if kind is LineKind.NUMBER:
            font = _fit(font_path, font_index, font, text, usable - 2 * stroke)
            parts = [text]
        else:
            parts = break_lines(text, font.getlength, usable - (4 * margin if kind is
                                                             LineKind.MARKER else 0))
        ascent, descent = font.getmetrics()
        for part in parts:
            painter = (_marker if kind is LineKind.MARKER else _text)(
                part, font, width_dots, stroke, margin)
            height = ascent + descent + (2 * margin if kind is LineKind.MARKER else 0)
            blocks.append((height, painter, kind.value))
        blocks.append((round(gaps[kind] * scale), _nothing, ""))
    blocks.append((round(16 * scale), _nothing, ""))
    image = Image.new("1", (width_dots, sum(height for height, _, _ in blocks)), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # crisp dots: a thermal head has no grey
    regions: dict[str, tuple[int, int, int, int]] = {}
    top = 0
    for height, painter, name in blocks:
        box = painter(draw, image, top)
        if name:
            regions[name] = _union(regions.get(name), box)
        top += height
    return RenderedTicket(image, regions)


def render_ticket(ticket: TicketPrint, width_dots: int, font_path: str,
                  font_index: int = 0) -> Image.Image:
    """The ticket as a mode "1" image exactly width_dots wide (384 for 58 mm, 576 for 80 mm)."""
    return layout_ticket(ticket, width_dots, font_path, font_index).image


def _fit(path: str, index: int, font: ImageFont.FreeTypeFont, text: str,
         width: float) -> ImageFont.FreeTypeFont:
    while font.getlength(text) > width and font.size > 8:  # a long number: shrink, not wrap
        font = _font(path, index, int(font.size * 0.9))
    return font


def _nothing(draw: Any, image: Image.Image, top: int) -> tuple[int, int, int, int]:
    return (0, top, 0, top)


def _text(text: str, font: ImageFont.FreeTypeFont, width: int, stroke: int,
          margin: int) -> Callable[[Any, Image.Image, int], tuple[int, int, int, int]]:
    def paint(draw: Any, image: Image.Image, top: int) -> tuple[int, int, int, int]:
        position = (width // 2, top)
        draw.text(position, text, fill=0, font=font, anchor="ma", stroke_width=stroke,
                  stroke_fill=0)
        box = draw.textbbox(position, text, font=font, anchor="ma", stroke_width=stroke)
        return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
    return paint


def _marker(text: str, font: ImageFont.FreeTypeFont, width: int, stroke: int,
            margin: int) -> Callable[[Any, Image.Image, int], tuple[int, int, int, int]]:
    def paint(draw: Any, image: Image.Image, top: int) -> tuple[int, int, int, int]:
        half = int(font.getlength(text)) // 2 + 2 * margin
        ascent, descent = font.getmetrics()
        box = (width // 2 - half, top, width // 2 + half, top + ascent + descent + 2 * margin)
        draw.rounded_rectangle(box, radius=margin, fill=0)
        draw.text((width // 2, top + margin), text, fill=255, font=font, anchor="ma")
        return box
    return paint


def _paste(picture: Image.Image,
           width: int) -> Callable[[Any, Image.Image, int], tuple[int, int, int, int]]:
    def paint(draw: Any, image: Image.Image, top: int) -> tuple[int, int, int, int]:
        left = (width - picture.width) // 2
        image.paste(picture, (left, top))
        return (left, top, left + picture.width, top + picture.height)
    return paint


def _union(first: tuple[int, int, int, int] | None,
           second: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    if first is None:
        return second
    return (min(first[0], second[0]), min(first[1], second[1]),
            max(first[2], second[2]), max(first[3], second[3]))


def text_cells(text: str) -> int:
    """Width in half-width cells on a printer's resident font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# Text mode: (bold, width multiplier, height multiplier, reverse) per kind of line.
TEXT_STYLES = {LineKind.HALL: (True, 1, 2, False), LineKind.SERVICE: (True, 2, 2, False),
               LineKind.NUMBER: (True, 4, 4, False), LineKind.MARKER: (False, 2, 2, True),
               LineKind.BODY: (False, 1, 1, False), LineKind.NOTICE: (True, 1, 1, False),
               LineKind.CAPTION: (False, 1, 1, False)}


def write_ticket(escpos_printer: Any, ticket: TicketPrint, *, width_dots: int,
                 mode: str = "bitmap", font_path: str | None = None, font_index: int = 0) -> None:
    """Send one ticket to any python-escpos printer object, ending with a paper cut."""
    write_slip(escpos_printer, "tickets", mode, width_dots, font_path,
               lambda path: render_ticket(ticket, width_dots, path, font_index),
               lambda: _write_text_ticket(escpos_printer, ticket, width_dots))


def write_slip(escpos_printer: Any, what: str, mode: str, width_dots: int, font_path: str | None,
               render: Callable[[str], Image.Image], write_text: Callable[[], None]) -> None:
    """Print one slip (a ticket, a checklist) in either mode, ending with a paper cut: render(
    font_path) gives the bitmap, write_text() sends it in the printer's own font."""
    if mode == "bitmap":
        if not font_path:
            raise ValueError(f"bitmap {what} need font_path, a CJK font")
        _tell_paper_width(escpos_printer, width_dots)
        escpos_printer.hw("INIT")
        escpos_printer.image(render(font_path), impl="bitImageRaster", center=False)
    elif mode == "gb18030":
        write_text()
    else:
        raise ValueError(f"unknown print mode {mode!r}; expected one of: {', '.join(MODES)}")
    escpos_printer.cut()


def _tell_paper_width(escpos_printer: Any, width_dots: int) -> None:
    # python-escpos prints a warning to stdout for every image when its profile has no paper
    # width; give this printer's profile (not the shared class) the width we lay out for.
    profile = escpos_printer.profile
    if str(profile.profile_data.get("media", {}).get("width", {}).get("pixels")).isdigit():
        return  # a real profile: image() will refuse a ticket wider than the paper
    media = {**profile.profile_data.get("media", {}),
             "width": {"mm": round(width_dots / 8), "pixels": width_dots}}
    profile.profile_data = {**profile.profile_data, "media": media}


def _write_text_ticket(escpos_printer: Any, ticket: TicketPrint, width_dots: int) -> None:
    raw = escpos_printer._raw  # bytes as they are: python-escpos's text() cannot encode GB18030
    raw(ESC + b"@" + FS + b"&" + ESC + b"a\x01")  # reset, Chinese characters on, centre
    for kind, text in _ticket_lines(ticket):
        if kind is LineKind.CAPTION:
            raw(ESC + b"E\x00" + GS + b"!\x00" + GS + b"B\x00")
            escpos_printer.qr(ticket.status_url, ec=1, size=qr_box_size(ticket.status_url,
                                                                        width_dots), native=True)
        bold, wide, tall, reverse = TEXT_STYLES[kind]
        raw(ESC + b"E" + bytes([bold]) + GS + b"!" + bytes([(wide - 1) << 4 | (tall - 1)])
            + GS + b"B" + bytes([reverse]))
        columns = width_dots // (TEXT_CELL * wide) - (2 if reverse else 0)
        for part in break_lines(text, text_cells, columns):
            padded = f" {part} " if reverse else part  # a reversed label reads better padded
            raw(padded.encode("gb18030") + LF)
    raw(ESC + b"E\x00" + GS + b"!\x00" + GS + b"B\x00")
