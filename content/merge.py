"""Merge a hall overlay over the province content, search rows included.

Guides, points and slides of the overlay replace the province item with the
same code or id (in its place) and the others are added at the end; what the
overlay hides is dropped, from the content and from the search rows, and the
guided flows stop offering a hidden guide. What the overlay names but the
province content does not have (a guide's category or online service, a
hidden id) is left out with one warning each, logged when the merge runs,
that is once per version a terminal applies.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from content.overlay import HIDDEN_KINDS, Overlay
from content.schema import ContentSet, Flow, LexiconEntry, ResultNode
from content.search import IndexRow

log = logging.getLogger(__name__)
T = TypeVar("T")


def _resolve(content: ContentSet, overlay: Overlay) -> tuple[Overlay, list[str]]:
    """The overlay without what does not resolve against content, and why each was left out."""
    problems: list[str] = []
    categories = {c.code for c in content.categories}
    online = {o.id for o in content.online}
    guides = []
    for guide in overlay.guides:
        if guide.category not in categories:
            problems.append(f"guide {guide.code} names category {guide.category!r}, which the "
                            "province content does not have: the guide is left out")
            continue
        if guide.online and guide.online not in online:
            problems.append(f"guide {guide.code} names online service {guide.online!r}, which "
                            "the province content does not have: shown without it")
            guide = guide.model_copy(update={"online": None})
        guides.append(guide)
    known = {"guides": {g.code for g in content.guides}, "points": {p.id for p in content.points},
             "slides": {s.id for s in content.slides}}
    hidden = {}
    for kind in HIDDEN_KINDS:
        ids = list(dict.fromkeys(getattr(overlay.hidden, kind)))
        problems += [f"hide.yaml names {kind[:-1]} {key!r}, which the province content does "
                     "not have: ignored" for key in ids if key not in known[kind]]
        hidden[kind] = [key for key in ids if key in known[kind]]
    resolved = overlay.model_copy(update={
        "guides": guides, "hidden": overlay.hidden.model_copy(update=hidden)})
    return resolved, [f"hall {overlay.hall}: {problem}" for problem in problems]


def overlay_problems(content: ContentSet, overlay: Overlay) -> list[str]:
    """What in the overlay does not resolve against content (left out when merged)."""
    return _resolve(content, overlay)[1]


def _merge(province: list[T], local: list[T], hidden: Iterable[str],
           key: Callable[[T], str]) -> list[T]:
    """Province items minus hidden, local ones in place of the same key, new ones at the end."""
    by_key, gone = {key(item): item for item in local}, set(hidden)
    known = {key(item) for item in province}
    merged = [by_key.get(key(item), item) for item in province if key(item) not in gone]
    return merged + [item for item in local if key(item) not in known]


def _without_guides(flow: Flow, present: set[str]) -> Flow:
    """The flow with result nodes that offer only guides still present."""
    nodes = {
        key: node.model_copy(update={"guides": [c for c in node.guides if c in present]})
        if isinstance(node, ResultNode) and not set(node.guides) <= present else node
        for key, node in flow.nodes.items()}
    return flow.model_copy(update={"nodes": nodes})


def merge_lexicon(province: list[LexiconEntry], local: list[LexiconEntry]
                  ) -> list[LexiconEntry]:
    """The province lexicon with the hall's words added; a hall word replaces its meaning."""
    words = {word for entry in local for word in entry.words}
    kept = []
    for entry in province:
        remaining = [word for word in entry.words if word not in words]
        if remaining:
            kept.append(entry if len(remaining) == len(entry.words)
                        else entry.model_copy(update={"words": remaining}))
    return kept + list(local)


def merge_overlay(content: ContentSet, rows: list[IndexRow], overlay: Overlay,
                  overlay_rows: list[IndexRow]) -> tuple[ContentSet, list[IndexRow]]:
    """Province content and search rows with the hall's overlay merged in."""
    resolved, problems = _resolve(content, overlay)
    for problem in problems:
        log.warning("%s", problem)
    hidden = resolved.hidden
    guides = _merge(content.guides, resolved.guides, hidden.guides, lambda g: g.code)
    present = {g.code for g in guides}
    merged = content.model_copy(update={
        "guides": guides,
        "points": _merge(content.points, resolved.points, hidden.points, lambda p: p.id),
        "slides": _merge(content.slides, resolved.slides, hidden.slides, lambda s: s.id),
        "flows": [_without_guides(f, present) for f in content.flows],
        "lexicon": merge_lexicon(content.lexicon, resolved.lexicon),
    })
    gone = {"guide": {*hidden.guides, *(g.code for g in resolved.guides)},
            "point": {*hidden.points, *(p.id for p in resolved.points)}}
    kept = [row for row in rows if row.key not in gone.get(row.kind, set())]
    names = {c.code: c.name for c in content.categories}
    category = {g.code: g.category for g in resolved.guides}
    added = [dataclasses.replace(row, subtitle=names[category[row.key]])
             if row.kind == "guide" else row
             for row in overlay_rows if row.kind != "guide" or row.key in category]
    return merged, kept + added
