"""长辈版 and what every visitor leans on: six large tiles and 更多服务, tile texts that fit,
filter chips that wrap, the comment QR that waits, and 呼叫工作人员 reaching the consoles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from server.models import Hall
from server.security import create_user
from tests.ui.server_link import LoopbackHall, served_queue_hall, sign_in
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

SHOTS = Path("/tmp/elder-shots")
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
ELDER_HOME = ["取号", "办事指南", "法律援助自测", "常见问题", "服务网点", "评价服务"]
SUPERVISOR = ("wang.supervisor", "hall-supervisor-pass")


def shot(ui: Any, name: str) -> None:
    """Keep a screenshot for a person to look at."""
    ui.frames(3)
    ui.screenshot(SHOTS / f"{name}.png")


def set_mode(ui: Any, orientation: str, elder: bool, language: str) -> None:
    """Home in this orientation, mode and language."""
    ui.resize(*SIZES[orientation])
    ui.app.start_session()
    if ui.app.theme.elder != elder:
        ui.app.toggle_elder_mode()
    ui.app.set_language(language)
    ui.app.nav.home()
    ui.frames(4)


def tiles(ui: Any) -> list[Any]:
    """The home screen's tiles, in order."""
    return list(reversed(ui.screen.ids.grid.children))


def overflowing_labels(ui: Any, root: Any) -> list[str]:
    """Every shown label under root whose text is larger than the label, or that lies
    outside root (a glyph over the tile's edge)."""
    from kivy.uix.label import Label

    found = []
    for widget in root.walk(restrict=True):
        if not isinstance(widget, Label) or not widget.text or widget.opacity == 0:
            continue
        width, height = widget.texture_size
        if width > widget.width + 1 or height > widget.height + 1:
            found.append(f"{widget.text!r}: text {width}x{height} in {widget.size}")
        # The text is centred in the label: where its pixels really are.
        top = widget.center_y + height / 2
        bottom = widget.center_y - height / 2
        if top > root.top + 1 or bottom < root.y - 1:
            found.append(f"{widget.text!r}: drawn from {bottom:.0f} to {top:.0f}, "
                         f"outside its tile {root.y:.0f}..{root.top:.0f}")
    return found


def test_elder_home_has_six_large_tiles_and_more_services(ui: Any) -> None:
    ui.app.start_session()
    assert len(tiles(ui)) == 14  # the standard home has every tile
    ui.tap("长辈版")
    assert ui.app.theme.elder
    assert [tile.text for tile in tiles(ui)] == ELDER_HOME
    assert "更多服务" in ui.texts()
    first = tiles(ui)[0]
    assert first.height > 350 and first.width > 450  # large targets, filling the screen
    shot(ui, "home-portrait-elder-zh")
    # more time to read, and to reach 继续使用
    idle = ui.app.terminal_config.idle
    assert (ui.app.idle.timeout, ui.app.idle.countdown) == (idle.elder_timeout,
                                                            idle.elder_countdown)
    assert ui.app.idle.timeout > idle.timeout and ui.app.idle.countdown > idle.countdown
    ui.tap("更多服务")
    rest = [tile.text for tile in tiles(ui)]
    assert len(rest) == 8 and not set(rest) & set(ELDER_HOME)
    assert {"法律知识", "投诉建议"} <= set(rest)
    shot(ui, "more-portrait-elder-zh")
    ui.tap("投诉建议")
    assert ui.app.nav.current == "complain"
    ui.tap("返回")
    assert ui.app.nav.current == "home" and len(tiles(ui)) == 8
    ui.tap("返回")  # back from 更多服务 to the six
    assert [tile.text for tile in tiles(ui)] == ELDER_HOME
    ui.tap("取号")
    assert ui.app.nav.current == "ticket"
    ui.tap("标准版")  # leaving 长辈版 anywhere brings the full home back
    ui.app.nav.home()
    ui.frames(2)
    assert len(tiles(ui)) == 14


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_no_tile_text_overflows_its_tile(ui: Any, orientation: str) -> None:
    for elder in (True, False):
        for language in ("zh_CN", "en"):
            set_mode(ui, orientation, elder, language)
            pages = [False, True] if elder else [False]
            for more in pages:
                if more:
                    ui.screen.open_more()
                    ui.frames(4)
                problems = [problem for tile in tiles(ui)
                            for problem in overflowing_labels(ui, tile)]
                mode = "elder" if elder else "standard"
                name = f"home-{orientation}-{mode}-{language}" + ("-more" if more else "")
                shot(ui, name)
                assert problems == [], name
                title = next(w for w in ui.widgets(ui.screen)
                             if type(w).__name__ == "FitLabel")
                assert title.texture_size[1] <= title.height + 1, name  # whole, wrapped
                assert title.texture_size[0] <= title.width + 1 and not title.shorten, name
                grid = ui.screen.ids.grid
                if elder:  # the tiles use the screen: the grid ends near the 更多服务 button
                    assert grid.height > ui.app.root.height * 0.45, name


def test_point_filter_chips_wrap_inside_their_row(ui: Any) -> None:
    for orientation in ("landscape", "portrait"):
        set_mode(ui, orientation, True, "en")
        ui.tap("Service points")
        ui.frames(4)
        rows = [ui.screen.ids[f"{group}_row"].ids.chips for group in ("type", "level",
                                                                      "district")]
        for row in rows:
            assert row.children, "no chips"
            for chip in row.children:
                assert chip.x >= row.x - 1 and chip.right <= row.right + 1, chip.text
                width, height = chip.texture_size
                assert width <= chip.width + 1 and height <= chip.height + 1, chip.text
        longest = max((c for row in rows for c in row.children), key=lambda c: len(c.text))
        assert longest.text == "Village (community) legal service room"
        shot(ui, f"points-{orientation}-elder-en")
        assert not longest.shorten
        type_row = rows[0]  # nine types: more than one line of chips, none hidden sideways
        assert type_row.height > type_row.children[0].height * 1.5
        assert all(chip.y >= type_row.y - 1 for chip in type_row.children)


def test_comment_qr_waits_and_pauses_on_touch(ui: Any) -> None:
    ui.app.start_session()
    url = "http://hall.example/c/abc"
    ui.app.nav.go("feedback_done", message="感谢您的评价！", comment_url=url)
    ui.frames(2)
    screen = ui.screen
    assert screen.qr == url and screen.remaining == 30
    assert "完成（30秒后返回）" in ui.texts()
    time.sleep(1.1)
    ui.wait_until(lambda: screen.remaining <= 29, 3)
    ui.tap(screen.ids.get("qr_text") or ui.find(screen.qr_text))  # the visitor touches it
    assert screen.paused
    left = screen.remaining
    time.sleep(2.2)
    ui.frames(3)
    assert screen.remaining == left  # paused: the code stays
    assert "完成（已暂停，看完请点这里）" in ui.texts()
    shot(ui, "comment-qr-paused")
    ui.tap("完成（已暂停，看完请点这里）")
    assert ui.app.nav.current == "home"

    ui.tap("长辈版")
    ui.app.nav.go("feedback_done", message="感谢您的评价！", comment_url=url)
    ui.frames(2)
    assert ui.screen.remaining == 60 and not ui.screen.paused


@pytest.fixture
def hall(tmp_path: Path, ui: Any) -> Iterator[LoopbackHall]:
    """The running app as a query terminal of a served hall, with a supervisor."""
    with served_queue_hall(tmp_path, ui, "query") as served:
        with served.app.state.database.sessions() as session:
            hall = session.query(Hall).one()
            create_user(session, *SUPERVISOR, "supervisor", hall.code)
            session.commit()
        yield served


def test_call_staff_reaches_the_console_and_staff_answer(ui: Any, hall: LoopbackHall) -> None:
    from tests.server.queue_setup import PASSWORD

    assert ui.wait_until(lambda: ui.app.link.client is not None, 15)
    ui.app.start_session()
    ui.tap("办事指南")
    assert ui.app.nav.current == "categories"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            staff = browser.new_context(locale="zh-CN", viewport={"width": 1366,
                                                                  "height": 900}).new_page()
            staff.set_default_timeout(10_000)
            sign_in(staff, hall.url, hall.staff[1], PASSWORD, "/queue")
            supervisor = browser.new_context(locale="zh-CN", viewport={
                "width": 1366, "height": 900}).new_page()
            supervisor.set_default_timeout(10_000)
            sign_in(supervisor, hall.url, *SUPERVISOR, "/queue/hall")
            expect(staff.locator("#help-alerts")).to_be_hidden()

            called_at = time.monotonic()
            ui.tap("呼叫工作人员")
            assert ui.wait_until(lambda: ui.app.state.help_status == "waiting", 10)
            assert "已通知工作人员，请稍候" in ui.texts()
            shot(ui, "help-waiting")
            terminal_id = ui.app.services.help.alert.terminal
            assert terminal_id.endswith(" 号终端")
            for tab in (staff, supervisor):  # live, without reloading the page
                alert = tab.locator(".help-alert")
                expect(alert).to_have_count(1)
                expect(alert.locator(".help-text")).to_have_text(
                    f"{terminal_id}有访客需要帮助")
                expect(alert.locator(".help-meta")).to_contain_text("所在页面：办事指南")
            assert time.monotonic() - called_at < 5
            staff.screenshot(path=str(SHOTS / "console-help-alert.png"), full_page=True)
            supervisor.screenshot(path=str(SHOTS / "hall-help-alert.png"), full_page=True)

            staff.locator(".help-alert").get_by_role("button", name="已处理").click()
            expect(staff.locator(".help-alert")).to_have_count(0)
            expect(supervisor.locator(".help-alert")).to_have_count(0)  # gone there too
            assert ui.wait_until(lambda: ui.app.state.help_status == "coming", 10)
            assert "工作人员马上就到" in ui.texts()
            shot(ui, "help-coming")
            staff.reload()  # stored: an acknowledged call does not come back
            expect(staff.locator("#live")).to_have_attribute("data-state", "open")
            expect(staff.locator(".help-alert")).to_have_count(0)
        finally:
            browser.close()
    ui.app.message.dismiss(animation=False)


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_long_guide_titles_wrap_whole_in_the_list(ui: Any, orientation: str) -> None:
    from kiosk.labels import FitLabel  # Kivy only once the app configured it

    for language in ("zh_CN", "en"):
        set_mode(ui, orientation, True, language)
        ui.app.nav.go("guide_list", key="legal-aid")
        ui.frames(6)
        rows = [w for w in ui.widgets(ui.screen) if type(w).__name__ == "ListRow"]
        assert rows
        for row in rows:
            for label in row.walk(restrict=True):
                if not isinstance(label, FitLabel) or not label.text:
                    continue
                width, height = label.texture_size
                assert width <= label.width + 1 and height <= label.height + 1, label.text
                assert not label.shorten and "…" not in label.text
        if language == "zh_CN":
            assert "家庭暴力受害人、见义勇为等人员申请法律援助（不审查经济困难）" in ui.texts()
        shot(ui, f"guide-list-{orientation}-elder-{language}")
