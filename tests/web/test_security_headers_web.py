"""The security headers in Chromium: another site cannot frame the console's pages
(clickjacking), and the pages still work under their Content-Security-Policy (every web
test's tabs fail on a CSP violation, tests/web/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LiveServer, QueueSite


@contextmanager
def attacker_site(html: str) -> Iterator[str]:
    """Another origin on loopback (its own port) serving one page; yields its URL."""

    class Attack(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Attack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_another_site_cannot_frame_the_pages(browser: Browser,
                                             live_server: LiveServer) -> None:
    context = browser.new_context(locale="zh-CN")
    page = f'<iframe src="{live_server.url}/login" width="800" height="600"></iframe>'
    try:
        tab = context.new_page()
        tab.goto(live_server.url + "/login")
        expect(tab.get_by_label("用户名")).to_be_visible()  # the page itself renders
        with attacker_site(page) as attacker:
            tab.goto(attacker)
            tab.wait_for_timeout(1500)
        framed = tab.frames[1]
        # the browser refused to render it: an error page in its place
        assert framed.url.startswith("chrome-error://") and "用户名" not in framed.content()
    finally:
        context.close()


def test_the_report_prints_with_its_script(queue_site: QueueSite, page: Page) -> None:
    url = queue_site.server.url
    page.add_init_script("window.print = () => { window.printed = true; };")
    page.goto(url + "/login?next=/dashboard/report")
    page.get_by_label("用户名").fill(queue_site.supervisor[0])
    page.get_by_label("密码").fill(queue_site.supervisor[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed === true")
