"""法律援助预申请 on the real app, end to end: the self-check's answers carry into the
application, the receipt prints with the case code (decoded from the ESC/POS bytes: the
code in its text and the progress page in its QR code), the case reaches the server
through the outbox with the self-check's facts, staff 受理 it in the console in Chromium
(Playwright), and the terminal's 办事进度查询 shows it accepted with the staff's message."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from devices.escpos_render import decode_escpos
from devices.printer import NullPrinter, make_printer
from devices.printer_simulated import SimulatedPrinter
from server.cases.models import Case
from tests.server.queue_setup import PASSWORD
from tests.ui.server_link import served_queue_hall, sign_in
from tests.ui.test_case_progress import SHOTS, shot, type_digits
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

ANSWERS = ["民事或行政纠纷", "都不是", "讨要工资", "是，我是农民工"]


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


def test_self_check_application_receipt_acceptance_and_progress(
        ui: Any, printer: SimulatedPrinter, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        ui.app.start_session()
        ui.frames(2)
        ui.tap("法律援助自测")
        for answer in ANSWERS:
            ui.tap(answer)
        assert ui.screen.node_key == "result_worker_exempt"
        ui.tap("继续申请法律援助")
        assert ui.app.nav.current == "legal_aid_apply"
        screen = ui.screen
        facts = screen.facts_text
        assert "农民工讨薪、工伤赔偿可以申请法律援助" in facts
        assert "您要解决的是哪一类问题？讨要工资" in facts
        assert "您是进城务工人员（农民工）吗？是，我是农民工" in facts
        shot(ui, "legal-aid-apply-zh")
        ui.tap(screen.ids.send)
        assert screen.problem == "请选择申请事项。"
        ui.tap("追索劳动报酬")
        ui.tap("单位或用人单位")
        ui.tap("免予核查经济困难（按自测结果）")
        type_digits(ui, "13800138000")
        ui.tap(screen.ids.send)
        assert screen.problem == "请阅读并确认个人诚信承诺。"
        assert printer.tickets == []  # nothing printed, nothing sent before it is complete
        ui.tap(screen.ids.pledge)
        shot(ui, "legal-aid-apply-filled-zh")
        ui.tap(screen.ids.send)
        assert ui.app.nav.current == "feedback_done"
        message = ui.screen.message
        assert message.startswith("申请已提交，案件编号 ")
        shown = message.split("案件编号 ")[1][:14]
        code = shown.replace("-", "")
        assert len(code) == 12 and code.isdigit()
        shot(ui, "legal-aid-done-zh")

        # The receipt, decoded from the bytes the printer got.
        assert ui.wait_until(lambda: len(printer.tickets) == 1, 15)
        layout = printer.ticket_format
        paper = decode_escpos(printer.tickets[0].read_bytes(), layout.width_dots,
                              layout.font_path, layout.font_index)
        text = "".join("".join(paper.text_lines).split())
        assert "法律援助申请回执" in text and f"案件编号{shown}" in text
        assert "尚需携带的材料（共4项）" in text and "□申请人居民身份证" in text
        assert "138****8000" in text and "13800138000" not in text
        assert paper.ends_with_cut and len(paper.qr_codes) == 1
        progress_url = paper.qr_codes[0]
        shutil.copy(printer.tickets[0].with_suffix(".png"), SHOTS / "legal-aid-receipt.png")
        assert progress_url.startswith(hall.url + "/case/")

        # Delivered through the outbox: the case with the self-check's facts.
        def stored() -> Case | None:
            with hall.app.state.database.sessions() as session:
                return session.scalar(select(Case).where(Case.code == code))

        assert ui.wait_until(lambda: stored() is not None, 20)
        case = stored()
        assert case is not None
        assert (case.kind, case.state, case.phone, case.matter) == (
            "legal_aid", "submitted", "13800138000", "追索劳动报酬")
        assert progress_url == f"{hall.url}/case/{case.token}"
        assert "您是进城务工人员（农民工）吗？是，我是农民工" in case.details["facts"]
        assert case.details["other_party"] == "单位或用人单位"
        assert case.details["pledge"].startswith("本人承诺")
        assert len(case.details["materials"]) == 4

        # Staff of the hall 受理 it in the console, in Chromium.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                 headless=True)
            try:
                tab = browser.new_context(locale="zh-CN", viewport={
                    "width": 1366, "height": 900}).new_page()
                tab.set_default_timeout(10_000)
                sign_in(tab, hall.url, hall.staff[1], PASSWORD, "/queue")
                tab.get_by_role("link", name="案件办理").click()
                tab.get_by_role("link", name=shown).click()
                expect(tab.locator("#case-state")).to_have_text("已提交")
                tab.locator("#open-accept").click()
                tab.locator("#form-accept textarea[name=message]").fill(
                    "已受理，请三日内带材料到法律援助窗口。")
                tab.locator("#form-accept").get_by_role("button").click()
                expect(tab.locator("#case-state")).to_have_text("已受理")
                tab.screenshot(path=str(SHOTS / "legal-aid-accepted-console.png"),
                               full_page=True)
            finally:
                browser.close()

        # Back on the terminal: 办事进度查询 shows it accepted, with that message.
        ui.screen.done()
        ui.frames(2)
        ui.app.start_session()
        ui.frames(2)
        ui.tap("办事进度查询")
        type_digits(ui, code)
        ui.tap(ui.screen.ids.look_up)
        assert ui.wait_until(
            lambda: "已受理，请三日内带材料到法律援助窗口。" in ui.screen.result, 15)
        result = ui.screen.result
        assert f"案件 {shown}：法律援助申请" in result and "状态：已受理" in result
        shot(ui, "legal-aid-progress-zh")


def test_the_application_also_takes_a_ticket_for_the_legal_aid_window(
        ui: Any, printer: SimulatedPrinter, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        ui.app.start_session()
        ui.frames(2)
        ui.app.nav.go("legal_aid_apply", flow="legal-aid-check", result="result_econ_check",
                      facts=["您家庭的经济状况困难吗？是，经济困难"])
        ui.frames(3)
        screen = ui.screen
        ui.tap("婚姻家庭、赡养抚养")
        ui.tap("个人")
        ui.tap("低收入家庭")
        type_digits(ui, "13900139000")
        ui.tap(screen.ids.pledge)
        ui.tap(screen.ids.with_ticket)
        assert screen.with_ticket
        ui.tap(screen.ids.send)
        # Straight to confirming a ticket for 法律援助 (the hall's legal-aid service).
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket_confirm", 15)
        ui.tap("确认取号")
        assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
        assert ui.wait_until(lambda: len(printer.tickets) == 2, 15)  # receipt, then ticket
        with hall.app.state.database.sessions() as session:
            from server.queue.models import Ticket

            ticket = session.scalars(select(Ticket)).one()
            assert ticket.service.code == "legal-aid"
        assert ui.wait_until(lambda: _stored_kinds(hall) == ["legal_aid"], 20)


def _stored_kinds(hall: Any) -> list[str]:
    with hall.app.state.database.sessions() as session:
        return list(session.scalars(select(Case.kind)))


def test_an_english_receipt_names_the_application_in_chinese_too(
        ui: Any, printer: SimulatedPrinter) -> None:
    from screens.take_home import application_receipt

    library = ui.app.services.library
    result = library.flow("legal-aid-check").nodes["result_worker_exempt"]
    assert result.title_en and result.materials_en
    ui.app.set_language("en")
    try:
        receipt = application_receipt("123456789012", result, "https://h.example/case/abc",
                                      library, "138****8000")
    finally:
        ui.app.set_language("zh_CN")
    printer.print_ticket(receipt)
    layout = printer.ticket_format
    paper = decode_escpos(printer.tickets[0].read_bytes(), layout.width_dots,
                          layout.font_path, layout.font_index)
    text = "".join("".join(paper.text_lines).split())
    for english in ("Legal aid application receipt", "Case code", "1234-5678-9012",
                    f"Legal aid pre-application: {result.title_en}",
                    f"Materials still to bring ({len(result.materials)} items)",
                    *result.materials_en, "Applicant's phone: 138****8000",
                    "The legal aid agency decides within 7 working days",
                    "Scan to follow the case on your phone"):
        assert "".join(english.split()) in text, english
    # For the legal-aid window: the receipt's name, the code's label and the application.
    for chinese in ("法律援助申请回执", "案件编号1234-5678-9012",
                    f"法律援助预申请：{result.title}"):
        assert "".join(chinese.split()) in text, chinese
    assert "尚需携带" not in text and "申请人电话" not in text
    assert paper.qr_codes == ["https://h.example/case/abc?lang=en"]
