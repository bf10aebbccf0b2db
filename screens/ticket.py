"""Take a number: choose a service (open ones only), 绿色通道 or an appointment, then confirm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.catalogs import translations
from kiosk.queue_link import CHINA_TIME
from protocol.config_sections import Weekday
from protocol.hours import describe_hours, is_open
from protocol.queue import ServicesReply, ServiceView, window_numbers
from screens.base import BaseScreen, _, ngettext, sentences

# Outside the terminal's ticket hours, in Chinese and English whatever the visitor chose.
AFTER_HOURS = {
    "title": "Tickets closed",
    "closed": "Tickets are not issued at this time.",
    "hours": "Ticket hours:",
    "none": "No ticket hours are set.",
    "hotline": "For legal advice, call the {hotline} hotline.",
}
RECHECK_SECONDS = 30


def week_hours(hours: Mapping[Weekday, list[str]]) -> dict[str, list[str]]:
    """Opening hours by weekday name, as protocol.hours reads them."""
    return {str(day): times for day, times in hours.items()}


def after_hours_text(hours: dict[str, list[str]], hotline: str) -> str:
    """The after-hours notice: Chinese first, then English, each with the hours."""
    parts = []
    for language in ("zh_CN", "en"):
        text = translations(language).gettext
        lines = describe_hours(hours, language) or [text(AFTER_HOURS["none"])]
        parts.append("\n".join([text(AFTER_HOURS["closed"]), text(AFTER_HOURS["hours"]),
                                *lines, text(AFTER_HOURS["hotline"]).format(hotline=hotline)]))
    return "\n\n".join(parts)


def refusal_text(code: str, hotline: str) -> str:
    """What the visitor reads when no ticket could be issued, by the server's reason."""
    texts = {
        "offline": _("Tickets are not available now: no connection to the server. Please ask "
                     "at the service desk or call {hotline}."),
        "not_enrolled": _("This terminal is not connected to the hall's queue. Please ask at "
                          "the service desk or call {hotline}."),
        "service_closed": _("This service is closed now."),
        "daily_cap": _("Today's tickets for this service are all taken. Please come back "
                       "tomorrow or call {hotline}."),
        "unknown_service": _("This service is no longer offered here. Please choose again."),
        "bad_appointment": _("A booking code has 10 digits. Please check it."),
        "not_found": _("No booking has this code. Please check it, or ask at the service "
                       "desk."),
        "other_hall": _("This booking is for another hall. Please ask at the service desk."),
        "used": _("This booking has already been used to take a ticket."),
        "cancelled": _("This booking was cancelled. Please take a normal ticket."),
        "not_today": _("This booking is not for today."),
        "too_early": _("Check-in for this booking has not opened yet. Please come back "
                       "closer to your time."),
        "expired": _("The time of this booking has passed. Please take a normal ticket or "
                     "book again."),
        "rate_limited": _("Too many codes were tried. Please ask at the service desk."),
    }
    text = texts.get(code, _("The ticket could not be issued ({code}). Please ask at the "
                             "service desk."))
    return text.format(hotline=hotline, code=code)


def where_text(windows: list[int]) -> str:
    """Which of this hall's windows serve the service: "在 3 号窗口办理"; "" when none is set."""
    if not windows:
        return ""
    return ngettext("Served at window {windows}", "Served at windows {windows}",
                    len(windows)).format(windows=window_numbers(windows, _("WINDOW_SEPARATOR")))


def opening_text(opens_at: dt.datetime | None) -> str:
    """When a closed service opens, in words: today 13:30, tomorrow 09:00, 11/30 09:00."""
    if opens_at is None:
        return _("Not offered at the moment")
    opening = opens_at.astimezone(CHINA_TIME)
    days = (opening.date() - dt.datetime.now(CHINA_TIME).date()).days
    time = opening.strftime("%H:%M")
    when = {0: _("today {time}"), 1: _("tomorrow {time}")}.get(days, _("{month}/{day} {time}"))
    return _("Closed now, opens {when}").format(
        when=when.format(time=time, month=opening.month, day=opening.day))


class TicketScreen(BaseScreen):
    """The services of the hall, each a large button; closed ones say when they open."""

    lifetime = "session"  # what the visitor entered stays until the session ends

    message = StringProperty("")
    loading = BooleanProperty(False)
    green = BooleanProperty(False)
    standalone = BooleanProperty(False)  # the dispenser's only screen: no way back
    closed = BooleanProperty(False)  # outside [service] opening_hours: no tickets at all
    _recheck_event: Any = None  # the pending check for the hours to begin

    def refresh(self) -> None:
        """Load the services from the server (off the UI thread), within ticket hours."""
        self.standalone = self.shell.nav.home_name == self.name
        self.ids.services.clear_widgets()
        service = self.services.config.service
        self.closed = not is_open(week_hours(service.opening_hours), dt.datetime.now(dt.UTC))
        if self.closed:  # the server is not asked: it would refuse, or issue a ticket
            self.title, self.loading = _(AFTER_HOURS["title"]), False
            self.message = after_hours_text(week_hours(service.opening_hours),
                                            self.services.config.terminal.hotline)
            self._schedule_recheck()
            return
        self.title = _("Take a number")
        self.loading, self.message = True, _("Loading services…")
        self.services.queue.load_services(self._show, self._failed)

    def _schedule_recheck(self) -> None:
        """One pending check at a time, however often the screen is refreshed."""
        if self._recheck_event is not None:
            self._recheck_event.cancel()
        self._recheck_event = Clock.schedule_once(self._recheck, RECHECK_SECONDS)

    def _recheck(self, _dt: float) -> None:
        """While the notice is shown, open the services when the hours begin."""
        if self.closed and self.shell.nav.current == self.name:
            service = self.services.config.service
            if is_open(week_hours(service.opening_hours), dt.datetime.now(dt.UTC)):
                self.refresh()
            else:
                self._schedule_recheck()

    def reset(self) -> None:
        """No 绿色通道 choice for the next visitor."""
        self.green = False

    def _failed(self, code: str) -> None:
        self.loading = False
        self.message = refusal_text(code, self.services.config.terminal.hotline)

    def _show(self, reply: ServicesReply) -> None:
        self.loading = False
        services = reply.services
        self.hall = reply.hall.name
        self.message = _("Choose a service") if services else _("No services are offered here.")
        container = self.ids.services
        container.clear_widgets()
        wanted = str(self.params.get("want") or "")
        match = next((s for s in services if s.open and wanted and (
            wanted in (s.name, s.name_en) or s.name in wanted)), None)
        if match is not None:  # the ask screen named the service: straight to confirming
            english = self.shell.state.language == "en" and match.name_en
            # back from confirming shows the list, not this jump again
            nav = self.shell.nav
            nav.params = {k: v for k, v in nav.params.items() if k != "want"}
            self.choose(match, match.name_en if english else match.name)
            return
        for service in services:
            english = self.shell.state.language == "en" and service.name_en
            name = service.name_en if english else service.name
            if service.open:
                detail = _("{count} waiting · about {minutes} min").format(
                    count=service.waiting, minutes=service.wait_minutes)
            else:
                detail = opening_text(service.opens_at)
            # The second line at the theme's body size, which grows in elder mode.
            size = round(self.shell.theme.body)
            button = Factory.ServiceButton(text=f"{name}\n[size={size}]{detail}[/size]",
                                           disabled=not service.open)
            button.bind(on_release=lambda _w, s=service, n=name: self.choose(s, n))
            container.add_widget(button)

    def choose(self, service: ServiceView, name: str) -> None:
        """Go on to confirm the chosen service."""
        self.shell.nav.go("ticket_confirm", service=service.code, service_name=name,
                          priority="green" if self.green else "normal",
                          windows=list(service.windows), waiting=service.waiting,
                          wait_minutes=service.wait_minutes)

    def speech_text(self) -> str:
        """The prompt and each open service."""
        return sentences([self.title, self.message, *(
            w.text.split("\n")[0] for w in reversed(self.ids.services.children)
            if not w.disabled)])
