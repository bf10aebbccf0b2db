"""The fixed words of printed slips (queue ticket, take-home checklists) in the visitor's
language, from the interface's gettext catalogs: a slip prints in the language the visitor
used on the screen. devices/ lays slips out but does not read the catalogs; its Chinese
defaults are these catalogs' Chinese (tests/devices/test_slip_words.py keeps them equal).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from devices.checklist_layout import ChecklistWords
from devices.ticket_layout import TicketWords
from kiosk.catalogs import translations


def ticket_words(language: str) -> TicketWords:
    """A queue ticket's words in language ("zh_CN" or "en")."""
    catalog = translations(language)
    _, ngettext = catalog.gettext, catalog.ngettext
    return TicketWords(
        green=_("Green channel"), appointment=_("Booked"),
        window=ngettext("Served at window {windows}", "Served at windows {windows}", 1),
        windows=ngettext("Served at window {windows}", "Served at windows {windows}", 2),
        window_separator=_("WINDOW_SEPARATOR"),
        ahead_one=ngettext("{count} person ahead of you",
                           "{count} people ahead of you", 1),
        ahead=ngettext("{count} person ahead of you",
                       "{count} people ahead of you", 2),
        wait_one=ngettext("Wait about {minutes} minute",
                          "Wait about {minutes} minutes", 1),
        wait=ngettext("Wait about {minutes} minute",
                      "Wait about {minutes} minutes", 2),
        issued=_("Taken at {time}"),
        notice=_("A missed number is void; please take a new one"),
        caption=_("Scan for the queue on your phone"))


def checklist_words(language: str) -> ChecklistWords:
    """A take-home slip's words in language."""
    catalog = translations(language)
    _, ngettext = catalog.gettext, catalog.ngettext
    return ChecklistWords(
        heading_one=ngettext("Materials to bring ({count} item)",
                             "Materials to bring ({count} items)", 1),
        heading=ngettext("Materials to bring ({count} item)",
                         "Materials to bring ({count} items)", 2),
        where=_("Where: {where}"), hours=_("Opening hours: {hours}"),
        phone=_("Phone: {phone}"))


def with_language(url: str, language: str) -> str:
    """A visitor page's address as printed for a visitor in language: ?lang=en in English
    (the page opens in the visitor's language whatever the phone's), unchanged in Chinese."""
    if language != "en" or not url:
        return url
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode({"lang": "en"})]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
