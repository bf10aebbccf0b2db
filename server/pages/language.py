"""The language of the pages visitors open on their phones (ticket, booking, case progress,
comment, complaint and their error pages): Chinese, or English for a visitor who asks.

The choice, strongest first: ``?lang=en`` / ``?lang=zh`` in the address (the switch link on
every page, and the QR codes an English visitor's terminal prints), remembered in a cookie;
that cookie; the browser's Accept-Language, where Chinese wins unless English comes before
any Chinese; Chinese when the header is missing or names neither.

Texts go through a gettext catalog as on the terminal: English msgids, their Chinese in
server/locale/zh_CN/LC_MESSAGES/visitor.po, compiled in memory at first use. Templates call
``_("...")``; the staff consoles stay Chinese and do not use it.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "visitor"
LANGUAGES = ("zh", "en")
COOKIE = "hallkiosk_lang"
COOKIE_DAYS = 365
# The visitor pages (no account): their language is the visitor's; all else stays Chinese.
VISITOR_PATHS = ("/t/", "/c/", "/r/", "/complain/", "/case/", "/book/", "/a/", "/d/")


def po_path(language: str = "zh_CN") -> Path:
    """The catalog of a language (English needs none: it is the msgid language)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog for "zh" or "en"."""
    if language == "en":
        return gettext.NullTranslations()
    with po_path().open("rb") as handle:
        messages = read_po(handle, locale="zh_CN")
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def from_accept_language(header: str | None) -> str:
    """"en" when the browser prefers English to Chinese, else "zh" (also for no header)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else "zh"


def visitor_language(request: Request) -> str:
    """The language of a visitor page for this request."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    return from_accept_language(request.headers.get("accept-language"))


def switch_url(request: Request, language: str) -> str:
    """This page's address in language (its other query parameters kept)."""
    query = [(key, value) for key, value in request.query_params.multi_items()
             if key != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', language)])}"


def language_context(request: Request) -> dict[str, Any]:
    """What every template may use: ``lang``, ``_``, ``ngettext`` and the switch link; on
    staff pages ``_`` is Chinese. A visitor's error page elsewhere (an unknown address) marks
    itself in request.state.visitor_page."""
    visitor = request.url.path.startswith(VISITOR_PATHS) or \
        getattr(request.state, "visitor_page", False)
    language = visitor_language(request) if visitor else "zh"
    texts = catalog(language)
    other = "zh" if language == "en" else "en"
    return {"lang": language, "_": texts.gettext, "ngettext": texts.ngettext,
            "lang_switch": {"url": switch_url(request, other),
                            "label": "中文" if other == "zh" else "English", "lang": other}}


def in_language(request: Request, chinese: str, english: str) -> str:
    """The visitor's text of a pair (the refusals of domain services carry both)."""
    return english if visitor_language(request) == "en" and english else chinese


class VisitorLanguageMiddleware:
    """Remember ``?lang=`` on a visitor page in a cookie, so the pages it links to (and a
    reload without the parameter) stay in that language; Content-Language on visitor pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(VISITOR_PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang", "")
        language = visitor_language(request)
        secure = scope.get("scheme") == "https"

        async def remembering(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-language",
                                b"en" if language == "en" else b"zh-CN"))
                headers.append((b"vary", b"Accept-Language, Cookie"))
                if asked in LANGUAGES:
                    cookie = (f"{COOKIE}={asked}; Max-Age={COOKIE_DAYS * 86400}; Path=/; "
                              "SameSite=Lax" + ("; Secure" if secure else ""))
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, remembering)
