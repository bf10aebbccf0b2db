"""Thanks after a rating or a complaint; a QR code to write more online; back by itself."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.i18n import tr
from kiosk.slips import with_language
from screens.base import BaseScreen, _, sentences
from screens.rate import finish_feedback

QR_SECONDS = 30  # time to take out a phone and scan the comment code
ELDER_QR_SECONDS = 60  # 长辈版: twice that


class FeedbackDoneScreen(BaseScreen):
    """感谢您的评价, then back to the start after thanks_seconds (longer with a QR code).

    A touch on the screen pauses the countdown: someone is scanning or reading; 完成 or the
    app's idle timer ends it then.
    """

    message = StringProperty("")
    qr = StringProperty("")
    qr_text = StringProperty("")
    remaining = NumericProperty(0)
    paused = BooleanProperty(False)
    done_text = StringProperty("")
    _tick: Any = None

    def refresh(self) -> None:
        """The thanks, the QR code and the countdown."""
        self.title = _("Thank you")
        self.message = self.params.get("message", "") or _("Thank you!")
        if self.params.get("case_url"):  # after an application: its progress on the phone
            self.qr = with_language(self.params["case_url"], tr.language)
            self.qr_text = _("Scan the code to follow the progress of your case on your "
                             "phone.")
        elif self.params.get("comment_url"):  # after a rating: a comment to that rating
            self.qr = with_language(self.params["comment_url"], tr.language)
            self.qr_text = _("Want to say more about this service? Scan the code to add a "
                             "comment to your rating on your phone.")
        else:
            self.qr = with_language(self.services.online_form_url, tr.language)
            self.qr_text = _("Want to tell us more? Scan the code to write a comment or a "
                             "complaint online.")
        seconds = self.services.config.rater.thanks_seconds
        if self.qr:
            seconds = max(seconds, ELDER_QR_SECONDS if self.shell.theme.elder else QR_SECONDS)
        self.remaining = int(seconds)
        self.paused = False
        self.on_remaining()  # in this visitor's language, also when the count is unchanged

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

    def on_touch_down(self, touch: Any) -> bool:
        """Any touch pauses the countdown (the 完成 button still works)."""
        if self.collide_point(*touch.pos) and self._tick is not None:
            self.paused = True
        return bool(super().on_touch_down(touch))

    def _count(self, _dt: float) -> None:
        if self.paused:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            self.done()

    def on_remaining(self, *_args: Any) -> None:
        """What the 完成 button says: the seconds left, or that the countdown waits."""
        self.done_text = (_("Done (paused)") if self.paused
                          else _("Done ({seconds})").format(seconds=self.remaining))

    on_paused = on_remaining

    def done(self) -> None:
        """Back to the pad's rest screen or home."""
        self._cancel()
        finish_feedback(self)

    def speech_text(self) -> str:
        """The thanks."""
        return sentences([self.message, self.qr_text if self.qr else ""])
