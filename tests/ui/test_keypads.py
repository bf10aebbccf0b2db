"""Every numeric entry of the terminal has the one keypad, in the phone layout, in 长辈版, in
portrait and landscape: 1 2 3 / 4 5 6 / 7 8 9 on top, 0 under the 8, the screen's own keys
beside it, every key large and on screen. A phone number typed on it shows grouped
(138 0013 8000, 010 1234 5678) and reaches the server in its stored form.

Screenshots of every keypad go to /tmp/keypad-shots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.ratings.models import Complaint
from tests.ui.conftest import ADMIN_PIN
from tests.ui.server_link import LoopbackHall, served_queue_hall

SHOTS = Path("/tmp/keypad-shots")
SELF_CHECK = ["民事或行政纠纷", "都不是", "讨要工资", "是，我是农民工"]
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def check_phone_layout(ui: Any, grid: Any, left: str, right: str, where: str) -> None:
    """The keys of grid as seen on screen: rows from the top, keys from the left."""
    from kivy.core.window import Window
    from kivy.metrics import dp

    from kiosk.keypad import KeypadKey

    keys = [w for w in ui.widgets(grid) if isinstance(w, KeypadKey)]
    assert keys, f"{where}: no keypad shown"
    rows: dict[int, list[Any]] = {}
    for key in keys:
        x, y = key.to_window(*key.center)
        rows.setdefault(round(y), []).append((x, key))
    shown = [[k.text for _x, k in sorted(row, key=lambda item: item[0])]
             for _y, row in sorted(rows.items(), key=lambda item: -item[0])]
    bottom = [label for label in (left, "0", right) if label]
    assert shown == [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], bottom], where
    eight, zero = (next(k for k in keys if k.text == t) for t in ("8", "0"))
    assert abs(eight.to_window(*eight.center)[0] - zero.to_window(*zero.center)[0]) < 1, \
        f"{where}: the 0 is not under the 8"
    check_nothing_hidden(ui, where)
    for key in keys:  # large (elder mode: over 60 dp) and wholly inside the window
        (x0, y0), (x1, y1) = key.to_window(*key.pos), key.to_window(key.right, key.top)
        assert key.height >= dp(64) and key.width >= dp(64), f"{where}: {key.text} too small"
        assert 0 <= x0 and x1 <= Window.width and 0 <= y0 and y1 <= Window.height, \
            f"{where}: {key.text} off screen"


def check_nothing_hidden(ui: Any, where: str) -> None:
    """Every text of the screen (outside scrolling lists) lies between the header and the
    window's bottom: a keypad too tall for its screen pushes texts under the header."""
    from kivy.uix.scrollview import ScrollView

    widgets = list(ui.widgets(ui.screen))
    header = next(w for w in widgets if type(w).__name__ == "Header")
    below_header = header.to_window(*header.pos)[1] + 1
    inside = {id(w) for box in widgets if isinstance(box, (ScrollView, type(header)))
              for w in box.walk(restrict=True) if w is not box}
    for widget in widgets:
        if id(widget) in inside or not getattr(widget, "text", "") or widget is header:
            continue
        (_x0, y0), (_x1, y1) = widget.to_window(*widget.pos), widget.to_window(widget.right,
                                                                              widget.top)
        assert y0 >= -1 and y1 <= below_header, f"{where}: {widget.text!r} is cut off"


def shot(ui: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    ui.frames(3)
    ui.screenshot(SHOTS / f"{name}.png")


def home(ui: Any) -> None:
    ui.tap("首页")
    ui.frames(2)


def open_tile(ui: Any, name: str) -> None:
    """A service of the home screen; in 长辈版 the less used ones are under 更多服务."""
    if name not in ui.texts():
        ui.tap("更多服务")
    ui.tap(name)


def tap_keys(ui: Any, grid: Any, keys: str) -> None:
    for key in keys:
        ui.tap(key, grid)


def phone_field(ui: Any, key: str) -> Any:
    return next(w for w in ui.widgets(ui.screen) if getattr(w, "field_key", "") == key)


def walk(ui: Any, hall: LoopbackHall, orientation: str) -> None:
    """Every screen with a keypad, reached by touch from the home screen."""
    # 取号 → a service → 我有预约: the booking code
    ui.tap("取号")
    assert ui.wait_until(lambda: any(t.startswith("法律援助\n") for t in ui.texts()))
    ui.tap(next(t for t in ui.texts() if t.startswith("法律援助\n")))
    ui.tap("我有预约（输入预约码）")
    screen = ui.screen
    check_phone_layout(ui, screen.ids.digits, "", "删除", f"ticket_confirm {orientation}")
    tap_keys(ui, screen.ids.digits, "123456")
    assert screen.code == "123456"
    ui.tap("删除", screen.ids.digits)
    assert screen.code == "12345"
    assert "预约码：12345" in ui.texts()
    shot(ui, f"ticket-confirm-{orientation}")
    home(ui)

    # 投诉建议 → a category: the call-back number, grouped as it is typed
    open_tile(ui, "投诉建议")
    ui.tap("等候时间")
    screen = ui.screen
    check_phone_layout(ui, screen.ids.keypad, "", "删除", f"complain_phone {orientation}")
    for typed, shown in (("138", "138"), ("0", "138 0"), ("013", "138 0013"),
                         ("8000", "138 0013 8000")):
        tap_keys(ui, screen.ids.keypad, typed)
        assert shown in ui.texts() and screen.phone == "13800138000"[:len(shown.replace(" ", ""))]
    shot(ui, f"complain-phone-mobile-{orientation}")
    for _ in range(11):
        ui.tap("删除", screen.ids.keypad)
    assert screen.phone == "" and "—" in ui.texts()
    tap_keys(ui, screen.ids.keypad, "01012345678")
    assert "010 1234 5678" in ui.texts() and screen.phone == "01012345678"
    shot(ui, f"complain-phone-landline-{orientation}")
    if orientation == "portrait":  # once: the stored form reaches the server
        ui.tap("提交并留下此号码")
        assert ui.wait_until(lambda: ui.app.nav.current == "feedback_done")
        assert ui.wait_until(lambda: complaints(hall) != [], 20)
        assert complaints(hall) == [("waiting", "010-12345678")]
        ui.app.nav.home()  # the thanks screen has no 首页; it would end the session
    else:
        home(ui)

    # 评价服务: the ticket number, the service letters above the keypad
    open_tile(ui, "评价服务")
    screen = ui.screen
    check_phone_layout(ui, screen.ids.digits, "", "删除", f"rate_start {orientation}")
    ui.tap("A")
    tap_keys(ui, screen.ids.digits, "012")
    assert screen.number == "A012" and "A012" in ui.texts()
    shot(ui, f"rate-start-{orientation}")
    home(ui)

    # 法律计算器: money, with a decimal point
    open_tile(ui, "法律计算器")
    ui.tap("诉讼费（案件受理费）")
    screen = ui.screen
    check_phone_layout(ui, screen.ids.keypad, ".", "删除", f"calculator {orientation}")
    tap_keys(ui, screen.ids.keypad, "1000")
    assert "结果：50.00元" in ui.texts()
    shot(ui, f"calculator-{orientation}")
    home(ui)

    # 法律知识 → 查找条文: 第 … 条 beside the 0
    open_tile(ui, "法律知识")
    ui.tap("查找条文：选法律输条号，或按关键词")
    screen = ui.screen
    check_phone_layout(ui, screen.ids.digits, "第", "条", f"law_search {orientation}")
    tap_keys(ui, screen.ids.digits, "第47条")
    assert screen.query == "第47条"
    shot(ui, f"law-search-{orientation}")
    home(ui)

    # 法律援助自测 → 填写申请表: the phone number and the ID number
    open_tile(ui, "法律援助自测")
    for answer in SELF_CHECK:
        ui.tap(answer)
    ui.tap("填写：法律援助申请表")
    screen = ui.screen
    ui.tap(phone_field(ui, "phone"))
    check_phone_layout(ui, screen.ids.keypad, "", "", f"form_fill phone {orientation}")
    tap_keys(ui, screen.ids.keypad, "1391234")
    assert phone_field(ui, "phone").text.endswith("：139 1234")
    tap_keys(ui, screen.ids.keypad, "5678")
    assert phone_field(ui, "phone").text.endswith("：139 1234 5678")
    assert "正在填写：联系电话　139 1234 5678" in ui.texts()  # also right above the keypad
    assert screen.values["phone"] == "13912345678"  # the digits, not the grouping
    shot(ui, f"form-fill-phone-{orientation}")
    ui.tap(phone_field(ui, "id_number"))
    check_phone_layout(ui, screen.ids.keypad, "X", "", f"form_fill id_number {orientation}")
    home(ui)


def complaints(hall: LoopbackHall) -> list[tuple[str, str]]:
    with hall.app.state.database.sessions() as session:
        return [(c.category, c.phone) for c in session.scalars(select(Complaint))]


def test_every_keypad_is_the_phone_layout_and_phone_numbers_show_grouped(
        ui: Any, tmp_path: Path) -> None:
    with served_queue_hall(tmp_path, ui, "query") as hall:
        assert ui.wait_until(lambda: ui.app.link.heartbeat is not None, 10)
        for orientation, size in SIZES.items():
            ui.app.reset_session()
            ui.resize(*size)
            ui.app.start_session()
            ui.frames(2)
            ui.tap("长辈版")
            assert ui.app.theme.elder
            walk(ui, hall, orientation)

            # The admin PIN pad: 删除 0 确定
            ui.app.reset_session()
            ui.frames(2)
            ui.tap(ui.screen)
            for _ in range(5):
                ui.tap("欢迎！请选择您要办理的事项")
            assert ui.app.nav.current == "admin_login"
            ui.app.toggle_elder_mode()
            screen = ui.screen
            check_phone_layout(ui, screen.ids.keypad, "删除", "确定", f"admin {orientation}")
            tap_keys(ui, screen.ids.keypad, ADMIN_PIN + "9")
            ui.tap("删除", screen.ids.keypad)
            assert screen.digits == ADMIN_PIN
            shot(ui, f"admin-pin-{orientation}")
            ui.tap("确定", screen.ids.keypad)
            assert ui.wait_until(lambda: ui.app.nav.current == "admin", 10)
