"""Fill in the 法律援助申请表 from the self-check on screen and print it through a real CUPS;
without a printer the visitor is offered the phone; the session end forgets everything."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pypdf import PdfReader

from devices.a4_printer import CupsPrinter
from tests.devices.cups_setup import PrivateCups, temporary_cups

ANSWERS = ["民事或行政纠纷", "都不是", "讨要工资", "是，我是农民工"]


@pytest.fixture(scope="module")
def cups_server() -> Iterator[PrivateCups]:
    with temporary_cups() as setup:
        yield setup


def row(ui: Any, key: str) -> Any:
    return next(w for w in ui.widgets(ui.screen) if getattr(w, "field_key", "") == key)


def key(ui: Any, text: str) -> None:
    ui.tap(ui.find(text, root=ui.screen.ids.keypad))


def candidate(ui: Any, char: str) -> None:
    ui.tap(ui.find(char, root=ui.screen.ids.candidates))


def type_digits(ui: Any, field: str, digits: str) -> None:
    ui.tap(row(ui, field))
    for digit in digits:
        key(ui, digit)


def type_pinyin(ui: Any, field: str, words: list[tuple[str, str]],
                shot: Path | None = None) -> None:
    ui.tap(row(ui, field))
    for syllable, char in words:
        for letter in syllable.upper():
            key(ui, letter)
        if shot:
            ui.screenshot(shot)
        candidate(ui, char)


def test_fill_from_self_check_and_print(ui: Any, cups_server: PrivateCups, tmp_path: Path):
    ui.tap(ui.screen)
    ui.tap("法律援助自测")
    for answer in ANSWERS:
        ui.tap(answer)
    ui.tap("填写：法律援助申请表")
    assert ui.app.nav.current == "form_fill"
    screen = ui.screen
    assert screen.values == {"matter_type": "民事或行政纠纷", "situation": "无",
                             "dispute": "讨要工资"}  # from the self-check
    # Printing an incomplete form: each missing item is told, nothing is printed.
    ui.tap("打印")
    shown = "\n".join(ui.texts())
    assert "有5项需要修改" in shown and "⚠ 姓名：必须填写" in shown
    ui.tap("English")  # the same problems, labels and title in English
    shown = "\n".join(ui.texts())
    assert "⚠ Full name: is required" in shown and "⚠ 姓名：必须填写" not in shown
    assert "*Full name: (tap to fill in)" in shown and screen.title == "Legal aid application form"
    ui.tap("中文")

    type_pinyin(ui, "name", [("wang", "王"), ("xiao", "小")])
    type_digits(ui, "id_number", "11010519491231002X")
    type_digits(ui, "phone", "1381234567")  # one digit short
    type_pinyin(ui, "address", [("lu", "路")])
    key(ui, "8")
    type_pinyin(ui, "facts", [("qian", "欠")], shot=tmp_path / "form-pinyin.png")
    ui.tap("打印")
    assert any("联系电话：请填写11位手机号码" in t for t in ui.texts())
    key(ui, "8")  # the phone field is the one being edited now
    assert screen.values["phone"] == "13812345678"

    ui.app.services.a4_printer = CupsPrinter(cups_server.file_queue, server=cups_server.socket,
                                             timeout=30)
    try:
        cups_server.file_output.unlink(missing_ok=True)
        ui.tap("打印")
        assert ui.wait_until(lambda: any("已打印" in t for t in ui.texts()), 60), (
            screen.message, screen.problems, screen.values)
        ui.screenshot(tmp_path / "form-printed.png")
        reader = PdfReader(io.BytesIO(cups_server.file_output.read_bytes()))
        text = "".join("".join(page.extract_text() for page in reader.pages).split())
        for value in ("王小", "11010519491231002X", "13812345678", "路8", "欠", "讨要工资",
                      "民事或行政纠纷", "法律援助申请表"):
            assert value in text, value

        # The printer stops: the visitor is told and offered the phone.
        ui.app.services.a4_printer = CupsPrinter("no-such-queue", server=cups_server.socket)
        ui.tap("打印")
        assert ui.wait_until(lambda: any("打印机暂时无法打印" in t for t in ui.texts()), 30)
        assert any("请点“发送到手机”" in t for t in ui.texts())
        ui.screenshot(tmp_path / "form-no-printer.png")
    finally:
        ui.app.services.a4_printer = None

    # The visitor leaves: nothing they typed stays on the terminal.
    ui.app.reset_session()
    ui.frames(3)
    assert screen.values == {} and screen.problems == {} and screen.letters == ""


def fill_required(ui: Any) -> None:
    type_pinyin(ui, "name", [("li", "李")])
    type_digits(ui, "id_number", "11010519491231002X")
    type_digits(ui, "phone", "13912345678")
    type_pinyin(ui, "address", [("lu", "路")])
    type_pinyin(ui, "facts", [("qian", "欠")])
    ui.tap(row(ui, "matter_type"))
    key(ui, "刑事案件")
    assert ui.screen.values == {"name": "李", "id_number": "11010519491231002X",
                                "phone": "13912345678", "address": "路", "facts": "欠",
                                "matter_type": "刑事案件"}  # every real touch landed


def test_send_to_phone_once_and_unreachable(ui: Any, tmp_path: Path) -> None:
    from server.app import create_app
    from server.background import serve_in_thread
    from server.fleet.enrolment import create_enrolment_token
    from server.settings import ServerSettings
    from tests.server.queue_setup import make_queue_hall
    from tests.ui.server_link import enrolled_terminal

    ui.tap(ui.screen)
    ui.app.nav.go("form_fill", key="legal-aid-application")
    ui.frames(3)
    fill_required(ui)
    # Not connected to a server: the visitor is told, nothing is kept.
    ui.tap("发送到手机")
    ok = ui.wait_until(lambda: any("无法连接服务器" in t for t in ui.texts()), 20)
    assert ok, (ui.screen.problems, ui.screen.message, ui.screen.values)

    app = create_app(ServerSettings(database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
                                    storage_dir=tmp_path / "storage"))
    with app.state.database.sessions() as session:
        hall_id = make_queue_hall(session).hall.id
        token, _row = create_enrolment_token(session, hall_id, "query", 1)
    try:
        with serve_in_thread(app) as url, enrolled_terminal(ui, url, token):
            assert ui.wait_until(lambda: ui.app.services.link.client is not None, 20)
            ui.app.nav.go("form_fill", key="legal-aid-application")
            ui.frames(3)
            ui.tap("发送到手机")
            assert ui.wait_until(lambda: bool(ui.screen.qr_url), 30), (
                ui.screen.message, ui.screen.problems, ui.screen.values)
            link = ui.screen.qr_url
            assert link.startswith(url + "/d/")
            assert any("30分钟内扫码" in t for t in ui.texts())
            ui.screenshot(tmp_path / "form-phone.png")
            first = requests.get(link, timeout=10)
            assert first.status_code == 200
            text = "".join(PdfReader(io.BytesIO(first.content)).pages[0].extract_text().split())
            assert "11010519491231002X" in text and "13912345678" in text and "刑事案件" in text
            assert requests.get(link, timeout=10).status_code == 404  # once only
    finally:
        app.state.broker.close()
        app.state.database.engine.dispose()
