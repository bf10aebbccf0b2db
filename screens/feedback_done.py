"""Thanks after a rating or a complaint; a QR code to write more online; back by itself."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty

from screens.base import BaseScreen, _, sentences
from screens.rate import finish_feedback


class FeedbackDoneScreen(BaseScreen):
    """感谢您的评价, then back to the start after thanks_seconds."""

    message = StringProperty("")
    qr = StringProperty("")
    qr_text = StringProperty("")
    remaining = NumericProperty(0)
    _tick: Any = None

    def refresh(self) -> None:
        """The thanks, the QR code and the countdown."""
        self.title = _("Thank you")
        self.message = self.params.get("message", "") or _("Thank you!")
        if self.params.get("comment_url"):  # after a rating: a comment to that rating
            self.qr = self.params["comment_url"]
            self.qr_text = _("Want to say more about this service? Scan the code to add a "
                             "comment to your rating on your phone.")
        else:
            self.qr = self.services.online_form_url
            self.qr_text = _("Want to tell us more? Scan the code to write a comment or a "
                             "complaint online.")
        self.remaining = int(self.services.config.rater.thanks_seconds)

    def on_enter(self, *_args: Any) -> None:
        """Count down to going back."""
        self._cancel()
        self._tick = Clock.schedule_interval(self._count, 1)

    def on_leave(self, *_args: Any) -> None:
        """Stop counting."""
        super().on_leave()
        self._cancel()

    def _cancel(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def _count(self, _dt: float) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.done()

    def done(self) -> None:
        """Back to the pad's rest screen or home."""
        self._cancel()
        finish_feedback(self)

    def speech_text(self) -> str:
        """The thanks."""
        return sentences([self.message, self.qr_text if self.qr else ""])
