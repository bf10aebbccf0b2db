"""Every screen of the terminal: adding a screen means adding a line here, not editing App."""

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


def load_screens(services: TerminalServices, shell: Shell) -> list[BaseScreen]:
    """Load each screen's kv file once and create the screens in registry order, each
    with the terminal's services and the app (shell) it acts through."""
    folder = Path(__file__).parent
    screens = []
    for name, class_name in SCREENS:
        module = importlib.import_module(f"screens.{name}")
        Builder.load_file(str(folder / f"{name}.kv"))
        screen: BaseScreen = getattr(module, class_name)(name=name)
        screen.services, screen.shell = services, shell
        screens.append(screen)
    return screens
