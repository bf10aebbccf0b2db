"""法律计算器 with real touches on the large keypad: the result, its working and basis
match the content function; an input out of range shows the calculator's message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from content.calculators.base import yuan, yuan_en
from content.calculators.court_fee import court_fee
from content.calculators.labour import economic_compensation


def open_calculator(ui: Any, title: str) -> Any:
    ui.tap(ui.screen)
    ui.tap("法律计算器")
    assert ui.app.nav.current == "calculators"
    ui.tap(title)
    assert ui.app.nav.current == "calculator"
    return ui.screen


def type_keys(ui: Any, screen: Any, keys: str) -> None:
    for key in keys:
        ui.tap(key, screen.ids.keypad)


def test_court_fee_typed_on_the_keypad(ui: Any) -> None:
    screen = open_calculator(ui, "诉讼费（案件受理费）")
    type_keys(ui, screen, "150000")
    expected = court_fee(Decimal(150000))
    shown = ui.texts()
    assert "150,000" in shown
    assert f"结果：{yuan(expected.result)}" in shown
    assert "仅供参考" in shown
    for line in expected.working:
        assert f"•\u00a0\u00a0{line}" in shown
    assert expected.basis[0].label in shown
    ui.tap("简易程序（减半）")
    halved = court_fee(Decimal(150000), procedure="simple")
    assert f"结果：{yuan(halved.result)}" in ui.texts()
    ui.tap(expected.basis[0].label)
    assert ui.app.nav.current == "law_article"
    assert ui.screen.params["key"] == f"{expected.basis[0].law}:{expected.basis[0].article}"


def test_grade_out_of_range_shows_the_message(ui: Any) -> None:
    screen = open_calculator(ui, "工伤一次性伤残补助金")
    type_keys(ui, screen, "5000")
    ui.tap("下一项")
    type_keys(ui, screen, "11")
    assert "伤残等级只能是一级至十级，不能是 11" in ui.texts()
    assert screen.result_text == ""
    ui.tap("删除")
    assert "伤残等级只能是一级至十级，不能是 11" not in ui.texts()
    assert screen.result_text.startswith("结果：")


def test_reversed_dates_show_the_message_in_english(ui: Any, tmp_path: Any) -> None:
    screen = open_calculator(ui, "经济补偿")
    ui.tap("English")
    for keys in ("6000", "20200101", "20190701"):
        type_keys(ui, screen, keys)
        ui.tap("Next input")
    assert "the end date 2019-07-01 is before the start date 2020-01-01" in ui.texts()
    assert "2019-07-01" in ui.texts()
    # corrected: the result, its working, notes and basis in English
    ui.tap("2019-07-01")
    ui.tap("Clear")
    type_keys(ui, screen, "20250801")
    expected = economic_compensation(Decimal(6000), date(2020, 1, 1), date(2025, 8, 1),
                                     Decimal(8000))  # the seed's average wage
    shown = ui.texts()
    assert screen.result_text == f"Result: {yuan_en(expected.result)}"
    assert "For reference only" in shown
    for line in expected.working_en + [expected.basis[0].label_en]:
        assert any(line in text for text in shown), line
    assert not any(line in text for text in shown for line in expected.working)
    # printed in English too: the slip's words, the result, its working and basis
    from devices.escpos_render import decode_escpos
    from devices.printer import NullPrinter, make_printer

    printer = make_printer("simulated", directory=str(tmp_path / "printer"), paper_width_mm=80,
                           mode="gb18030")
    ui.app.queue.printer = printer
    try:
        ui.tap(screen.print_button)
        assert ui.wait_until(lambda: len(printer.tickets) == 1, 15)  # type: ignore[attr-defined]
        layout = printer.ticket_format  # type: ignore[attr-defined]
        paper = decode_escpos(printer.tickets[0].read_bytes(),  # type: ignore[attr-defined]
                              layout.width_dots, layout.font_path, layout.font_index)
        text = "".join("".join(paper.text_lines).split())
        for line in ("Result (for reference only)", "How it is worked out",
                     f"Severance (economic compensation): {yuan_en(expected.result)}",
                     *expected.working_en, f"Legal basis: {expected.basis[0].label_en}",
                     "Scan to go on asking at 12348 China Legal Services"):
            assert "".join(line.split()) in text, line
        assert "计算结果" not in text and "法律依据" not in text
    finally:
        ui.app.queue.printer = NullPrinter()


def test_the_keypad_comes_back_after_the_screen_turns(ui: Any) -> None:
    # Text sizes change in landscape (长辈版 on and off), then the screen turns back: the
    # keypad's panel must take its portrait height again, not keep the landscape one.
    ui.tap(ui.screen)
    ui.resize(1920, 1080)
    ui.tap("长辈版")
    ui.tap("标准版")
    ui.resize(1080, 1920)
    ui.frames(3)
    ui.tap("法律计算器")
    ui.tap("诉讼费（案件受理费）")
    screen = ui.screen
    panel = screen.ids.keypad.parent
    assert panel.height >= screen.ids.keypad.height > 300
    type_keys(ui, screen, "1000")
    assert "结果：50.00元" in ui.texts()


def test_the_result_prints_with_its_working_and_basis(ui: Any, tmp_path: Any) -> None:
    from devices.escpos_render import decode_escpos
    from devices.printer import NullPrinter, make_printer

    printer = make_printer("simulated", directory=str(tmp_path / "printer"), paper_width_mm=80,
                           mode="gb18030")
    ui.app.queue.printer = printer
    try:
        screen = open_calculator(ui, "诉讼费（案件受理费）")
        type_keys(ui, screen, "150000")
        expected = court_fee(Decimal(150000))
        ui.tap("打印结果")
        assert ui.wait_until(lambda: "请在取号机出纸口取走打印的结果。" in ui.texts(), 15)
        layout = printer.ticket_format  # type: ignore[attr-defined]
        paper = decode_escpos(printer.tickets[0].read_bytes(),  # type: ignore[attr-defined]
                              layout.width_dots, layout.font_path, layout.font_index)
        text = "".join("".join(paper.text_lines).split())
        assert "计算结果（仅供参考）" in text and yuan(expected.result).replace(" ", "") in text
        for line in expected.working:
            assert "".join(line.split()) in text, line
        assert "".join(expected.basis[0].label.split()) in text
        printer.set_fault("paper_out")  # type: ignore[attr-defined]
        ui.tap("打印结果")
        assert ui.wait_until(lambda: any("打印机暂时不能打印" in t for t in ui.texts()), 15)
        assert len(printer.tickets) == 1  # type: ignore[attr-defined]
    finally:
        ui.app.queue.printer = NullPrinter()
