"""评价: five large faces, 非常满意 to 非常不满意; a low level goes on to its reasons.

Used by the window's rating pad (woken when staff press 办结) and by 评价服务 on query
terminals. Rating is voluntary: 不评价 leaves without storing anything.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.feedback import LEVELS, REASONS_FROM
from kiosk.palette import TILE_COLORS, hex_rgba
from screens.base import BaseScreen, _, sentences

# Level colours from the contrast-tested tile colours: greens to reds.
LEVEL_COLORS = {5: TILE_COLORS[1], 4: TILE_COLORS[8], 3: TILE_COLORS[2], 2: TILE_COLORS[7],
                1: TILE_COLORS[4]}
MOUTH_CURVE = {5: 0.55, 4: 0.3, 3: 0.0, 2: -0.3, 1: -0.55}  # smile up, frown down


def level_name(level: int) -> str:
    """The level's name in the visitor's language."""
    return {5: _("Very satisfied"), 4: _("Satisfied"), 3: _("Fairly satisfied"),
            2: _("Dissatisfied"), 1: _("Very dissatisfied")}[level]


class Face(Widget):
    """A drawn face whose mouth follows the level (no emoji font needed)."""

    level = NumericProperty(5)
    color = ListProperty([1, 1, 1, 1])
    curve = NumericProperty(0.0)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.curve = MOUTH_CURVE[int(self.level)]

    def on_level(self, _widget: Any, level: int) -> None:
        """Smile or frown for the level."""
        self.curve = MOUTH_CURVE[int(level)]


class LevelButton(ButtonBehavior, BoxLayout):
    """One level: its face and its name on the level's colour."""

    level = NumericProperty(5)
    text = StringProperty("")
    background = ListProperty([0, 0, 0, 1])


class RateScreen(BaseScreen):
    """Which ticket is rated, and the five levels."""

    subject = StringProperty("")

    def on_kv_post(self, _base: Any) -> None:
        """One button per level, best first."""
        for level in LEVELS:
            button = LevelButton(level=level, background=hex_rgba(LEVEL_COLORS[level]))
            button.bind(on_release=lambda _w, chosen=level: self.choose(chosen))
            self.ids.levels.add_widget(button)

    def refresh(self) -> None:
        """Name the service being rated."""
        self.title = _("Please rate our service")
        number, window = self.params.get("number", ""), self.params.get("window")
        if number and window:
            self.subject = _("Ticket {number} at window {window}").format(number=number,
                                                                        window=window)
        elif number:
            self.subject = _("Ticket {number}").format(number=number)
        else:
            self.subject = _("The hall's service in general")
        for button in self.ids.levels.children:
            button.text = level_name(button.level)

    def choose(self, level: int) -> None:
        """A low level asks for reasons; a good one is stored at once."""
        reasons = self.services.feedback.reasons.get(level, [])
        if level <= REASONS_FROM and reasons:
            self.shell.nav.go("rate_reasons", **{**self.params, "level": level})
            return
        submit_rating(self, level, [])

    def skip(self) -> None:
        """不评价: leave without a rating."""
        finish_feedback(self)

    def speech_text(self) -> str:
        """The question and the five levels."""
        return sentences([self.title, self.subject, *(level_name(level) for level in LEVELS)])


def submit_rating(screen: BaseScreen, level: int, reasons: list[str]) -> None:
    """Queue the rating of the screen's ticket (its params) and thank the visitor."""
    params = screen.params
    comment_url = screen.services.feedback.rate(level, reasons, params.get("source", "terminal"),
                                    ticket=params.get("ticket"), number=params.get("number", ""))
    screen.shell.nav.go("feedback_done", message=_("Thank you for your rating!"),
               back_to=params.get("back_to", ""), comment_url=comment_url)


def finish_feedback(screen: BaseScreen) -> None:
    """Back to where the visitor started (the screen's params): the pad's rest screen, or home."""
    if screen.params.get("back_to") == "start":
        screen.shell.nav.restart()
    else:
        screen.shell.nav.home()
