"""Printed slips in the visitor's language: the words come from the terminal's gettext
catalogs (kiosk/slips.py), the layout from devices/. Real ESC/POS bytes from python-escpos,
decoded back: an English ticket and checklist read in English (with the hall's Chinese name
still drawn in the CJK font), a Chinese one exactly as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from devices.checklist_layout import CHINESE_CHECKLIST, ChecklistPrint
from devices.escpos_render import decode_escpos
from devices.printer import ticket_format
from devices.ticket_layout import CHINESE_TICKET, TicketPrint, layout_ticket
from kiosk.slips import checklist_words, ticket_words, with_language

BEIJING = timezone(timedelta(hours=8))
URL = "https://hall.example.gov.cn/t/8f3a2c"
CHINESE = TicketPrint(hall="朝阳区公共法律服务中心", service="法律援助", number="A001",
                      people_ahead=3, wait_minutes=12, priority="green", windows=(3, 4),
                      issued_at=datetime(2026, 11, 23, 9, 5, tzinfo=BEIJING), status_url=URL)
ENGLISH = replace(CHINESE, service="Legal aid", service_note="法律援助",
                  words=ticket_words("en"), status_url=with_language(URL, "en"))


def _printed(slip: TicketPrint | ChecklistPrint) -> list[str]:
    layout = ticket_format(80, mode="gb18030")
    paper = decode_escpos(layout.encode(slip), layout.width_dots, layout.font_path,
                          layout.font_index)
    assert paper.ends_with_cut and len(paper.qr_codes) == 1
    return [*paper.text_lines, *paper.qr_codes]


def test_the_chinese_catalog_gives_the_chinese_that_slips_print_by_default() -> None:
    assert ticket_words("zh_CN") == CHINESE_TICKET
    assert checklist_words("zh_CN") == CHINESE_CHECKLIST


def test_a_chinese_ticket_prints_as_before() -> None:
    lines = [line.strip() for line in _printed(replace(CHINESE, words=ticket_words("zh_CN")))]
    for expected in ("朝阳区公共法律服务中心", "法律援助", "A001", "绿色通道", "在 3、4 号窗口办理",
                     "前面还有 3 人等候", "预计等候约 12 分钟", "取号时间 2026-11-23 09:05",
                     "过号无效，请重新取号", "扫码查看排队进度", URL):
        assert expected in lines
    assert not any(char.isascii() and char.isalpha() for line in lines[:-1]
                   for char in line.replace("A001", ""))


def test_an_english_ticket_prints_in_english_with_the_chinese_names_for_staff() -> None:
    text = " ".join(" ".join(_printed(ENGLISH)).split())
    for expected in ("Legal aid", "A001", "Green channel", "Served at windows 3, 4",
                     "3 people ahead of you", "Wait about 12 minutes",
                     "Taken at 2026-11-23 09:05", "A missed number is void; please take a new one",
                     "Scan for the queue on your phone", URL + "?lang=en"):
        assert expected in text
    assert "朝阳区公共法律服务中心" in text and "法律援助" in text  # hall; service for staff
    for chinese in ("前面还有", "预计等候", "取号时间", "过号无效", "绿色通道", "号窗口"):
        assert chinese not in text
    one = " ".join(_printed(replace(ENGLISH, people_ahead=1, wait_minutes=1, windows=(5,))))
    assert "1 person ahead of you" in one and "about 1 minute" in one
    assert "Served at window 5" in one and "minutes" not in one


def test_an_english_bitmap_ticket_draws_the_chinese_hall_in_the_cjk_font() -> None:
    layout = ticket_format(58, mode="bitmap")
    assert layout.font_path
    english = layout_ticket(ENGLISH, layout.width_dots, layout.font_path, layout.font_index)
    chinese = layout_ticket(CHINESE, layout.width_dots, layout.font_path, layout.font_index)
    # The hall line is the same picture on both: its Chinese drawn by the same font, no boxes.
    assert english.image.crop(english.regions["hall"]).tobytes() == \
        chinese.image.crop(chinese.regions["hall"]).tobytes()
    assert english.image.crop(english.regions["body"]).tobytes() != \
        chinese.image.crop(chinese.regions["body"]).tobytes()
    paper = decode_escpos(layout.encode(ENGLISH), layout.width_dots, layout.font_path,
                          layout.font_index)
    assert paper.image.crop((0, 0, *english.image.size)).tobytes() == english.image.tobytes()


def test_an_english_checklist_prints_its_words_in_english() -> None:
    checklist = ChecklistPrint(
        code="FLYZ-003", title="Legal aid in civil and administrative cases",
        materials=("Application form (original ×1)",), where="Legal aid",
        hours="Mon-Fri 9:00-17:30", phone="12348", url=URL, banner="Checklist to take home",
        code_label="Matter code", words=checklist_words("en"))
    lines = [line.strip() for line in _printed(checklist)]
    for expected in ("Checklist to take home", "Matter code FLYZ-003",
                     "Materials to bring (1 item)", "Where: Legal aid",
                     "Opening hours: Mon-Fri 9:00-17:30", "Phone: 12348"):
        assert expected in lines
    two = replace(checklist, materials=("Form", "ID card"))
    assert "Materials to bring (2 items)" in [line.strip() for line in _printed(two)]
    chinese = [line.strip() for line in _printed(replace(checklist, words=CHINESE_CHECKLIST))]
    assert "需要携带的材料（共1项）" in chinese and "办理地点：Legal aid" in chinese


def test_visitor_page_addresses_carry_the_language_only_in_english() -> None:
    assert with_language(URL, "zh_CN") == URL
    assert with_language(URL, "en") == URL + "?lang=en"
    assert with_language(URL + "?x=1", "en") == URL + "?x=1&lang=en"
    assert with_language("", "en") == ""
