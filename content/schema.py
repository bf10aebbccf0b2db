"""Content model: what an editor writes and what a terminal shows.

Every model forbids unknown fields, so a typo in a source file is an error
with its location rather than a silently missing value.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from content.calculators.figures import Figure
from content.forms.schema import FormTemplate
from content.laws.schema import Case, Law, LawRef, Topic
from content.schema_base import Code, Model, Phone, Text


class Category(Model):
    """A group of guides shown as one tile (法律援助, 公证 ...)."""

    code: Code
    name: Text
    name_en: Text | None = None
    icon: Annotated[str, StringConstraints(min_length=1, max_length=2)]
    order: int = 0


class Material(Model):
    """One required document (一次性告知: every material listed at once)."""

    name: Text
    name_en: Text | None = None
    originals: int = Field(default=1, ge=0)
    copies: int = Field(default=0, ge=0)
    notes: str = ""
    notes_en: str = ""
    required: bool = True


class Step(Model):
    """One step of a procedure."""

    title: Text
    title_en: Text | None = None
    detail: str = ""
    detail_en: str = ""


class Where(Model):
    """Where in the hall the guide's matter is handled."""

    service: Text  # matched by name to the hall's queue services: 立即取号 takes its ticket
    service_en: Text | None = None  # what an English visitor reads (the ticket uses service)
    # Older content named a window here; the window now comes from each hall's queue setup
    # (the terminal shows it), so this is read and ignored.
    window: str = ""


class Guide(Model):
    """A process guide (办事指南) with the full list of materials."""

    code: Code
    title: Text
    title_en: Text | None = None
    category: Code
    summary: Text
    summary_en: Text | None = None
    applicants: list[Text] = Field(min_length=1)
    applicants_en: list[Text] = Field(default_factory=list)  # one per applicant, or none
    materials: list[Material] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    time_limit: Text
    time_limit_en: Text | None = None
    fees: Text
    fees_en: Text | None = None
    legal_basis: list[Text] = Field(min_length=1)
    legal_basis_en: list[Text] = Field(default_factory=list)
    legal_refs: list[LawRef] = Field(default_factory=list)  # the articles legal_basis cites
    where: Where
    online: Code | None = None
    last_reviewed: dt.date
    keywords: list[Text] = Field(default_factory=list)
    keywords_en: list[Text] = Field(default_factory=list)  # English search words


class PointType(StrEnum):
    """Kinds of service point on the legal-service map."""

    CENTRE = "centre"
    STATION = "station"
    VILLAGE_ROOM = "village_room"
    LAW_FIRM = "law_firm"
    NOTARY_OFFICE = "notary_office"
    APPRAISAL_INSTITUTION = "appraisal_institution"
    MEDIATION_COMMITTEE = "mediation_committee"
    LEGAL_AID_CENTRE = "legal_aid_centre"
    ARBITRATION_COMMISSION = "arbitration_commission"


class Level(StrEnum):
    """Administrative level of a service point."""

    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class ServicePoint(Model):
    """A place that provides legal services."""

    id: Code
    name: Text
    name_en: Text | None = None
    type: PointType
    level: Level
    district: Text
    district_en: Text | None = None
    address: Text
    address_en: Text | None = None
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    phone: Phone
    hours: Text
    hours_en: Text | None = None
    services: list[Text] = Field(min_length=1)
    services_en: list[Text] = Field(default_factory=list)
    advisor: str = ""
    advisor_hours: str = ""
    advisor_hours_en: str = ""
    supervision_phone: Phone | None = None
    sample: bool = False


class FaqEntry(Model):
    """A frequently asked question with its answer."""

    id: Code
    question: Text
    question_en: Text | None = None
    answer: Text
    answer_en: Text | None = None
    category: Code
    keywords: list[Text] = Field(default_factory=list)
    keywords_en: list[Text] = Field(default_factory=list)  # English search words


class OnlineService(Model):
    """A target on the online platform a visitor continues to by QR code."""

    id: Code
    title: Text
    title_en: Text | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    description: Text
    description_en: Text | None = None


class Choice(Model):
    """One answer to a flow question, leading to another node."""

    label: Text
    label_en: Text | None = None
    next: Code


class QuestionNode(Model):
    """A question with two or more choices."""

    type: Literal["question"]
    text: Text
    text_en: Text | None = None
    help: str = ""
    help_en: str = ""
    choices: list[Choice] = Field(min_length=2)


class ResultNode(Model):
    """An outcome: advice, materials to bring, guides and services to use."""

    type: Literal["result"]
    title: Text
    title_en: Text | None = None
    advice: Text
    advice_en: Text | None = None
    materials: list[Text] = Field(default_factory=list)
    materials_en: list[Text] = Field(default_factory=list)
    guides: list[Code] = Field(default_factory=list)
    services: list[Text] = Field(default_factory=list)
    services_en: list[Text] = Field(default_factory=list)
    legal_basis: list[Text] = Field(default_factory=list)
    legal_basis_en: list[Text] = Field(default_factory=list)


FlowNode = Annotated[QuestionNode | ResultNode, Field(discriminator="type")]


class Flow(Model):
    """A guided decision tree (for example the legal-aid self-check)."""

    id: Code
    title: Text
    title_en: Text | None = None
    intro: Text
    intro_en: Text | None = None
    start: Code
    nodes: dict[Code, FlowNode]

    @model_validator(mode="after")
    def _links_resolve(self) -> Flow:
        """Every choice and the start point name an existing node; every node is reachable."""
        missing = [self.start] if self.start not in self.nodes else []
        for node in self.nodes.values():
            if isinstance(node, QuestionNode):
                missing += [c.next for c in node.choices if c.next not in self.nodes]
        if missing:
            raise ValueError(f"unknown node(s): {', '.join(sorted(set(missing)))}")
        reachable, todo = set(), [self.start]
        while todo:
            key = todo.pop()
            if key in reachable:
                continue
            reachable.add(key)
            node = self.nodes[key]
            if isinstance(node, QuestionNode):
                todo += [c.next for c in node.choices]
        unreachable = sorted(set(self.nodes) - reachable)
        if unreachable:
            raise ValueError(f"unreachable node(s): {', '.join(unreachable)}")
        return self


class Slide(Model):
    """An attract-loop slide; image is a file in the slides folder."""

    id: Code
    title: Text
    title_en: Text | None = None
    subtitle: str = ""
    subtitle_en: str = ""
    image: str | None = None
    seconds: float = Field(default=8, gt=0, le=120)


class LexiconEntry(Model):
    """Everyday words visitors say and the terms of the content they mean (lexicon.yaml)."""

    words: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=30)]] = Field(min_length=1)
    terms: list[Text] = Field(min_length=1)


class IntentAction(StrEnum):
    """What the terminal does when a visitor asks for an action rather than information."""

    TICKET = "ticket"
    POINTS = "points"
    COMPLAIN = "complain"
    RATE = "rate"
    CALL = "call"
    FLOW = "flow"


class Intent(Model):
    """An action a visitor can ask for in their own words (intents.yaml); id intent:<name>."""

    name: Code
    title: Text
    title_en: Text | None = None
    action: IntentAction
    target: str = ""  # the flow id for a flow, the number for a call
    phrases: list[Text] = Field(min_length=1)


class ContentSet(Model):
    """All content of one version, validated and cross-referenced."""

    categories: list[Category]
    guides: list[Guide]
    points: list[ServicePoint]
    faq: list[FaqEntry]
    online: list[OnlineService]
    flows: list[Flow]
    slides: list[Slide]
    lexicon: list[LexiconEntry] = Field(default_factory=list)
    intents: list[Intent] = Field(default_factory=list)
    # The law library and the calculators' figures: optional, so older sources and bundles load.
    topics: list[Topic] = Field(default_factory=list)
    laws: list[Law] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    forms: list[FormTemplate] = Field(default_factory=list)  # fill-in document templates
