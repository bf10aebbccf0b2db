"""Service points (服务网点): filter by type, level and district; the list shows the matches."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from content.schema import Level, PointType, ServicePoint
from kiosk.i18n import tr
from screens.base import BaseScreen, _, localized, sentences

GROUPS = ("type", "level", "district")


def type_label(point_type: str) -> str:
    """The interface name of a point type in the current language."""
    return {
        PointType.CENTRE: _("Public legal service centre"),
        PointType.STATION: _("Public legal service station"),
        PointType.VILLAGE_ROOM: _("Village (community) legal service room"),
        PointType.LAW_FIRM: _("Law firm"),
        PointType.NOTARY_OFFICE: _("Notary office"),
        PointType.APPRAISAL_INSTITUTION: _("Forensic appraisal institution"),
        PointType.MEDIATION_COMMITTEE: _("People's mediation committee"),
        PointType.LEGAL_AID_CENTRE: _("Legal aid centre"),
        PointType.ARBITRATION_COMMISSION: _("Arbitration commission"),
    }[PointType(point_type)]


def level_label(level: str) -> str:
    """The interface name of an administrative level in the current language."""
    return {
        Level.CITY: _("City level"),
        Level.COUNTY: _("County level"),
        Level.TOWNSHIP: _("Township (subdistrict)"),
        Level.VILLAGE: _("Village (community)"),
    }[Level(level)]


def point_row(point: ServicePoint, sample_badge: str) -> dict[str, Any]:
    """One ItemList row for a point: name, 'district · address' (the address alone when it
    names the district already), sample badge."""
    district, address = localized(point, "district"), localized(point, "address")
    return {"title": localized(point, "name"),
            "subtitle": address if district in address else f"{district} · {address}",
            "badge": sample_badge if point.sample else "", "kind": "point", "key": point.id}


class PointsScreen(BaseScreen):
    """Filter chips above a fast list of the matching service points."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    count_text = StringProperty("")
    filtered = BooleanProperty(False)
    results = ListProperty([])

    def __init__(self, **kwargs: Any):
        self.filters: dict[str, set[str]] = {group: set() for group in GROUPS}
        self._chips: dict[str, list[Any]] = {group: [] for group in GROUPS}
        self._built_for: tuple[str, str] | None = None
        self._rows: dict[str, dict[str, Any]] = {}
        self._applied: tuple[Any, ...] = ()
        super().__init__(**kwargs)

    def refresh(self) -> None:
        """Rebuild the chips when language or content changed, then the list."""
        self.title = _("Service points")
        self._apply()

    def _ensure_built(self) -> None:
        built_for = (tr.language, self.library.version if self.library else "")
        if built_for == self._built_for:
            return
        self._build_chips()
        # One row dict per point, reused by every filter: 10,000 points stay cheap.
        badge = _("Sample")
        points = self.library.content.points if self.library else []
        self._rows = {p.id: point_row(p, badge) for p in points}
        self._built_for = built_for

    def _choices(self) -> dict[str, list[tuple[str, str]]]:
        districts = self.library.districts(tr.language) if self.library else []
        return {
            "type": [(t.value, type_label(t)) for t in PointType],
            "level": [(lv.value, level_label(lv)) for lv in Level],
            "district": districts,
        }

    def _build_chips(self) -> None:
        for group, choices in self._choices().items():
            box = self.ids[f"{group}_row"].ids.chips
            box.clear_widgets()
            self._chips[group] = []
            for value, label in choices:
                chip = Factory.Chip(text=label, value=value)
                chip.bind(on_release=lambda widget, g=group: self.set_filter(
                    g, widget.value, widget.state == "down"))
                box.add_widget(chip)
                self._chips[group].append(chip)

    def set_filter(self, group: str, value: str, on: bool) -> None:
        """Turn one choice of a filter group on or off (all off means no filter)."""
        if on:
            self.filters[group].add(value)
        else:
            self.filters[group].discard(value)
        self._apply()

    def clear_filters(self) -> None:
        """Show every point again."""
        for values in self.filters.values():
            values.clear()
        self._apply()

    def _apply(self) -> None:
        self._ensure_built()
        for group, chips in self._chips.items():
            for chip in chips:
                chip.state = "down" if chip.value in self.filters[group] else "normal"
        self.filtered = any(self.filters.values())
        # Shown again with the same filters (back from a point, home and back): the list
        # is already right; filtering 10,000 points again cost the tap about 10 ms.
        applied = (self._built_for, tuple(frozenset(v) for v in self.filters.values()))
        if applied == self._applied:
            return
        self._applied = applied
        points = self.library.filter_points(
            types=[PointType(t) for t in self.filters["type"]],
            levels=[Level(lv) for lv in self.filters["level"]],
            districts=self.filters["district"]) if self.library else []
        rows = [self._rows[p.id] for p in points]
        if rows != self.ids.rows.data:
            self.ids.rows.data = rows
            self.ids.rows.scroll_y = 1
        self.results = [p.id for p in points]
        self.count_text = _("Matching service points: {count}").format(count=len(points))

    def reset(self) -> None:
        """Clear every filter."""
        self.clear_filters()

    def speech_text(self) -> str:
        """Title, number of matches and the first few names."""
        names = [row["title"] for row in self.ids.rows.data[:5]]
        return sentences([self.title, self.count_text, *names])
