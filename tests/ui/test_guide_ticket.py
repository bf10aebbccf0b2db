"""From reading to doing: a guide's 立即取号 takes a ticket for its service, and the confirm
screen, the ticket screen and the printed ticket say which of THIS hall's windows serve it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from devices.escpos_render import decode_escpos
from devices.printer import make_printer
from devices.printer_simulated import SimulatedPrinter
from tests.ui.test_ticket import hall_server, tickets

__all__ = ["hall_server"]  # the fixture, used by name

SHOTS = Path(os.environ.get("READTODO_SHOTS", "")) if os.environ.get("READTODO_SHOTS") else None
WHERE = "在 1、2 号窗口办理"  # tests/server/queue_setup.py: windows 1 and 2 serve 法律援助


def shot(ui: Any, tmp_path: Path, name: str) -> None:
    ui.screenshot((SHOTS or tmp_path) / name)


def tap_take_now(ui: Any, tmp_path: Path) -> None:
    button = ui.screen.take_button
    ui.screen.ids.scroll.scroll_to(button, padding=40, animate=False)
    ui.frames(3)
    shot(ui, tmp_path, f"{ui.app.nav.current}-take-now.png")
    ui.tap(button)


def test_guide_take_now_shows_the_halls_window_on_screen_and_ticket(
        ui: Any, hall_server: Any, tmp_path: Path) -> None:
    app, _url = hall_server
    printer = make_printer("simulated", directory=str(tmp_path / "printer"),
                           paper_width_mm=80, mode="gb18030")
    assert isinstance(printer, SimulatedPrinter)
    ui.app.queue.printer = printer
    ui.app.start_session()
    ui.frames(2)
    ui.app.open_item("guide", "FLYZ-001")  # where.service: 法律援助, no window in the content
    ui.frames(3)
    assert ui.app.nav.current == "guide_detail"
    assert not any("号窗口" in t for t in ui.texts())  # the content names no window
    assert ui.screen.take_button.text == "立即取号"
    tap_take_now(ui, tmp_path)
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_confirm", 15)
    ui.frames(3)
    texts = ui.texts()
    assert "法律援助" in texts and WHERE in texts and "等候 0 人 · 约 0 分钟" in texts
    shot(ui, tmp_path, "ticket-confirm-window.png")

    ui.tap("确认取号")
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
    ui.frames(3)
    assert tickets(app) == ["A001"] and "A001" in ui.texts() and WHERE in ui.texts()
    assert WHERE in ui.screen.speech_text()
    shot(ui, tmp_path, "ticket-done-window.png")

    printed = printer.tickets
    assert len(printed) == 1
    layout = printer.ticket_format
    paper = decode_escpos(printed[0].read_bytes(), layout.width_dots, layout.font_path,
                          layout.font_index)
    assert "A001" in "".join(paper.text_lines)
    assert WHERE in [line.strip() for line in paper.text_lines]  # printed in reverse
    ui.tap("完成")


def test_self_check_result_take_now_confirms_at_the_halls_window(
        ui: Any, hall_server: Any, tmp_path: Path) -> None:
    ui.tap(ui.screen)  # leave the attract loop
    ui.tap("法律援助自测")
    for answer in ("民事或行政纠纷", "遭受家庭暴力、虐待、遗弃"):
        ui.tap(answer)
    assert ui.screen.at_result and ui.screen.take_button.text == "立即取号"
    tap_take_now(ui, tmp_path)
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_confirm", 15)
    ui.frames(3)
    assert "法律援助" in ui.texts() and WHERE in ui.texts()
    ui.tap("返回")  # back from confirming: the hall's services, not the jump again
    assert ui.wait_until(lambda: any(t.startswith("法律援助\n") for t in ui.texts()), 15)
    assert ui.app.nav.current == "ticket"


def test_an_english_visitor_gets_an_english_ticket_and_phone_link(
        ui: Any, hall_server: Any, tmp_path: Path) -> None:
    app, url = hall_server
    printer = make_printer("simulated", directory=str(tmp_path / "printer"),
                           paper_width_mm=80, mode="gb18030")
    assert isinstance(printer, SimulatedPrinter)
    ui.app.queue.printer = printer
    ui.app.start_session()
    ui.frames(2)
    ui.app.set_language("en")
    try:
        ui.app.open_item("guide", "FLYZ-001")
        ui.frames(3)
        assert ui.screen.take_button.text == "Take a number now"
        tap_take_now(ui, tmp_path)
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket_confirm", 15)
        ui.frames(3)
        ui.tap("Take the ticket")
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
        ui.frames(3)
        assert tickets(app) == ["A001"]
        done = ui.screen
        assert done.url.startswith(f"{url}/t/") and done.url.endswith("?lang=en")
        shot(ui, tmp_path, "ticket-done-en.png")
        layout = printer.ticket_format
        paper = decode_escpos(printer.tickets[0].read_bytes(), layout.width_dots,
                              layout.font_path, layout.font_index)
        text = " ".join(" ".join(paper.text_lines).split())
        for english in ("Legal aid", "A001", "Served at windows 1, 2",
                        "0 people ahead of you", "Taken at ",
                        "A missed number is void; please take a new one",
                        "Scan for the queue on your phone"):
            assert english in text, english
        assert "法律援助" in text  # the service's Chinese name, for the hall's staff
        for chinese in ("前面还有", "取号时间", "过号无效", "号窗口办理"):
            assert chinese not in text
        assert paper.qr_codes == [done.url]  # the phone page opens in English
        ui.tap("Done")
    finally:
        ui.app.set_language("zh_CN")
