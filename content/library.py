"""Read access to the active content: look-ups and filters the screens need."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.answers import AnswerDoc, build_engine
from content.laws.index import LawIndex
from content.overlay import notices_on
from content.schema import (
    Category,
    ContentSet,
    FaqEntry,
    Flow,
    Guide,
    Level,
    OnlineService,
    PointType,
    ServicePoint,
)
from content.search import SearchIndex

if TYPE_CHECKING:
    from content.answers.engine import AnswerEngine, AskContext, AskResult


@dataclass
class Library:
    """The active content version with indexes by key."""

    version: str
    content: ContentSet
    index: SearchIndex
    media: dict[str, Path] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)  # the hall overlay's 通知公告
    hall_points: list[str] = field(default_factory=list)  # ids of the hall overlay's points
    answer_docs: list[AnswerDoc] | None = None  # precomputed in the bundle, if at hand
    _guides: dict[str, Guide] = field(init=False, repr=False)
    _points: dict[str, ServicePoint] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._guides = {g.code: g for g in self.content.guides}
        self._points = {p.id: p for p in self.content.points}
        self._categories = {c.code: c for c in self.content.categories}
        self._faq = {q.id: q for q in self.content.faq}
        self._online = {o.id: o for o in self.content.online}
        self._flows = {f.id: f for f in self.content.flows}
        self._by_category: dict[str, list[Guide]] = {}
        for guide in self.content.guides:
            self._by_category.setdefault(guide.category, []).append(guide)
        self._answers: AnswerEngine | None = None
        self._answers_lock = threading.Lock()
        self.laws = LawIndex(self.content.laws, self.content.cases,
                             {g.code: g.legal_refs for g in self.content.guides})

    def answers(self) -> AnswerEngine:
        """The answer engine of this version, built on first use (call it off the UI thread)."""
        with self._answers_lock:
            if self._answers is None:
                self._answers = build_engine(self.content, self.answer_docs)
            return self._answers

    def ask(self, question: str, context: AskContext | None = None) -> AskResult:
        """Answers to a visitor's question in their own words, or the honest fallback."""
        return self.answers().ask(question, context)

    def current_notices(self, today: dt.date) -> list[dict[str, Any]]:
        """The hall's notices whose date range includes today."""
        return notices_on(self.notices, today)

    def slide_image(self, name: str | None) -> str:
        """Local path of a slide image, or '' when the slide has none."""
        path = self.media.get(f"media/slides/{name}") if name else None
        return str(path) if path and path.exists() else ""

    def categories(self) -> list[Category]:
        """Categories in display order."""
        return sorted(self.content.categories, key=lambda c: (c.order, c.code))

    def category(self, code: str) -> Category:
        """One category by code."""
        return self._categories[code]

    def guides_in(self, category: str) -> list[Guide]:
        """Guides of a category in source order."""
        return self._by_category.get(category, [])

    def guide(self, code: str) -> Guide:
        """One guide by code."""
        return self._guides[code]

    def guides_citing(self, law: str, number: int) -> list[Guide]:
        """Guides whose legal basis cites an article (the article view's 'relied on by')."""
        return [self._guides[code] for code in self.laws.guides_citing(law, number)
                if code in self._guides]

    def point(self, point_id: str) -> ServicePoint:
        """One service point by id."""
        return self._points[point_id]

    def faq_entry(self, faq_id: str) -> FaqEntry:
        """One FAQ entry by id."""
        return self._faq[faq_id]

    def online(self, online_id: str) -> OnlineService:
        """One online service by id."""
        return self._online[online_id]

    def flow(self, flow_id: str) -> Flow:
        """One guided flow by id."""
        return self._flows[flow_id]

    def hall_point(self) -> ServicePoint | None:
        """This hall's own service point, whose hours and phone printed slips carry: the
        first centre or station its overlay gives (else its first point), else the content's
        first centre (a terminal without an overlay, or an overlay without points)."""
        own = [self._points[i] for i in self.hall_points if i in self._points]
        halls = [p for p in own if p.type in (PointType.CENTRE, PointType.STATION)]
        return next(iter(halls or own or self.filter_points(types=[PointType.CENTRE])), None)

    def districts(self, language: str = "zh") -> list[tuple[str, str]]:
        """(district, its name in language) of the districts that have service points, in
        first-seen order; a district without English keeps its Chinese name."""
        names: dict[str, str] = {}
        for point in self.content.points:
            english = language == "en" and point.district_en
            if english or point.district not in names:
                names[point.district] = english or point.district
        return list(names.items())

    def filter_points(self, types: Iterable[PointType] = (), levels: Iterable[Level] = (),
                      districts: Iterable[str] = ()) -> list[ServicePoint]:
        """Points matching every non-empty filter (an empty filter matches all)."""
        type_set, level_set, district_set = set(types), set(levels), set(districts)
        return [
            p for p in self.content.points
            if (not type_set or p.type in type_set) and (not level_set or p.level in level_set)
            and (not district_set or p.district in district_set)
        ]
