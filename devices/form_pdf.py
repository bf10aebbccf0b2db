"""A filled-in document as an A4 PDF (reportlab), in the interface's CJK font (no Kivy here).

Debian's Noto Sans CJK is an OpenType collection with PostScript (CFF) outlines, which reportlab
cannot embed; so the Simplified Chinese face is cut down to the characters of the document and
its outlines converted to TrueType (fontTools) before reportlab embeds it. A standalone
TrueType font (.ttf) is used as it is.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from content.forms.fill import clean_values
from content.forms.schema import FormField, FormTemplate, Layout
from devices.status import DeviceError

PAGE_MARGIN_MM = 18
BODY_SIZE = 11
EXTRA_CHARACTERS = "0123456789（）：，。、；“”□*-./年月日第页共 "

_counter = itertools.count(1)
_lock = threading.Lock()


def _truetype_subset(font_path: str, font_index: int, text: str, name: str) -> io.BytesIO:
    """The font's glyphs for text as a TrueType font reportlab can embed."""
    from fontTools.ttLib import TTFont

    with TTFont(font_path, fontNumber=font_index, lazy=True) as font:
        return _converted_subset(font, text, name)


def _converted_subset(font: Any, text: str, name: str) -> io.BytesIO:
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    options = subset.Options()
    options.layout_features, options.name_IDs, options.hinting = [], ["*"], False
    options.notdef_outline, options.desubroutinize = True, True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "CFF " in font:
        glyph_set = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = font.getGlyphOrder(), {}
        for glyph in glyf.glyphOrder:
            pen = TTGlyphPen(glyph_set)
            glyph_set[glyph].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[glyph] = pen.glyph()
        font["glyf"], font["loca"] = glyf, newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"] = newTable("maxp")
        maxp.tableVersion, maxp.maxZones = 0x00010000, 1
        for limit in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                      "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
            setattr(maxp, limit, 0)
        post = font["post"]
        post.formatType, post.extraNames, post.mapping = 2.0, [], {}
        font.sfntVersion = "\0\1\0\0"
    # reportlab keeps one face per PostScript name for the whole process: each subset needs its own.
    table = font["name"]
    table.names = [record for record in table.names if record.nameID != 6]
    table.setName(name, 6, 3, 1, 0x409)
    data = io.BytesIO()
    font.save(data)
    data.seek(0)
    return data


def _register(font_path: str, font_index: int, text: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = f"HallkioskCJK{next(_counter)}"
    try:
        if Path(font_path).suffix.lower() == ".ttf":
            font = TTFont(name, font_path)
        else:
            font = TTFont(name, _truetype_subset(font_path, font_index, text, name),
                          asciiReadable=False)
    except (OSError, TTFError, KeyError, ValueError) as error:
        raise DeviceError(f"cannot use font {font_path} for the PDF: {error}") from error
    pdfmetrics.registerFont(font)
    return name


def _forget(name: str) -> None:
    """Drop a document's font from reportlab's process-wide registries once the PDF is built:
    each document has its own subset, and a kiosk renders documents for months."""
    from reportlab.lib import fonts
    from reportlab.pdfbase import pdfmetrics

    with _lock:
        font = pdfmetrics._fonts.pop(name, None)
        if font is not None:
            pdfmetrics._dynFaceNames.pop(font.face.name, None)
        lowered = name.lower()
        for key in [k for k in fonts._tt2ps_map if k[0] == lowered]:
            del fonts._tt2ps_map[key]
        fonts._ps2tt_map.pop(lowered, None)


def _paragraph_text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _field_value(field: FormField, values: dict[str, str]) -> str:
    return values.get(field.key, "")


def document_texts(template: FormTemplate, values: dict[str, str]) -> list[str]:
    """Every piece of text the document prints (for the font subset)."""
    texts = [template.title, f"致：{template.addressee}", template.intro, template.note,
             *template.signature]
    for section in template.sections:
        texts += [section.title, section.note]
        texts += [f"{field.label}{_field_value(field, values)}" for field in section.fields]
    return texts


def render_form_pdf(template: FormTemplate, values: dict[str, str], *, font_path: str,
                    font_index: int = 0, made_at: dt.datetime | None = None) -> bytes:
    """The filled-in document as PDF bytes; values are used as given (check them first with
    content.forms.fill.check_values). Raises DeviceError when the font cannot be used."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    values = clean_values(template, values)
    made = (made_at or dt.datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    footer = f"{template.note} 生成时间 {made}".strip()
    text = "".join(document_texts(template, values)) + footer + EXTRA_CHARACTERS
    with _lock:  # reportlab's font registry is global
        font = _register(font_path, font_index, text)
    body = ParagraphStyle("body", fontName=font, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.5,
                          wordWrap="CJK")
    label = ParagraphStyle("label", parent=body, textColor=colors.HexColor("#333333"))
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=20, spaceBefore=8,
                             spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=20, leading=28, alignment=TA_CENTER,
                           spaceAfter=6)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=13,
                           textColor=colors.HexColor("#555555"))
    usable = A4[0] - 2 * PAGE_MARGIN_MM * mm
    story: list[object] = [Paragraph(_paragraph_text(template.title), title)]
    if template.addressee:
        story.append(Paragraph(_paragraph_text(f"致：{template.addressee}"), body))
    story.append(Spacer(1, 4 * mm))
    number = itertools.count(1)
    for section in template.sections:
        story.append(Paragraph(_paragraph_text(section.title), heading))
        if section.note:
            story.append(Paragraph(_paragraph_text(section.note), small))
        rows = list(_rows(template.layout, section.fields, values, number, body, label))
        widths = [usable] if template.layout is Layout.ELEMENTS else [usable * 0.3, usable * 0.7]
        table = Table(rows, colWidths=widths)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story.append(table)
    story.append(Spacer(1, 10 * mm))
    for line in template.signature:
        story.append(Paragraph(_paragraph_text(f"{line}：" + "　" * 14), body))
        story.append(Spacer(1, 4 * mm))

    def page_footer(canvas: object, document: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(font, 8)  # type: ignore[attr-defined]
        page = canvas.getPageNumber()  # type: ignore[attr-defined]
        canvas.drawString(PAGE_MARGIN_MM * mm, 10 * mm,  # type: ignore[attr-defined]
                          f"{footer}  第{page}页")
        canvas.restoreState()  # type: ignore[attr-defined]

    output = io.BytesIO()
    document = SimpleDocTemplate(output, pagesize=A4, title=template.title,
                                 leftMargin=PAGE_MARGIN_MM * mm, rightMargin=PAGE_MARGIN_MM * mm,
                                 topMargin=PAGE_MARGIN_MM * mm, bottomMargin=PAGE_MARGIN_MM * mm)
    try:
        document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    finally:
        _forget(font)
    return output.getvalue()


def _rows(layout: Layout, fields: Iterable[FormField], values: dict[str, str],
          number: Iterable[int], body: object, label: object) -> Iterable[list[object]]:
    from reportlab.platypus import Paragraph

    numbers = iter(number)
    for field in fields:
        value = _paragraph_text(_field_value(field, values)) or "　"
        mark = "*" if field.required else ""
        if layout is Layout.ELEMENTS:
            cell = [Paragraph(f"{next(numbers)}. {mark}{escape(field.label)}", label),
                    Paragraph(value, body)]
            yield [cell]
        else:
            yield [Paragraph(f"{mark}{escape(field.label)}", label), Paragraph(value, body)]
