"""One service point: address, phone, hours, services, the village advisor, a map QR code."""

from __future__ import annotations

import logging
from urllib.parse import quote

from kivy.properties import BooleanProperty, StringProperty

from content.schema import ServicePoint
from screens.base import BaseScreen, _, localized, localized_list, sentences
from screens.blocks import Page
from screens.online import render_codes_then
from screens.points import level_label, type_label

log = logging.getLogger(__name__)


def map_link(template: str, point: ServicePoint) -> str:
    """The map URL for a point from the terminal.map_url template ('' if the template is bad)."""
    try:
        return template.format(longitude=point.longitude, latitude=point.latitude,
                               name=quote(point.name, safe=""))
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("terminal.map_url %r cannot be filled in: %s", template, exc)
        return ""


def labelled(label: str, value: str) -> str:
    """'Label: value' with the punctuation of the current language."""
    return _("{label}: {value}").format(label=label, value=value)


class PointDetailScreen(BaseScreen):
    """Everything a visitor needs to reach a service point."""

    release_on_leave = ("fields",)
    body_class = "PointDetailBody"
    body_properties = ("title", "kind_text", "sample", "map_url", "code")

    kind_text = StringProperty("")
    sample = BooleanProperty(False)
    map_url = StringProperty("")
    code = StringProperty("")

    def refresh(self) -> None:
        """Lay out the point given as key."""
        point = self.library.point(self.params["key"])
        self.title = localized(point, "name")
        self.kind_text = " · ".join([type_label(point.type), level_label(point.level),
                                     localized(point, "district")])
        self.sample = point.sample
        url = map_link(self.services.config.terminal.map_url, point)
        if url != self.map_url:
            self.map_url, self.code = url, ""
            render_codes_then([url] if url else [], lambda: self._code_ready(url))
        fields = [
            (_("Address"), localized(point, "address")),
            (_("Phone"), point.phone),
            (_("Opening hours"), localized(point, "hours")),
            (_("Services"), _("LIST_SEPARATOR").join(localized_list(point, "services"))),
            (_("Legal advisor"), point.advisor),
            (_("Advisor on-site hours"), localized(point, "advisor_hours")),
            (_("Supervision phone"), point.supervision_phone or ""),
        ]
        page = Page(self.ids.fields)
        for label, value in fields:
            if value:
                page.muted(label)
                page.paragraph(value, speak=False)
        self.spoken = sentences([self.title, *(labelled(label, value)
                                               for label, value in fields[:3])])
        self.ids.scroll.scroll_y = 1

    def _code_ready(self, url: str) -> None:
        if url == self.map_url:  # the visitor may have moved on to another point meanwhile
            self.code = url

    def speech_text(self) -> str:
        """Name, address, phone and opening hours."""
        return str(getattr(self, "spoken", self.title))
