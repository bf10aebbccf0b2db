"""Browser security headers on every response, pages and API alike (pure ASGI).

The pages load scripts and style sheets from /static only; inline ``<style>`` stays allowed
for the dashboard's SVG charts (pygal writes its CSS into each chart), inline scripts do
not. No page may be framed (clickjacking of IT actions such as revoke). Token pages
(``/t/<token>``, ``/c/<token>``, ``/r/<code>``) send no Referer at all, so their address
never leaves.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages: an inline start-up script, the viewer from its CDN.
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
            f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            f"font-src 'self' https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
DOCS_PAGES = ("/docs", "/redoc")
TOKEN_PAGES = ("/t/", "/c/", "/r/")


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every response to path carries."""
    referrer = "no-referrer" if path.startswith(TOKEN_PAGES) else "strict-origin-when-cross-origin"
    csp = DOCS_CSP if path in DOCS_PAGES else CSP
    return [(b"content-security-policy", csp.encode()), (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", referrer.encode())]


class SecurityHeadersMiddleware:
    """Add security_headers to every HTTP response (a route's own value wins)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
