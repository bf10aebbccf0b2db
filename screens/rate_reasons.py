"""The reasons for a low rating: tap any that apply (or none), then 提交."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ToggleButtonBehavior

from kiosk.labels import Label
from screens.base import BaseScreen, _, sentences
from screens.rate import level_name, submit_rating


class ReasonToggle(ToggleButtonBehavior, Label):
    """A large reason that stays selected once tapped; it shows text (the visitor's
    language) and stores reason (the server's Chinese wording, what a rating sends)."""

    reason = StringProperty("")


class RateReasonsScreen(BaseScreen):
    """Reasons offered for the chosen level (from the server, set per province)."""

    subject = StringProperty("")

    def refresh(self) -> None:
        """One toggle per reason of the level."""
        self.title = _("What did not go well?")
        level = int(self.params["level"])
        self.subject = _("You chose: {level}. Tap the reasons that apply (optional).").format(
            level=level_name(level))
        grid = self.ids.reasons
        grid.clear_widgets()
        feedback = self.services.feedback
        english = self.shell.state.language == "en"
        for reason in feedback.reasons.get(level, []):
            shown = (english and feedback.english.get(reason)) or reason
            grid.add_widget(ReasonToggle(text=shown, reason=reason))

    def chosen(self) -> list[str]:
        """The reasons selected, in the order offered."""
        return [w.reason for w in reversed(self.ids.reasons.children) if w.state == "down"]

    def submit(self) -> None:
        """Store the rating with the reasons chosen."""
        submit_rating(self, int(self.params["level"]), self.chosen())

    def speech_text(self) -> str:
        """The question and the reasons."""
        return sentences([self.title, self.subject,
                          *(w.text for w in reversed(self.ids.reasons.children))])

    def reset(self) -> None:
        """Forget the last visitor's choice."""
        self.ids.reasons.clear_widgets()
