"""法律计算器: the list of calculators."""

from __future__ import annotations

from content.calculators.base import FOR_REFERENCE, FOR_REFERENCE_EN
from content.calculators.registry import CALCULATORS
from kiosk.i18n import tr
from screens.base import BaseScreen, _, sentences


class CalculatorsScreen(BaseScreen):
    """Every calculator as a row; a row opens the calculator."""

    def refresh(self) -> None:
        """List the calculators in the current language."""
        self.title = _("Legal calculators")
        english = tr.language == "en"
        self.ids.rows.data = [
            {"title": c.title_en if english else c.title,
             "subtitle": c.title if english else c.title_en,
             "badge": "", "kind": "calculator", "key": c.name} for c in CALCULATORS.values()]
        self.ids.note.text = _("Results are estimates for reference only ({mark}).").format(
            mark=FOR_REFERENCE_EN if english else FOR_REFERENCE)

    def speech_text(self) -> str:
        """Title and every calculator."""
        return sentences([self.title, *(row["title"] for row in self.ids.rows.data)])
