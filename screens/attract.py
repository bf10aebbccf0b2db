"""Attract loop: slides cycle until a visitor touches the screen."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import ListProperty, NumericProperty, StringProperty

from screens.base import BaseScreen, _, localized


class AttractScreen(BaseScreen):
    """Shows the content's slides in turn; any touch starts a visitor session."""

    slide_title = StringProperty("")
    slide_subtitle = StringProperty("")
    slide_image = StringProperty("")
    slide_color = ListProperty([0, 0, 0, 1])
    index = NumericProperty(0)
    _timer: Any = None

    def refresh(self) -> None:
        """Show the current slide."""
        self.title = _("Welcome screen")  # what a call for staff from here names
        slides = self.library.content.slides if self.library else []
        if not slides:
            self.slide_title, self.slide_subtitle = _("Public Legal Services"), ""
            return
        slide = slides[self.index % len(slides)]
        self.slide_title = localized(slide, "title")
        self.slide_subtitle = localized(slide, "subtitle")
        self.slide_image = self.library.slide_image(slide.image)
        self.slide_color = self.shell.theme.tile_color(self.index)

    def on_enter(self, *_args: Any) -> None:
        """Start cycling."""
        self._schedule()

    def on_leave(self, *_args: Any) -> None:
        """Stop cycling."""
        if self._timer is not None:
            self._timer.cancel()

    def _schedule(self) -> None:
        slides = self.library.content.slides if self.library else []
        seconds = slides[self.index % len(slides)].seconds if slides else 8
        self._timer = Clock.schedule_once(self.next_slide, seconds)

    def next_slide(self, *_args: Any) -> None:
        """Advance to the next slide."""
        self.index += 1
        self.refresh()
        self._schedule()

    def reset(self) -> None:
        """Start from the first slide."""
        self.index = 0

    def on_touch_down(self, touch: Any) -> bool:
        """Any touch starts a session, except on 呼叫工作人员 (which calls staff to here)."""
        button = self.ids.help
        if button.collide_point(*button.parent.to_widget(*touch.pos)):
            return bool(super().on_touch_down(touch))
        self.shell.start_session()
        return True
