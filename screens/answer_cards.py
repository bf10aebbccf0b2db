"""The ask screen's answer cards: what a confident answer, or none, shows the visitor.

A card has a short answer, the content item it comes from and the next-step buttons
(open the guide, take a number, the self-check, call 12348). Built from the library and
the answer alone, so the cards can be read and tested apart from the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from content.answers import Answer
from content.library import Library
from screens.base import _, localized

ADVICE_SERVICE = "法律咨询"
SELF_CHECK = "legal-aid-check"
FACET_TITLES = {"materials": "What to bring", "fees": "Fees", "time_limit": "How long it takes",
                "steps": "Steps", "where": "Where to go", "applicants": "Who can apply"}
SOURCE_KINDS = {"guide": "Service guide", "faq": "Common question", "flow": "Self-check",
                "intent": "Terminal service"}


@dataclass(frozen=True)
class Step:
    """A next-step button: its label and what it does (kind and argument)."""

    label: str
    action: str  # open, ticket, call, go, search
    arg: str = ""
    key: str = ""


@dataclass
class Card:
    """What the answer card shows."""

    heading: str
    body: str
    source: str = ""
    steps: list[Step] = field(default_factory=list)
    fallback: bool = False


def answer_card(library: Library, answer: Answer, hotline: str) -> Card:
    """The card for a confident answer: short text, its source and the next steps."""
    call = Step(_("Call {hotline}").format(hotline=hotline), "call")
    if answer.kind == "guide":
        guide = library.guide(answer.key)
        heading = localized(guide, "title")
        body = facet_text(guide, answer.facet) if answer.facet \
            else localized(guide, "summary")
        steps = [Step(_("Open the service guide"), "open", "guide", guide.code),
                 Step(_("Take a number for {service}").format(service=guide.where.service),
                      "ticket", guide.where.service)]
        if guide.category == "legal-aid":
            steps.append(Step(_("Legal aid self-check"), "open", "flow", SELF_CHECK))
        source = f"{_(SOURCE_KINDS['guide'])} {guide.code}"
        return Card(heading, body, source, [*steps, call])
    if answer.kind == "faq":
        entry = library.faq_entry(answer.key)
        service = localized(library.category(entry.category), "name")
        heading = localized(entry, "question")
        source = f"{_(SOURCE_KINDS['faq'])} {entry.id}"
        return Card(heading, localized(entry, "answer"), source, [
            Step(_("Open this question"), "open", "faq", entry.id),
            Step(_("Take a number for {service}").format(service=service), "ticket",
                 library.category(entry.category).name), call])
    if answer.kind == "flow":
        flow = library.flow(answer.key)
        heading = localized(flow, "title")
        source = f"{_(SOURCE_KINDS['flow'])} flow:{flow.id}"
        return Card(heading, flow.intro, source,
                    [Step(_("Start the self-check"), "open", "flow", flow.id), call])
    return _intent_card(library, answer, hotline, call)


def _intent_card(library: Library, answer: Answer, hotline: str, call: Step) -> Card:
    intent = next(i for i in library.content.intents if i.name == answer.key)
    heading = localized(intent, "title")
    source = f"{_(SOURCE_KINDS['intent'])} {answer.id}"
    action = str(intent.action)
    if action == "ticket":
        label = _("Take a number for {service}").format(service=answer.service) \
            if answer.service else _("Take a number")
        steps = [Step(label, "ticket", answer.service)]
        body = _("Tap the button to take a queue number; the ticket prints below.")
    elif action == "call":
        steps = [call]
        body = _("The public legal service hotline {hotline} answers every day, "
                 "24 hours.").format(hotline=intent.target or
                                     hotline)
    elif action == "flow":
        steps = [Step(_("Start the self-check"), "open", "flow", intent.target)]
        body = _("A few questions tell you whether you can get legal aid.")
    else:
        screen = {"points": "points", "complain": "complain", "rate": "rate_start"}[action]
        labels = {"points": _("Find service points"),
                  "complain": _("Complaints and suggestions"), "rate": _("Rate a service")}
        steps = [Step(labels[action], "go", screen)]
        body = _("Tap the button below.")
    return Card(heading, body, source, [*steps] + ([] if action == "call" else [call]))


def facet_text(guide: Any, facet: str) -> str:
    """The part of a guide a follow-up asked for."""
    if facet == "materials":
        text = "\n".join(f"· {m.name}" for m in guide.materials)
    elif facet == "steps":
        text = "\n".join(f"{n}. {s.title}" for n, s in enumerate(guide.steps, start=1))
    elif facet == "applicants":
        text = "\n".join(f"· {a}" for a in guide.applicants)
    elif facet == "where":
        text = guide.where.service
    else:
        text = str(getattr(guide, facet, ""))
    return _("{title}:").format(title=_(FACET_TITLES.get(facet, facet))) + "\n" + text


def fallback_card(hotline: str) -> Card:
    """No confident answer: say so honestly and offer people who can help."""
    return Card(_("Sorry, I have no reliable answer to that."),
                _("Please call the {hotline} hotline, take a number for legal advice, "
                  "or search the guides.").format(hotline=hotline), "", [
                    Step(_("Call {hotline}").format(hotline=hotline), "call"),
                    Step(_("Take a number for legal advice"), "ticket", ADVICE_SERVICE),
                    Step(_("Lawyer call-back"), "callback"),
                    Step(_("Search"), "search")], fallback=True)
