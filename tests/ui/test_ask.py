"""The ask screen on the real app with real touches: pinyin input with candidates, the
answer card and its next steps, follow-ups, the fallback, speech input, the robot profile."""

from __future__ import annotations

import os
import threading
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.listening import NOT_HEARD, Heard, ListenError, NullListener
from protocol.config import merge
from tests.ui.test_ticket import hall_server, tickets

__all__ = ["hall_server"]  # the fixture, for the ticket test here


def open_ask(ui: Any) -> Any:
    ui.app.start_session()
    ui.frames(2)
    ui.tap("智能咨询")
    assert ui.app.nav.current == "ask"
    asked = ui.app.services.asked  # the defaults, whatever earlier tests asked
    asked.answers.clear()
    asked.wordings.clear()
    assert ui.wait_until(lambda: ui.app.services.ime.ready is not None, 30)
    return ui.screen


def key(ui: Any, letters: str) -> None:
    """Tap letters on the on-screen keyboard."""
    for letter in letters:
        ui.tap(ui.find(letter, root=ui.screen.ids.keyboard))


def pick(ui: Any, text: str) -> None:
    """Tap a candidate in the candidate bar (scrolling it into view like a finger); a
    ScrollView passes a tap on to its child a moment after the finger lifts."""
    typed = ui.screen.typed
    widget = ui.find(text, root=ui.screen.ids.candidates)
    ui.tap(widget)
    sv = ui.screen.ids.candidate_scroll
    assert ui.wait_until(lambda: ui.screen.typed == typed + text, 5), (
        widget.to_window(*widget.center), sv.to_window(*sv.pos), sv.size, sv.scroll_x,
        ui.screen.typed, ui.screen.pinyin)


def type_question(ui: Any, parts: list[tuple[str, str]]) -> None:
    """Each (letters, candidate) typed and chosen."""
    for letters, candidate in parts:
        key(ui, letters)
        pick(ui, candidate)


def tap_card(ui: Any, text: str, done: Callable[[], bool]) -> None:
    """Tap a button in the answer area: a ScrollView hands the tap on to its child a moment
    after the finger lifts, so wait for what the button does."""
    ui.tap(text)
    assert ui.wait_until(done, 5), f"tapping {text!r} did nothing"


def answered(ui: Any) -> bool:
    return ui.screen.answered and not ui.screen.thinking


def test_type_with_pinyin_get_the_card_and_open_the_guide(ui: Any) -> None:
    screen = open_ask(ui)
    assert "大家常问" in ui.texts()
    key(ui, "xings")
    assert screen.pinyin == "xings"
    assert [c.text for c in screen.candidates][0].startswith("刑事")
    pick(ui, "刑事")
    assert (screen.typed, screen.pinyin) == ("刑事", "")
    key(ui, "flyz")  # initials only: the hall's word comes first
    assert screen.candidates[0].text == "法律援助"
    pick(ui, "法律援助")
    ui.tap("提问")
    assert ui.wait_until(lambda: answered(ui), 15)
    assert screen.heading.startswith("刑事案件") and "申请法律援助" in screen.heading
    assert screen.source.startswith("办事指南 FLYZ-00")
    texts = ui.texts()
    assert "您问的是：刑事法律援助" in texts
    assert {"查看办事指南", "取号：法律援助", "法律援助自测", "拨打 12348"} <= set(texts)
    code = screen.result.answers[0].key
    tap_card(ui, "拨打 12348", lambda: ui.screen.hotline_shown)
    assert "请拨打 12348 公共法律服务热线（24小时）。" in ui.texts()
    tap_card(ui, "查看办事指南", lambda: ui.app.nav.current == "guide_detail")
    assert ui.app.nav.params["key"] == code
    ui.tap("返回")
    assert ui.app.nav.current == "ask" and screen.answered  # the card is still there


def test_a_follow_up_keeps_the_previous_answer_for_one_turn(ui: Any) -> None:
    screen = open_ask(ui)
    type_question(ui, [("linju", "邻居"), ("jiufen", "纠纷")])
    ui.tap("提问")
    assert ui.wait_until(lambda: answered(ui), 15)
    assert screen.result.answers[0].id == "RMTJ-002"
    tap_card(ui, "问新问题", lambda: not screen.answered)
    type_question(ui, [("na", "那"), ("yao", "要"), ("dai", "带"), ("shenme", "什么"),
                       ("cailiao", "材料")])
    assert screen.typed == "那要带什么材料"
    ui.tap("提问")
    assert ui.wait_until(lambda: answered(ui) and screen.result.question == "那要带什么材料",
                         15)
    top = screen.result.answers[0]
    assert (top.id, top.facet) == ("RMTJ-002", "materials")
    assert screen.body.startswith("需要带的材料：")
    guide = ui.app.library.guide("RMTJ-002")
    assert all(m.name in screen.body for m in guide.materials)


def test_no_confident_answer_offers_12348_a_ticket_and_search(ui: Any) -> None:
    screen = open_ask(ui)
    type_question(ui, [("yuzhou", "宇宙"), ("feichuan", "飞船")])
    key(ui, "zenmemai")
    ui.tap("提问")  # the letters left become the first candidate
    assert ui.wait_until(lambda: answered(ui), 15)
    assert screen.fallback and screen.typed.startswith("宇宙飞船")
    assert "抱歉，这个问题我没有可靠的答案。" in ui.texts()
    assert {"拨打 12348", "取号：法律咨询", "搜索"} <= set(ui.texts())
    # Counted for 需求研判 (the text only): the outbox carries it to the server.
    usage = ui.app.services.usage
    usage.flush()
    counted = [item.payload for item in usage.outbox.pending(1000)
               if item.kind == "usage.unanswered"]
    assert counted and counted[-1]["question"].startswith("宇宙飞船")
    tap_card(ui, "搜索", lambda: ui.app.nav.current == "search")


def test_editing_keys_and_a_suggested_question(ui: Any) -> None:
    screen = open_ask(ui)
    key(ui, "xian")
    assert screen.candidates[0].text == "先"  # one syllable, not 西安
    ui.tap("'")
    assert screen.pinyin == "xian'"
    for _ in range(3):
        ui.tap("删除")
    assert screen.pinyin == "xi"
    ui.tap("'")
    key(ui, "an")
    assert screen.pinyin == "xi'an"
    assert screen.candidates[0].text == "西安"
    ui.tap("空格")  # the first candidate
    assert (screen.typed, screen.pinyin) == ("西安", "")
    ui.tap("清空")
    assert screen.question == ""
    ui.tap("提问")
    assert "请先输入或说出您的问题。" in ui.texts()
    tap_card(ui, "我要取号", lambda: answered(ui))
    assert screen.result.answers[0].id == "intent:ticket"
    assert "取号" in ui.texts()


def test_take_a_ticket_for_the_service_the_answer_names(ui: Any, hall_server: Any,
                                                        tmp_path: Path) -> None:
    app, _url = hall_server
    open_ask(ui)
    type_question(ui, [("xings", "刑事"), ("flyz", "法律援助")])
    ui.tap("提问")
    assert ui.wait_until(lambda: answered(ui), 15)
    tap_card(ui, "取号：法律援助", lambda: ui.app.nav.current != "ask")
    # the ticket screen goes straight to confirming the service the answer named
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_confirm", 15)
    assert ui.app.nav.params["service_name"] == "法律援助"
    ui.tap(ui.find("确认取号", root=ui.screen))
    assert ui.wait_until(lambda: ui.app.nav.current == "ticket_done", 15)
    assert tickets(app) == ["A001"]
    assert sorted((tmp_path / "printer").glob("*.bin"))


class ScriptedListener:
    """A speech engine at the Listener interface: says what it was given, from a thread."""

    def __init__(self, partials: list[str], final: str | None, error: ListenError | None = None):
        self.partials, self.final, self.error = partials, final, error
        self.stopped = threading.Event()
        self.calls: list[str] = []

    @property
    def available(self) -> bool:
        return True

    def start(self, on_partial: Callable[[str], None], on_final: Callable[[Heard], None],
              on_error: Callable[[ListenError], None]) -> None:
        self.calls.append("start")

        def run() -> None:
            for text in self.partials:
                on_partial(text)
            self.stopped.wait(10)
            if self.final is not None:
                on_final(Heard(self.final, "zh"))
            elif self.error is not None:
                on_error(self.error)

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self.calls.append("stop")
        self.stopped.set()

    def cancel(self) -> None:
        self.calls.append("cancel")
        self.stopped.set()


@pytest.fixture
def listener(ui: Any) -> Iterator[Callable[..., ScriptedListener]]:
    def install(*args: Any) -> ScriptedListener:
        ui.app.services.listener = ScriptedListener(*args)
        return ui.app.services.listener

    yield install
    ui.app.services.listener = NullListener()


def test_speak_a_question_partial_text_then_the_answer(ui: Any, listener: Any) -> None:
    open_ask(ui)
    assert "按住说话 / 点击说话" not in ui.texts()  # the null listener: no talk button
    heard = listener(["邻居", "邻居纠纷"], "邻居纠纷怎么调解")
    ui.app.nav.manager.current_screen.refresh()
    ui.frames(2)
    screen = ui.screen
    talk = ui.find("按住说话 / 点击说话")
    ui.tap(talk)  # a short tap: 点击说话, listening until tapped again
    assert ui.wait_until(lambda: screen.typed == "邻居纠纷", 5)  # partial text shown
    assert screen.listening and screen.tap_mode and heard.calls == ["start"]
    ui.tap(talk)
    assert ui.wait_until(lambda: answered(ui), 15)
    assert heard.calls == ["start", "stop"]
    assert screen.result.question == "邻居纠纷怎么调解"
    assert screen.result.answers[0].id == "RMTJ-002"


def test_nothing_heard_shows_the_listeners_message(ui: Any, listener: Any) -> None:
    open_ask(ui)
    listener([], None, ListenError("silence", *NOT_HEARD))
    ui.app.nav.manager.current_screen.refresh()
    ui.frames(2)
    ui.tap("按住说话 / 点击说话")
    ui.tap("正在听…再点一下结束")
    assert ui.wait_until(lambda: "没听清，请再说一遍" in ui.texts(), 5)
    assert not ui.screen.listening and not ui.screen.answered


def test_robot_profile_starts_on_ask_and_reads_the_answer_aloud(ui: Any,
                                                                ui_data_dir: Path) -> None:
    app = ui.app
    query_config = app.terminal_config
    app.apply_config(merge(query_config, {"terminal": {"profile": "robot"}}))
    speech_dir = ui_data_dir / "speech"
    try:
        app.reset_session()
        ui.tap(ui.screen)
        assert app.nav.current == "ask"
        assert app.speaker.wait_idle(timeout=30)
        before = sorted(speech_dir.glob("*.wav"))
        tap_card(ui, "被人打伤了怎么办", lambda: answered(ui))
        ui.frames(2)
        assert app.speaker.wait_idle(timeout=30)
        spoken = app.speaker.spoken[-1][2]
        assert spoken == ui.screen.speech_text() and spoken.startswith(ui.screen.heading)
        written = sorted(speech_dir.glob("*.wav"))
        assert len(written) > len(before)
        with wave.open(str(written[-1])) as audio:
            assert audio.getnframes() / audio.getframerate() > 1.0
    finally:
        app.apply_config(query_config)
        app.reset_session()
    assert app.nav.home_name == "home"


def shot(ui: Any, path: Path) -> None:
    """A screenshot of what the screen shows now: Kivy draws only changed frames, and the
    buffer read may be one swap behind, so draw the current state a few times first."""
    from kivy.core.window import Window

    for _ in range(3):
        Window.canvas.ask_update()
        ui.frames(1)
    ui.screenshot(path)


SHOTS = Path(os.environ.get("ASK_SCREENSHOTS", "")) if os.environ.get("ASK_SCREENSHOTS") \
    else None


def test_screenshots_portrait_landscape_elder_english_fallback(ui: Any,
                                                               tmp_path: Path) -> None:
    """The ask screen in each form (written to $ASK_SCREENSHOTS for review when set)."""
    out = SHOTS or tmp_path
    screen = open_ask(ui)
    shot(ui, out / "ask-portrait-start.png")
    type_question(ui, [("laoban", "老板")])
    key(ui, "qian")
    shot(ui, out / "ask-portrait-typing.png")
    pick(ui, "欠")
    type_question(ui, [("gongzi", "工资")])
    ui.tap("提问")
    assert ui.wait_until(lambda: answered(ui), 15)
    shot(ui, out / "ask-portrait-answer.png")
    ui.resize(1920, 1080)
    shot(ui, out / "ask-landscape-answer.png")
    ui.resize(1080, 1920)
    ui.tap("长辈版")
    shot(ui, out / "ask-elder-answer.png")
    ui.tap("标准版")
    ui.tap("English")
    assert ui.wait_until(lambda: "Ask another question" in ui.texts())
    shot(ui, out / "ask-english-answer.png")
    tap_card(ui, "Ask another question", lambda: not screen.answered)
    assert ui.screen.ids.question.text == "Your question appears here"
    shot(ui, out / "ask-english-start.png")
    ui.tap("中文")
    ui.app.reset_session()  # a new visitor: no previous answer to follow up on
    screen = open_ask(ui)
    screen.ask("宇宙飞船怎么买")
    assert ui.wait_until(lambda: answered(ui), 15)
    assert screen.heading == "抱歉，这个问题我没有可靠的答案。"
    shot(ui, out / "ask-fallback.png")
    ui.resize(1920, 1080)
    shot(ui, out / "ask-landscape-fallback.png")
    for name in ("ask-portrait-answer", "ask-english-answer", "ask-fallback"):
        assert (out / f"{name}.png").stat().st_size > 10_000
