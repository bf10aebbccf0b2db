"""Every screen of the terminal in both orientations, both modes (normal and 长辈版) and both
languages: no label's text is larger than its label, cut with "…" or by the label's height, or
drawn outside its parent or the window.

Generic on purpose: it measures whatever each screen shows (the texts come from the catalogs
and the seed content), so new texts and translations are checked by re-running it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SHOTS = Path("/tmp/layout-shots")
# LAYOUT_SHOTS=en (or zh_CN, or "zh_CN en"): also shoot every screen in those languages, for a
# person to look at; otherwise only the screens with problems are shot.
SHOOT_ALL = os.environ.get("LAYOUT_SHOTS", "").split()
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
MODES = [(elder, language) for elder in (False, True) for language in ("zh_CN", "en")]
SLACK = 1.5  # pixels: rounding of sizes and positions


def _core_height(label: Any, width: float) -> float:
    """The height the label's (already line-broken) text needs at width, all lines shown."""
    core = label._label
    options = {**core.options, "text_size": (width, None), "max_lines": 0, "shorten": False}
    options.pop("usersize", None)
    measure = type(core)(**options)
    measure.text = core.text
    measure.refresh()
    return float(measure.texture.size[1]) if measure.texture else 0.0


def _clip_of(widget: Any) -> Any:
    """The nearest scrolling ancestor (it clips what it holds), or None."""
    from kivy.uix.scrollview import ScrollView

    node = widget.parent
    while node is not None and node is not node.get_parent_window():
        if isinstance(node, ScrollView):
            return node
        node = node.parent
    return None


def _box(widget: Any) -> tuple[float, float, float, float]:
    """The widget's box in window coordinates: left, bottom, right, top."""
    left, bottom = widget.to_window(widget.x, widget.y)
    return left, bottom, left + widget.width, bottom + widget.height


def label_problems(ui: Any) -> list[str]:
    """What is wrong with each shown label of the window (screen and any overlay)."""
    from kivy.core.window import Window

    from kiosk.labels import Label, Preview

    problems = []
    for label in ui.widgets():
        if not isinstance(label, Label) or not label.text.strip():
            continue
        name = " ".join(label.text.split())[:60]
        label.texture_update()  # what the next frame would draw
        width, height = label.texture_size
        if width > label.width + SLACK or height > label.height + SLACK:
            problems.append(f"{name!r}: text {width:.0f}x{height:.0f} larger than its "
                            f"label {label.width:.0f}x{label.height:.0f}")
            continue
        if isinstance(label, Preview):
            pass  # a teaser cut by design (the whole text is on the item's page)
        elif label.is_shortened:
            problems.append(f"{name!r}: cut with an ellipsis")
            continue
        text_width, text_height = label.text_size
        # a fixed box: Kivy drops the lines that do not fit
        if text_width and text_height and not isinstance(label, Preview):
            needed = _core_height(label, text_width)
            if needed > text_height + SLACK:
                problems.append(f"{name!r}: needs {needed:.0f} px high, shows "
                                f"{text_height:.0f}: lines cut")
                continue
        left, bottom, right, top = _box(label)
        # the text is drawn centred on the label
        cx, cy = (left + right) / 2, (bottom + top) / 2
        drawn = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
        clip = _clip_of(label)
        if clip is None:
            outer, where = (0, 0, Window.width, Window.height), "the window"
        else:
            continue  # a scrolled page: what is outside its view is scrolled away, not cut
        if drawn[0] < outer[0] - SLACK or drawn[1] < outer[1] - SLACK or \
                drawn[2] > outer[2] + SLACK or drawn[3] > outer[3] + SLACK:
            problems.append(f"{name!r}: drawn at {tuple(round(v) for v in drawn)}, outside "
                            f"{where}")
            continue
        parent = label.parent
        if parent is not None and parent is not Window and parent.width > 1:
            p = _box(parent)
            if drawn[0] < p[0] - SLACK or drawn[1] < p[1] - SLACK or \
                    drawn[2] > p[2] + SLACK or drawn[3] > p[3] + SLACK:
                problems.append(f"{name!r}: drawn at {tuple(round(v) for v in drawn)}, outside "
                                f"its {type(parent).__name__} "
                                f"{tuple(round(v) for v in p)}")
    return problems


def _longest(items: list[Any], *fields: str) -> Any:
    """The item with the most text in fields (both languages): the hardest to lay out."""
    def size(item: Any) -> int:
        return sum(len(str(getattr(item, f, "") or "")) + len(str(getattr(item, f + "_en", "")
                                                                    or "")) for f in fields)
    return max(items, key=size)


def _services_reply() -> Any:
    from protocol.queue import HallRef, ServicesReply, ServiceView

    opens = dt.datetime.now(dt.UTC) + dt.timedelta(hours=20)
    return ServicesReply(hall=HallRef(code="H1", name="市公共法律服务中心"), services=[
        ServiceView(code="aid", name="法律援助申请", name_en="Legal aid application",
                    prefix="A", open=True, waiting=12, wait_minutes=35, windows=[1, 2]),
        ServiceView(code="notary", name="公证咨询与办理（含涉外公证）",
                    name_en="Notarisation advice and services (including foreign-related)",
                    prefix="B", open=False, opens_at=opens, waiting=0, wait_minutes=0),
        ServiceView(code="mediation", name="人民调解", name_en="People's mediation",
                    prefix="C", open=True, waiting=0, wait_minutes=0, windows=[5]),
    ])


def _issued(printed: bool) -> Any:
    from kiosk.queue_link import IssuedTicket
    from protocol.enums import Priority, TicketState
    from protocol.queue import TicketIssued

    ticket = TicketIssued(
        id=1, number="A012", state=TicketState.WAITING, priority=Priority.NORMAL,
        service="aid", service_name="法律援助申请", service_name_en="Legal aid application",
        day="2026-12-06", issued_at=dt.datetime.now(dt.UTC), token="t" * 24,
        people_ahead=12, wait_minutes=35, service_windows=[1, 2, 3])
    return IssuedTicket(ticket, "http://hall.example/t/" + "t" * 24, printed,
                        "" if printed else "paper_out")


def visits(ui: Any) -> list[tuple[str, Callable[[], None]]]:
    """Every screen (and state of one worth a look), each as a name and how to show it."""
    app = ui.app
    library = app.library
    content = library.content
    nav = app.nav

    def go(name: str, **params: Any) -> Callable[[], None]:
        return lambda: nav.go(name, **params)

    def screen_then(name: str, action: Callable[[Any], None],
                    **params: Any) -> Callable[[], None]:
        def show() -> None:
            nav.go(name, **params)
            ui.frames(2)
            action(ui.screen)
        return show

    guide = _longest([g for c in library.categories() for g in library.guides_in(c.code)],
                     "title", "summary", "conditions", "process", "notes")
    category = _longest(library.categories(), "name")
    faq = _longest(list(content.faq), "question", "answer")
    point = _longest(list(content.points), "name", "address", "services")
    online = _longest(list(content.online), "name", "description")
    form = _longest(list(content.forms), "title", "intro")
    flow = content.flows[0]
    aid_result = next(key for key, node in flow.nodes.items()
                      if "法律援助" in getattr(node, "services", ()))

    def flow_result(screen: Any) -> None:
        from content.schema import ResultNode
        from devtools.walkthrough import choices_to

        result = next(k for k, n in flow.nodes.items() if isinstance(n, ResultNode))
        for label in choices_to(flow, result):
            ui.tap(label, ui.screen)

    def take_home_failed(screen: Any) -> None:
        from screens.base import _

        screen.take_home_note.text = _("The printer cannot print now (it may be out of "
                                       "paper). Scan the code to take the list on your "
                                       "phone.")
        screen.ids.scroll.scroll_y = 0

    def ask(screen: Any) -> None:
        shown = screen.shown
        screen.ask("离婚后孩子的抚养费怎么算")
        ui.wait_until(lambda: screen.shown > shown, 10)

    def appointment(screen: Any) -> None:
        screen.appointment = True
        for digit in "12345678":
            screen.press(digit)

    def countdown() -> None:
        nav.home()
        app.countdown.remaining = 30
        app.countdown.open(animation=False)

    def message() -> None:
        nav.home()
        from kiosk.i18n import tr

        app.show_message(tr._("Staff could not be called. Please ask at the service desk or "
                              "call 12348."), 60)

    from content.calculators.registry import CALCULATORS

    steps: list[tuple[str, Callable[[], None]]] = [
        ("attract", go("attract")),
        ("home", go("home")),
        ("home more", go("home", more=True)),
        ("categories", go("categories")),
        ("guide list", go("guide_list", key=category.code)),
        ("guide detail", go("guide_detail", key=guide.code)),
        ("guide detail, take home failed", screen_then("guide_detail", take_home_failed,
                                                       key=guide.code)),
        ("points", go("points")),
        ("point detail", go("point_detail", key=point.id)),
        ("search", screen_then("search", lambda s: [ui.tap(k, s) for k in "FLYZ"] and None)),
        ("ask", go("ask")),
        ("ask answered", screen_then("ask", ask)),
        ("faq", go("faq")),
        ("faq detail", go("faq_detail", key=faq.id)),
        ("online", go("online")),
        ("handoff", go("handoff", key=online.id)),
        ("flow question", go("flow", key=flow.id)),
        ("flow result", screen_then("flow", flow_result, key=flow.id)),
        ("laws", go("laws")),
        ("law detail", go("law_detail", key="labour-contract-law")),
        ("law article", go("law_article", key="labour-contract-law:47")),
        ("law search", go("law_search")),
        ("calculators", go("calculators")),
        *[(f"calculator {key}", go("calculator", key=key)) for key in CALCULATORS],
        ("form", go("form_fill", key=form.id)),
        ("accessibility", go("accessibility")),
        ("ticket services", screen_then("ticket", lambda s: s._show(_services_reply()))),
        ("ticket failed", screen_then("ticket", lambda s: s._failed("unreachable"))),
        ("ticket confirm", go("ticket_confirm", service="aid",
                              service_name="公证咨询与办理（含涉外公证）", priority="green",
                              windows=[1, 2, 3], waiting=12, wait_minutes=35)),
        ("appointment check-in", screen_then("ticket_confirm", appointment, service="aid",
                                             service_name="法律援助申请", priority="normal",
                                             windows=[1], waiting=3, wait_minutes=10)),
        ("ticket done", go("ticket_done", ticket=_issued(True))),
        ("ticket done, printer out", go("ticket_done", ticket=_issued(False))),
        ("rate start", go("rate_start")),
        ("rate", go("rate", number="A012", source="terminal")),
        ("rate reasons", go("rate_reasons", level=2, source="terminal")),
        ("feedback done", go("feedback_done", message="感谢您的评价！",
                             comment_url="http://hall.example/r/abcdefgh")),
        ("complain", go("complain")),
        ("complain phone", go("complain_phone", category="waiting")),
        ("case progress", go("case_progress")),
        ("call-back request", go("callback", question="公司三个月没发工资，我该怎么办才能拿回来")),
        ("legal-aid application", go("legal_aid_apply", flow=flow.id, result=aid_result,
                                     facts=["案件类型：民事或行政纠纷", "具体事项：讨要劳动报酬"])),
        ("rater", go("rater")),
        ("admin PIN", go("admin_login")),
        ("admin", go("admin")),
        ("enrol", go("enrol")),
        ("error", go("error", message="content bundle rejected: sha256 does not match "
                                      "manifest")),
        ("idle countdown", countdown),
        ("staff message", message),
    ]
    return steps


def set_mode(ui: Any, orientation: str, elder: bool, language: str) -> None:
    """A fresh session in this orientation, mode and language, coming from the other
    orientation (a terminal turned by remote config: layouts must follow both ways)."""
    other = next(size for name, size in SIZES.items() if name != orientation)
    ui.resize(*other)
    ui.resize(*SIZES[orientation])
    ui.app.reset_session()
    ui.app.start_session()
    if ui.app.theme.elder != elder:
        ui.app.toggle_elder_mode()
    ui.app.set_language(language)
    if not ui.app.feedback.reasons:  # not enrolled: the reasons a server would send
        ui.app.feedback.reasons = {2: ["等候时间过长", "服务态度差", "业务不熟练", "多次跑腿"]}


def layout_frames(count: int = 2) -> None:
    """Frames without drawing: the clock, input and layout run as in a frame, but the window
    is not painted (painting 1080x1920 in software is most of a frame's time; the
    screenshots of failures paint)."""
    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.lang import Builder

    for _ in range(count):
        Clock.tick()
        EventLoop.dispatch_input()
        Builder.sync()
        Clock.tick_draw()
        Builder.sync()


def settle(ui: Any) -> bool:
    """Frames until the layout (wrapping, fitted titles, chips) stops moving; False when it
    never does (a size fed back from itself grows every frame)."""
    ui.frames(3)
    for _ in range(6):
        before = [tuple(w.size) + tuple(w.pos) for w in ui.widgets()]
        ui.frames(1)
        if before == [tuple(w.size) + tuple(w.pos) for w in ui.widgets()]:
            return True
    return False


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_no_label_overflows_or_is_cut_on_any_screen(ui: Any, orientation: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from devtools.driver import Driver
    from kiosk.i18n import tr
    from kiosk.labels import Label

    monkeypatch.setattr(ui, "frames", layout_frames)
    started = time.monotonic()
    failures: list[str] = []
    seen: set[str] = set()
    for elder, language in MODES:
        set_mode(ui, orientation, elder, language)
        mode = "长辈版" if elder else "normal"
        call_staff = tr._("Call staff")
        for name, show in visits(ui):
            ui.app.message.dismiss(animation=False)
            ui.app.countdown.dismiss(animation=False)
            show()
            settled = settle(ui)
            seen.add(ui.app.nav.current)
            if ui.app.nav.current != "attract" or name == "attract":
                # 呼叫工作人员 on every screen a visitor sees (the header's, or its own)
                if not any(w.text == call_staff for w in ui.widgets()
                           if isinstance(w, Label)):
                    failures.append(f"{name} · {orientation}: no 呼叫工作人员 button")
            problems = label_problems(ui)
            if not settled:
                problems.append("the layout keeps moving (a size that feeds back on itself)")
            where = f"{name} · {orientation} · {mode} · {language}"
            if problems or language in SHOOT_ALL:
                Driver.frames(ui, 2)  # painted, for the person reading the failures
                ui.screenshot(SHOTS / f"{orientation}-{mode}-{language}-{name}.png")
            failures += [f"{where}: {problem}" for problem in problems]
        ui.app.message.dismiss(animation=False)
        ui.app.countdown.dismiss(animation=False)
    from screens.registry import SCREENS

    # every screen of the registry was shown (the calling display has its own test)
    assert {name for name, _ in SCREENS} - seen <= {"display"}
    print(f"\nlayout walk {orientation}: {time.monotonic() - started:.1f} s")
    assert not failures, f"{len(failures)} layout problems:\n" + "\n".join(failures)


def test_call_staff_on_the_attract_screen(ui: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attract loop has no header: its own 呼叫工作人员 calls staff (naming the screen)
    instead of starting a session; a touch anywhere else still starts one."""
    calls: list[tuple[str, str]] = []
    help_call = ui.app.services.help
    original = help_call.request
    monkeypatch.setattr(help_call, "request",
                        lambda screen, title: (calls.append((screen, title)),
                                               original(screen, title)))
    ui.tap("呼叫工作人员")
    assert calls == [("attract", "待机页")]
    assert ui.app.nav.current == "attract"  # still there: staff come to this terminal
    # not enrolled in this session: the visitor is told where else to ask
    assert ui.app.state.help_status == "failed"
    assert ui.app.message.text == "暂时无法呼叫工作人员，请到服务台咨询或拨打12348。"
    ui.app.message.dismiss(animation=False)
    ui.frames(2)
    ui.tap("请触摸屏幕开始")
    assert ui.app.nav.current == "home"
