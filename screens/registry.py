"""Every screen of the terminal: adding a screen means adding a line here, not editing App.

Screens are built when first shown (module import, kv file, construction), so a terminal
only ever holds the screens its profile and its visitors use.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from kivy.lang import Builder

from kiosk.services import TerminalServices
from kiosk.shell import Shell
from screens.base import BaseScreen

SCREENS: list[tuple[str, str]] = [
    ("attract", "AttractScreen"),
    ("home", "HomeScreen"),
    ("categories", "CategoriesScreen"),
    ("guide_list", "GuideListScreen"),
    ("guide_detail", "GuideDetailScreen"),
    ("points", "PointsScreen"),
    ("point_detail", "PointDetailScreen"),
    ("search", "SearchScreen"),
    ("ask", "AskScreen"),
    ("faq", "FaqScreen"),
    ("faq_detail", "FaqDetailScreen"),
    ("online", "OnlineScreen"),
    ("handoff", "HandoffScreen"),
    ("flow", "FlowScreen"),
    ("laws", "LawsScreen"),
    ("law_detail", "LawDetailScreen"),
    ("law_article", "LawArticleScreen"),
    ("law_search", "LawSearchScreen"),
    ("calculators", "CalculatorsScreen"),
    ("calculator", "CalculatorScreen"),
    ("form_fill", "FormFillScreen"),
    ("accessibility", "AccessibilityScreen"),
    ("admin_login", "AdminLoginScreen"),
    ("admin", "AdminScreen"),
    ("enrol", "EnrolScreen"),
    ("ticket", "TicketScreen"),
    ("ticket_confirm", "TicketConfirmScreen"),
    ("ticket_done", "TicketDoneScreen"),
    ("display", "DisplayScreen"),
    ("rater", "RaterScreen"),
    ("rate_start", "RateStartScreen"),
    ("rate", "RateScreen"),
    ("rate_reasons", "RateReasonsScreen"),
    ("complain", "ComplainScreen"),
    ("complain_phone", "ComplainPhoneScreen"),
    ("feedback_done", "FeedbackDoneScreen"),
    ("case_progress", "CaseProgressScreen"),
    ("callback", "CallbackScreen"),
    ("legal_aid_apply", "LegalAidApplyScreen"),
    ("error", "ErrorScreen"),
]


class ScreenFactory:
    """Builds one screen by name on demand: imports its module, loads its kv file (once per
    process: kv rules stay registered when a screen is released and built again) and
    creates it with the terminal's services and the app (shell) it acts through."""

    def __init__(self, services: TerminalServices, shell: Shell):
        self.services, self.shell = services, shell
        self.classes = dict(SCREENS)
        self._loaded: set[str] = set()

    def __call__(self, name: str) -> BaseScreen:
        """A new screen called name (KeyError for a name not in SCREENS)."""
        class_name = self.classes[name]
        module = importlib.import_module(f"screens.{name}")
        if name not in self._loaded:
            Builder.load_file(str(Path(__file__).parent / f"{name}.kv"))
            self._loaded.add(name)
        screen: BaseScreen = getattr(module, class_name)(name=name)
        screen.services, screen.shell = self.services, self.shell
        return screen
