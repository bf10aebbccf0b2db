"""The pages visitors open on their phones, in their language, in headless Chromium at a
phone's size (390 px): Chinese for a Chinese phone (and by default), English for a phone
set to English; the switch link on every page, remembered; the ticket page's live texts and
the rating in English; a booking made in English. Every page is shot in both languages
(/tmp/shots-visitor-language) and none scrolls sideways."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from protocol.signing import comment_token, device_id, public_key_bytes
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.models import Hall, Terminal, User
from server.pages.language import from_accept_language
from server.queue import actions
from server.queue.issuing import issue_ticket
from tests.server.appointment_setup import set_up_bookable
from tests.web.conftest import CHROMIUM, QueueSite, watch_csp

__all__ = ["CHROMIUM"]
SHOTS = Path("/tmp/shots-visitor-language")
WIDTH = 390


@contextmanager
def phone(browser: Browser, locale: str) -> Iterator[Page]:
    """A phone-sized tab whose browser asks for locale's language (Accept-Language)."""
    context = browser.new_context(locale=locale, viewport={"width": WIDTH, "height": 844},
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    blocked: list[str] = []
    watch_csp(context, blocked)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        yield tab
    finally:
        context.close()
    assert blocked == [], "blocked by the Content-Security-Policy"


def look(tab: Page, name: str) -> None:
    """No sideways scrolling, no text wider than its box; keep a screenshot to look at."""
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name} scrolls sideways ({width} px)"
    spilling = tab.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter((e) => e.offsetParent && e.getBoundingClientRect().right > innerWidth + 1)
        .map((e) => e.tagName + ' ' + e.textContent.trim().slice(0, 40))""")
    assert spilling == [], f"{name}: beyond the right edge: {spilling}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_accept_language_puts_chinese_first() -> None:
    assert from_accept_language(None) == "zh" and from_accept_language("") == "zh"
    assert from_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert from_accept_language("en-US,en;q=0.9") == "en"
    assert from_accept_language("en-GB,zh-CN;q=0.8") == "en"
    assert from_accept_language("fr-FR,zh-TW;q=0.5,en;q=0.4") == "zh"
    assert from_accept_language("de-DE, en;q=0.7") == "en"
    assert from_accept_language("fr-FR") == "zh"
    assert from_accept_language("zh;q=0.2,en;q=0.9") == "en"
    assert from_accept_language("en;q=0,zh-HK") == "zh"


def test_visitor_pages_in_chinese_and_english(queue_site: QueueSite, browser: Browser) -> None:
    app, url = queue_site.server.app, queue_site.server.url
    key = Ed25519PrivateKey.generate()
    raw = public_key_bytes(key)
    with app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        set_up_bookable(session, hall)
        waiting, _ = issue_ticket(session, hall, "legal-aid", actor="test:dispenser")
        done, _ = issue_ticket(session, hall, "legal-aid", actor="test:dispenser")
        case, _ = case_steps.create(session, hall, "legal_aid", name="张三", phone="13812345678",
                                    matter="追索劳动报酬")
        session.add(Terminal(device_id=device_id(raw), public_key=base64.b64encode(raw).decode(),
                             status="accepted", hall_id=hall.id, profile="rater"))
        by_number = {w.number: w for w in hall.windows}
        user = session.scalar(select(User).where(User.username == queue_site.staff[1]))
        assert user is not None
        actions.sign_in(session, by_number[1].id, user)
        session.commit()
        hall_code, case_code, case_token = hall.code, case_rules.shown_code(case.code), case.token
        waiting_token, done_token, done_id = waiting.token, done.token, done.id
        window_id, user_id = by_number[1].id, user.id
    _nonce, comment = comment_token(key)
    # page: (address, Chinese that must show, English that must show)
    pages = {
        "ticket": (f"/t/{waiting_token}", ["您的号码", "排队进度", "法律援助", "等候中",
                                           "前面还有"],
                   ["Your number", "Your place in the queue", "Legal aid", "Waiting",
                    "People ahead of you"]),
        "book": (f"/book/{hall_code}", ["请选择预约业务", "公证"],
                 ["Choose a service to book", "Notarization"]),
        "case-missing": (f"/case/{waiting_token}", ["页面不存在"], ["Page not found"]),
        "case-progress": (f"/case/{case_token}", ["办事进度查询", "案件编号", "法律援助申请",
                                                  "已提交", case_code, "您的申请已提交"],
                          ["Progress of your case", "Case code", "Legal aid application",
                           "Submitted", case_code, "Your application is in"]),
        "comment": (f"/c/{comment}", ["补充评价意见", "您的意见"],
                    ["Add a comment to your rating", "Your comment"]),
        "complain": (f"/complain/{hall_code}", ["投诉建议", "服务态度", "联系电话（选填）"],
                     ["Complaints and suggestions", "Staff attitude", "Phone (optional)"]),
        "missing-ticket": ("/t/not-a-real-ticket-token", ["没有找到这张号票"],
                           ["No ticket has this address"]),
    }
    for locale, language in (("zh-CN", "zh"), ("en-US", "en")):
        with phone(browser, locale) as tab:
            for name, (path, chinese, english) in pages.items():
                tab.goto(url + path)
                shown, hidden = (english, chinese) if language == "en" else (chinese, english)
                body = tab.locator("body")
                for text in shown:
                    expect(body).to_contain_text(text)
                for text in set(hidden) - set(shown):
                    expect(body).not_to_contain_text(text)
                assert tab.locator("html").get_attribute("lang") == (
                    "en" if language == "en" else "zh-CN")
                switch = tab.locator("#lang-switch")
                expect(switch).to_have_text("中文" if language == "en" else "English")
                look(tab, f"{name}-{language}")

    # A Chinese phone switches to English: remembered on the next pages, and back.
    with phone(browser, "zh-CN") as tab:
        tab.goto(f"{url}/t/{waiting_token}")
        expect(tab.locator("#number-label")).to_have_text("您的号码")
        tab.locator("#lang-switch").click()
        expect(tab.locator("#number-label")).to_have_text("Your number")
        assert tab.url.endswith("?lang=en")
        tab.goto(f"{url}/complain/{hall_code}")  # no ?lang=: the cookie remembers
        expect(tab.get_by_role("button", name="Send")).to_be_visible()
        tab.get_by_role("button", name="Send").click()  # a refusal in English too
        expect(tab.get_by_role("alert")).to_have_text("Choose a category.")
        tab.locator("#lang-switch").click()
        expect(tab.get_by_role("button", name="提交")).to_be_visible()
        tab.goto(f"{url}/t/{waiting_token}")
        expect(tab.locator("#number-label")).to_have_text("您的号码")

    # The ticket page in English, live: called to the window, then finished and rated.
    with phone(browser, "zh-CN") as tab:
        tab.goto(f"{url}/t/{waiting_token}?lang=en")  # what an English ticket's QR code opens
        expect(tab.locator("#state")).to_have_text("Waiting")
        expect(tab.locator("#where")).to_have_text("Served at windows 1, 2")
        expect(tab.locator("#hint")).to_have_text(
            "You are next. Please listen for your number.")
        with app.state.database.sessions() as session:
            user = session.get(User, user_id)
            actions.call_next(session, window_id, user)
            session.commit()
        expect(tab.locator("#call-text")).to_have_text("Please go to window 1")
        expect(tab.locator("#state")).to_have_text("Your turn")
        assert "Go to window 1" in tab.title()
        look(tab, "ticket-called-en")
        with app.state.database.sessions() as session:
            user = session.get(User, user_id)
            actions.act(session, window_id, user, waiting.id, "finish")
            actions.call_next(session, window_id, user)
            actions.act(session, window_id, user, done_id, "finish")
            session.commit()
        expect(tab.locator("#state")).to_have_text("Done")
        expect(tab.locator("#rate-title")).to_have_text("Please rate this service")
        tab.locator('#levels .level[data-level="4"]').click()
        expect(tab.locator('#levels .level[data-level="4"]')).to_have_text("Satisfied")
        expect(tab.locator("#reasons .reason").first).to_have_text("Quick and efficient")
        expect(tab.locator("#levels")).not_to_contain_text("满意")
        look(tab, "ticket-rate-en")
        tab.locator("#reasons .reason").first.click()
        tab.locator("#submit").click()
        expect(tab.locator("#thanks-text")).to_have_text("Your rating: Satisfied.")
        look(tab, "ticket-rated-en")
        tab.goto(f"{url}/t/{done_token}")
        expect(tab.locator("#rate-title")).to_have_text("Please rate this service")

    # A booking made in English, then cancelled.
    with phone(browser, "en-GB") as tab:
        tab.goto(f"{url}/book/{hall_code}")
        tab.get_by_role("link", name=re.compile("^Notarization")).click()
        expect(tab.get_by_text("Choose a time")).to_be_visible()
        expect(tab.locator(".day").first).to_have_text(re.compile(r"^(Mon|Tue|Wed|Thu|Fri) "))
        look(tab, "book-slots-en")
        tab.locator("label:has(input[name=slot]:not([disabled]))").first.click()
        tab.fill("input[name=name]", "Anna Li")
        tab.fill("input[name=phone]", "12345")
        tab.get_by_role("button", name="Book").click()
        expect(tab.get_by_role("alert")).to_contain_text("mobile number")
        expect(tab.get_by_role("alert")).not_to_contain_text("手机")
        tab.locator("label:has(input[name=slot]:not([disabled]))").first.click()
        tab.fill("input[name=phone]", "13812345678")
        tab.fill("textarea[name=matter]", "Notarising a power of attorney")
        tab.get_by_role("button", name="Book").click()
        expect(tab.get_by_role("heading", name="Booked")).to_be_visible()
        expect(tab.locator("body")).to_contain_text("Booking code")
        expect(tab.locator("body")).to_contain_text("Notarization")
        look(tab, "booking-en")
        tab.get_by_role("button", name="Cancel the appointment").click()
        expect(tab.get_by_role("status")).to_have_text("The appointment is cancelled.")
        look(tab, "booking-cancelled-en")
    with phone(browser, "zh-CN") as tab:
        tab.goto(f"{url}/book/{hall_code}?service=notary")
        expect(tab.get_by_text("选择时段")).to_be_visible()
        look(tab, "book-slots-zh")
