"""办事进度查询 on the real app: a real case's code typed on the keypad shows its state and
the staff's message, masked; a wrong code is told plainly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.models import Hall, User
from tests.ui.server_link import served_queue_hall

SHOTS = Path("/tmp/cases-shots")


def shot(ui: Any, name: str) -> None:
    """Keep a screenshot for a person to look at."""
    from kivy.core.window import Window

    for _ in range(3):
        Window.canvas.ask_update()
        ui.frames(1)
    SHOTS.mkdir(exist_ok=True)
    ui.screenshot(SHOTS / f"{name}.png")


def type_digits(ui: Any, digits: str) -> None:
    for digit in digits:
        ui.tap(digit, ui.screen.ids.keypad)


def test_progress_of_a_real_case_by_code_and_phone(ui: Any, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        with hall.app.state.database.sessions() as session:
            found = session.scalars(select(Hall)).one()
            case, _ = case_steps.create(session, found, "callback", name="李四",
                                        phone="13912345678", matter="劳动合同纠纷咨询")
            staff = session.scalars(select(User).where(User.role == "staff")).first()
            assert staff is not None
            case_steps.accept(session, case, staff, "律师将于明天上午回电。")
            session.commit()
            code = case.code
        ui.app.start_session()
        ui.frames(2)
        ui.tap("办事进度查询")
        assert ui.app.nav.current == "case_progress"
        wrong = ("1" if code[0] != "1" else "2") + code[1:]
        type_digits(ui, wrong)
        assert case_rules.shown_code(wrong) in ui.texts()
        ui.tap(ui.screen.ids.look_up)
        refused = "没有查到这个编号（和手机号码）的案件。请核对，或到服务台咨询。"
        assert ui.wait_until(lambda: refused in ui.texts(), 15)
        shot(ui, "case-progress-refused-zh")
        for _ in range(12):
            ui.tap("删除")
        type_digits(ui, code)
        ui.tap(ui.screen.ids.phone_field)
        type_digits(ui, "13912345678")
        assert "139 1234 5678" in ui.texts()  # grouped for checking
        ui.tap(ui.screen.ids.look_up)
        assert ui.wait_until(lambda: "律师将于明天上午回电" in ui.screen.result, 15)
        result = ui.screen.result
        assert f"案件 {case_rules.shown_code(code)}：咨询回电" in result
        assert "状态：已受理" in result and "李*" in result and "139****5678" in result
        assert "李四" not in result
        assert "13912345678" not in result and "139 1234 5678" not in result
        shot(ui, "case-progress-zh")


def test_a_call_back_request_becomes_a_case_with_its_code(ui: Any, tmp_path: Path) -> None:
    from server.cases.models import Case

    with served_queue_hall(tmp_path, ui, "query") as hall:
        ui.app.start_session()
        ui.frames(2)
        ui.tap("智能咨询")
        ui.screen.ask("宇宙飞船怎么买")  # no reliable answer: a lawyer may call back
        assert ui.wait_until(lambda: "请律师回电" in ui.texts(), 20)
        ui.tap("请律师回电")
        assert ui.wait_until(lambda: ui.app.nav.current == "callback", 5)
        ui.tap(ui.screen.ids.send)
        assert ui.screen.problem == "请选择咨询事项。"
        ui.tap("劳动与工资")
        ui.tap("下一个工作日上午")
        type_digits(ui, "1371234")
        ui.tap(ui.screen.ids.send)
        assert ui.screen.problem.startswith("号码格式不正确")
        assert ui.app.nav.current == "callback"
        type_digits(ui, "5678")
        shot(ui, "callback-zh")
        ui.tap(ui.screen.ids.send)
        assert ui.app.nav.current == "feedback_done"
        message = ui.screen.message
        assert message.startswith("已提交。您的案件编号是 ")
        code = message.split("您的案件编号是 ")[1][:14].replace("-", "")
        assert len(code) == 12 and code.isdigit()
        assert ui.screen.qr.startswith(hall.url + "/case/")
        shot(ui, "callback-done-zh")

        def stored() -> Case | None:
            with hall.app.state.database.sessions() as session:
                return session.scalar(select(Case).where(Case.code == code))

        assert ui.wait_until(lambda: stored() is not None, 20)
        case = stored()
        assert case is not None
        assert (case.kind, case.phone, case.matter, case.state) == (
            "callback", "13712345678", "劳动与工资", "submitted")
        assert case.details == {"question": "宇宙飞船怎么买", "window": "下一个工作日上午"}
        assert ui.screen.qr == f"{hall.url}/case/{case.token}"
        ui.screen.done()
