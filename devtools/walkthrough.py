"""Walk a visitor through every screen and photograph each step.

Runs in both orientations, normal and elder mode, Chinese and English, with
real taps where a visitor would tap. ``hallkiosk demo --screenshots DIR``
uses it; so does the look-at-every-screen review before a screen is done.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from content.schema import Flow, QuestionNode
from kiosk.bootstrap import SIZES
from kiosk.i18n import tr
from screens.base import localized
from screens.complain import category_name
from screens.rate import level_name

COMBINATIONS = [(orientation, elder, language)
                for orientation in ("portrait", "landscape")
                for elder in (False, True)
                for language in ("zh_CN", "en")]


def choices_to(flow: Flow, target: str) -> list[str]:
    """The choice labels (in the current language) leading from the start to a node."""
    queue: deque[tuple[str, list[str]]] = deque([(flow.start, [])])
    seen = set()
    while queue:
        key, labels = queue.popleft()
        if key == target:
            return labels
        if key in seen:
            continue
        seen.add(key)
        node = flow.nodes[key]
        if isinstance(node, QuestionNode):
            queue.extend((c.next, [*labels, localized(c, "label")]) for c in node.choices)
    raise KeyError(f"{target} is not reachable in flow {flow.id}")


class _Walk:
    def __init__(self, driver: Any, out: Path, prefix: str):
        self.driver, self.app, self.out, self.prefix = driver, driver.app, out, prefix
        self.written: list[Path] = []

    def shot(self, step: str) -> None:
        number = len(self.written) + 1
        path = self.out / f"{self.prefix}-{number:02d}-{step}.png"
        self.written.append(self.driver.screenshot(path))

    def home(self) -> None:
        self.driver.tap(tr._("Home"))

    def tile(self, text: str) -> None:
        """Tap a home tile; 长辈版 keeps the less used ones under 更多服务."""
        if text not in self.driver.texts():
            self.driver.tap(tr._("More services"))
        self.driver.tap(text)

    def run(self, elder: bool, language: str) -> None:
        """The visitor's path from the attract screen through every screen, then the
        admin screens, the error screen and the idle countdown."""
        self.start(elder, language)
        self.guides()
        self.points_and_search()
        self.faq_online_and_flow()
        self.laws_and_calculators()
        self.feedback()
        self.admin_and_countdown()

    def start(self, elder: bool, language: str) -> None:
        """Attract screen, then home in the walk's mode and language."""
        driver, app = self.driver, self.app
        self.shot("attract")
        driver.tap(driver.screen)
        if elder:
            driver.tap(tr._("Elder mode"))
        if language != app.state.language:
            driver.tap(tr._("LANGUAGE_SWITCH"))
        self.shot("home")

    def guides(self) -> None:
        """Categories, a guide list and a guide, top and end."""
        driver, library = self.driver, self.app.library
        self.tile(tr._("Service guides"))
        self.shot("categories")
        category = library.categories()[0]
        driver.tap(localized(category, "name"))
        self.shot("guide_list")
        driver.tap(localized(library.guides_in(category.code)[0], "title"))
        self.shot("guide_detail")
        driver.screen.ids.scroll.scroll_y = 0
        self.shot("guide_detail_end")
        self.home()

    def points_and_search(self) -> None:
        """Service points, filtered, one point; the pinyin search."""
        driver, app = self.driver, self.app
        self.tile(tr._("Service points"))
        self.shot("points")
        driver.screen.set_filter("type", "notary_office", True)
        driver.frames(2)
        self.shot("points_filtered")
        app.open_item("point", driver.screen.results[0])
        self.shot("point_detail")
        self.home()
        self.tile(tr._("Search"))
        for letter in "FLYZ":
            driver.tap(letter)
        self.shot("search")
        self.home()

    def faq_online_and_flow(self) -> None:
        """FAQ, online services and the hand-off, the legal-aid self-check, accessibility."""
        driver, app = self.driver, self.app
        library = app.library
        self.tile(tr._("Questions"))
        self.shot("faq")
        app.open_item("faq", library.content.faq[0].id)
        self.shot("faq_detail")
        self.home()
        self.tile(tr._("Continue online"))
        self.shot("online")
        app.open_item("online", library.content.online[0].id)
        self.shot("handoff")
        self.home()
        self.tile(tr._("Legal aid self-check"))
        self.shot("flow_question")
        flow = library.flow("legal-aid-check")
        for label in choices_to(flow, "result_econ_check"):
            driver.tap(label)
        self.shot("flow_result")
        self.home()
        self.tile(tr._("Elder mode and help"))
        self.shot("accessibility")
        self.home()

    def laws_and_calculators(self) -> None:
        """法律知识: topics, a law, an article, the search; 法律计算器: list, court fee, errors."""
        driver, app = self.driver, self.app
        self.tile(tr._("Law library"))
        self.shot("laws")
        app.open_item("law", "labour-contract-law")
        self.shot("law_detail")
        app.open_item("article", "labour-contract-law:47")
        self.shot("law_article")
        driver.screen.ids.scroll.scroll_y = 0
        self.shot("law_article_end")
        app.open_item("article", "notary-law:26")  # a 公证 article: guides and a case
        driver.screen.ids.scroll.scroll_y = 0.3
        self.shot("law_article_notary")
        app.nav.go("law_search")
        driver.frames(2)
        driver.tap("劳动合同法")
        for digit in "47":
            driver.tap(digit, driver.screen.ids.digits)
        self.shot("law_search")
        self.home()
        self.tile(tr._("Legal calculators"))
        self.shot("calculators")
        app.open_item("calculator", "court-fee")
        for digit in "150000":
            driver.tap(digit, driver.screen.ids.keypad)
        self.shot("calculator_court_fee")
        app.open_item("calculator", "economic-compensation")
        screen = driver.screen
        for keys in ("6000", "20200101", "20190701"):
            for key in keys:
                driver.tap(key, screen.ids.keypad)
            driver.tap(tr._("Next input"))
        self.shot("calculator_error")
        app.open_item("calculator", "illegal-termination")  # a fresh form: a result
        screen = driver.screen
        for keys in ("6000", "20200101", "20250801"):
            for key in keys:
                driver.tap(key, screen.ids.keypad)
            driver.tap(tr._("Next input"))
        self.shot("calculator_result")
        app.open_item("calculator", "work-injury")
        self.shot("calculator_work_injury")
        self.home()

    def admin_and_countdown(self) -> None:
        """The admin screens, the error screen, and the idle countdown."""
        driver, app = self.driver, self.app
        app.nav.go("admin_login")
        driver.frames(2)
        self.shot("admin_login")
        app.nav.go("admin")
        driver.frames(2)
        self.shot("admin")
        app.nav.go("enrol")
        driver.frames(2)
        self.shot("enrol")
        app.nav.go("error", message="content bundle rejected: sha256 does not match manifest")
        driver.frames(2)
        self.shot("error")
        app.nav.home()
        app.idle.last_activity -= app.idle.timeout + 1
        app.idle._check(0)
        driver.frames(3)
        self.shot("countdown")
        app.continue_session()

    def feedback(self) -> None:
        """评价服务, the five faces, the reasons, thanks; 投诉建议; the rating pad at rest."""
        driver, app = self.driver, self.app
        self.tile(tr._("Rate a service"))
        for key in "A012":
            driver.tap(key)
        self.shot("rate_start")
        driver.tap(tr._("Rate the hall in general (no ticket)"))
        self.shot("rate")
        if not app.feedback.reasons:  # not enrolled: the reasons a server would send
            app.feedback.reasons = {2: ["等候时间过长", "服务态度差", "业务不熟练", "多次跑腿"]}
            app.feedback.english = {"等候时间过长": "Waited too long",
                                    "服务态度差": "Unfriendly staff",
                                    "业务不熟练": "Staff did not know the procedure",
                                    "多次跑腿": "Had to come back several times"}
        driver.tap(level_name(2))
        self.shot("rate_reasons")
        app.nav.go("feedback_done", message=tr._("Thank you for your rating!"))
        driver.frames(2)
        self.shot("feedback_done")
        app.nav.home()
        self.tile(tr._("Complaints and suggestions"))
        self.shot("complain")
        driver.tap(category_name("waiting"))
        for digit in "13800138000":
            driver.tap(digit)
        self.shot("complain_phone")
        app.nav.go("rater")
        driver.frames(3)
        self.shot("rater")
        app.nav.home()


def walk_part(driver: Any, out: Path, part: str) -> list[Path]:
    """Photograph one part of the walk (a _Walk method name) in every combination."""
    written: list[Path] = []
    for orientation, elder, language in COMBINATIONS:
        driver.resize(*SIZES[orientation])
        driver.app.reset_session()
        driver.frames(3)
        step = _Walk(driver, out, f"{orientation}-{'elder' if elder else 'normal'}-{language}")
        step.start(elder, language)
        getattr(step, part)()
        written += step.written
    driver.app.reset_session()
    return written


def walk(driver: Any, out: Path) -> list[Path]:
    """Photograph every screen in every orientation, mode and language; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for orientation, elder, language in COMBINATIONS:
        driver.resize(*SIZES[orientation])
        driver.app.reset_session()
        driver.frames(3)
        step = _Walk(driver, out, f"{orientation}-{'elder' if elder else 'normal'}-{language}")
        step.run(elder, language)
        written += step.written
    driver.app.reset_session()
    return written
