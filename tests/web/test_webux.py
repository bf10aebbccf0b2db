"""The consoles as their users meet them (issue #16 items 11, 14, 15), in headless Chromium
against a live server at a phone's size (390×844) and a laptop's (1366×768): the menu
button, no overlapping buttons, friendly 404 pages, accounts and own password, paging."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from server.models import User, utcnow
from server.ratings.followup import open_for_rating
from server.ratings.models import Rating
from tests.web.conftest import IT_ADMIN, LiveServer, QueueSite

SHOTS = Path("/tmp/webux-shots")
NewTab = Callable[..., Page]
PHONE, LAPTOP = (390, 844), (1366, 768)
SIZES = pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390", "1366"])


def shoot(tab: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Page, url: str, username: str, password: str) -> None:
    """Sign in through the form, from the start page."""
    tab.goto(url + "/login")
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录").click()
    expect(tab).not_to_have_url(re.compile(r"/login"))


def overlaps(boxes: list[tuple[str, dict[str, float]]]) -> list[tuple[str, str]]:
    """Pairs of named boxes that overlap by more than a pixel."""
    found = []
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1:]:
            if (min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
                    and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1):
                found.append((name_a, name_b))
    return found


def visible_boxes(elements: Locator) -> list[tuple[str, dict[str, float]]]:
    """The visible elements' labels and bounding boxes."""
    boxes = []
    for index in range(elements.count()):
        element = elements.nth(index)
        box = element.bounding_box()
        if element.is_visible() and box and box["width"] > 0 and box["height"] > 0:
            boxes.append((element.inner_text().strip() or str(index), box))
    return boxes


@SIZES
def test_supervisor_navigation_is_a_menu_on_a_phone_and_one_row_on_a_laptop(
        queue_site: QueueSite, new_tab: NewTab, size: tuple[int, int]) -> None:
    width, height = size
    tab = new_tab(width, height, mobile=width < 500)
    sign_in(tab, queue_site.server.url, *queue_site.supervisor)
    expect(tab).to_have_title(re.compile("大厅管理$"))
    expect(tab.locator(".brand")).not_to_contain_text("终端运维")
    nav = tab.get_by_role("navigation", name="主导航")
    menu = tab.get_by_role("button", name=re.compile("^菜单"))
    if width < 500:
        expect(menu).to_be_visible()
        expect(nav).to_be_hidden()
        header = tab.locator("header.topbar").bounding_box()
        assert header is not None and header["height"] < 120  # not 880 px of links
        shoot(tab, f"supervisor-queue-{width}-menu-closed")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name=re.compile("^统计看板"))).to_be_visible()
        shoot(tab, f"supervisor-queue-{width}-menu-open")
        nav.get_by_role("link", name=re.compile("^我的评价")).click()
        expect(tab).to_have_url(re.compile("/my-ratings$"))
    else:
        expect(menu).to_be_hidden()
        tops = {round(box["y"]) for _, box in visible_boxes(nav.get_by_role("link"))}
        assert len(tops) == 1, f"the navigation wraps to {len(tops)} rows"
        account = tab.locator(".account").bounding_box()
        assert account is not None and account["y"] < 40
        shoot(tab, f"supervisor-queue-{width}")


@SIZES
def test_queue_buttons_never_overlap(queue_site: QueueSite, new_tab: NewTab,
                                     size: tuple[int, int]) -> None:
    from tests.web.test_queue_console import issue

    width, height = size
    issue(queue_site)
    tab = new_tab(width, height, mobile=width < 500)
    sign_in(tab, queue_site.server.url, queue_site.staff[1], queue_site.password)
    expect(tab).to_have_title(re.compile("窗口服务$"))
    tab.get_by_role("button", name="登录 1 号窗口").click()
    tab.get_by_role("button", name=re.compile("^叫号")).first.click()
    expect(tab.locator("#current-number")).to_have_text("A001")
    buttons = visible_boxes(tab.locator("main button, main a.button, main summary"))
    assert len(buttons) >= 6
    assert overlaps(buttons) == []
    spilling = tab.evaluate("""() => [...document.querySelectorAll('main .button')]
        .filter((b) => b.offsetParent && (b.scrollWidth > b.clientWidth + 1
                                          || b.scrollHeight > b.clientHeight + 1))
        .map((b) => b.textContent.trim())""")
    assert spilling == [], f"labels spill out of their buttons: {spilling}"
    page_width = tab.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"the page scrolls sideways ({page_width} px)"
    shoot(tab, f"staff-console-{width}")


@SIZES
def test_unknown_and_expired_addresses_answer_friendly_pages(
        live_server: LiveServer, new_tab: NewTab, size: tuple[int, int]) -> None:
    width, height = size
    tab = new_tab(width, height, mobile=width < 500)
    url = live_server.url
    answer = tab.goto(url + "/no/such/page")
    assert answer is not None and answer.status == 404
    expect(tab.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(tab.locator("body")).not_to_contain_text("终端运维")
    expect(tab.locator("body")).not_to_contain_text("重新登录")
    expect(tab.locator("body")).to_contain_text("12348")
    shoot(tab, f"visitor-404-{width}")
    tab.get_by_role("link", name="English").click()  # the visitor's own language
    expect(tab.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(tab.locator("body")).not_to_contain_text("页面不存在")
    tab.goto(url + "/no/such/page?lang=zh")

    answer = tab.goto(url + "/t/not-a-real-ticket-token")
    assert answer is not None and answer.status == 404
    expect(tab.get_by_text("没有找到这张号票")).to_be_visible()
    expect(tab.locator("header.topbar")).to_have_count(0)

    answer = tab.goto(url + "/complain/NO-SUCH-HALL")
    assert answer is not None and answer.status == 404
    expect(tab.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(tab.locator("body")).not_to_contain_text("终端运维")

    answer = tab.goto(url + "/c/expired-or-forged-token")
    assert answer is not None and answer.status in (404, 410)
    expect(tab.locator("header.topbar")).to_have_count(0)

    answer = tab.goto(url + "/r/NoSuchShortCommentCode")  # a comment QR's short link
    assert answer is not None and answer.status == 404
    expect(tab.locator("header.topbar")).to_have_count(0)
    expect(tab.locator("body")).to_contain_text("如果您刚刚评价，请稍等几秒后刷新本页")

    sign_in(tab, url, *IT_ADMIN)  # signed in: the console frame, with the way back
    answer = tab.goto(url + "/fleet/nowhere")
    assert answer is not None and answer.status == 404
    expect(tab.get_by_role("heading", name=re.compile("^页面不存在"))).to_be_visible()
    expect(tab.get_by_role("link", name=re.compile("^返回首页"))).to_be_visible()
    expect(tab.locator(".brand")).to_contain_text("终端运维")  # still their own console
    expect(tab.locator(".account .who")).to_contain_text(IT_ADMIN[0])
    shoot(tab, f"staff-404-{width}")

    api = requests.get(url + "/api/v1/no-such-thing", headers={"Accept": "text/html"},
                       timeout=10)
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    program = requests.get(url + "/no/such/page", timeout=10)  # no browser: JSON as before
    assert program.status_code == 404 and program.json() == {"detail": "Not Found"}


def test_it_manages_accounts_and_sessions_end(live_server: LiveServer, new_tab: NewTab) -> None:
    url = live_server.url
    it = new_tab(*LAPTOP)
    sign_in(it, url, *IT_ADMIN)
    expect(it).to_have_title(re.compile("终端运维$"))
    it.get_by_role("link", name=re.compile("^账号管理")).click()
    expect(it.get_by_role("heading", name=re.compile("^账号管理"))).to_be_visible()
    form = it.locator("form.account-form")
    form.get_by_label("用户名").fill("wang.window")
    form.get_by_label("姓名").fill("王小明")
    form.get_by_label("角色").select_option(label="窗口人员")
    form.get_by_label("大厅").select_option(label="城关区公共法律服务中心")
    form.get_by_label("初始密码").fill("short")
    form.get_by_role("button", name=re.compile("^创建")).click()
    expect(it.get_by_role("alert")).to_contain_text("密码至少需要8个字符")
    form.get_by_label("初始密码").fill("window-pass-1")
    form.get_by_role("button", name=re.compile("^创建")).click()
    expect(it.get_by_role("status")).to_contain_text("账号已创建")
    row = it.locator("#account-wang\\.window")
    expect(row).to_contain_text("王小明")
    expect(row).to_contain_text("城关区公共法律服务中心")
    shoot(it, "it-accounts-1366")

    staff = new_tab(*PHONE, mobile=True)
    staff.goto(url + "/login")
    expect(staff).to_have_title("登录 · 公共法律服务")  # one neutral name for everyone
    expect(staff.locator("body")).not_to_contain_text("终端运维")
    sign_in(staff, url, "wang.window", "window-pass-1")
    expect(staff).to_have_title(re.compile("窗口服务$"))  # not the fleet console's name
    staff.goto(url + "/accounts")
    expect(staff.get_by_role("heading", name=re.compile("^没有权限"))).to_be_visible()

    row.get_by_placeholder("新密码").fill("window-pass-2")
    row.get_by_role("button", name="重置").click()
    expect(it.get_by_role("status")).to_contain_text("密码已重置")
    staff.goto(url + "/my-ratings")
    expect(staff).to_have_url(re.compile("/login"))  # the old session is over
    sign_in(staff, url, "wang.window", "window-pass-2")

    it.locator("#account-wang\\.window").get_by_role("button", name="停用").click()
    expect(it.get_by_role("status")).to_contain_text("账号已停用")
    expect(it.locator("#account-wang\\.window")).to_contain_text("已停用")
    staff.goto(url + "/my-ratings")
    expect(staff).to_have_url(re.compile("/login"))
    staff.get_by_label("用户名").fill("wang.window")
    staff.get_by_label("密码").fill("window-pass-2")
    staff.get_by_role("button", name="登录").click()
    expect(staff.get_by_role("alert")).to_contain_text("用户名或密码错误")
    with live_server.app.state.database.sessions() as session:
        user = session.query(User).filter_by(username="wang.window").one()
        assert not user.active and user.role == "staff"


def test_a_user_changes_their_own_password_and_other_sessions_end(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    url, username = queue_site.server.url, queue_site.staff[1]
    laptop, phone = new_tab(*LAPTOP), new_tab(*PHONE, mobile=True)
    sign_in(laptop, url, username, queue_site.password)
    sign_in(phone, url, username, queue_site.password)
    laptop.locator(".account .who").click()
    expect(laptop.get_by_role("heading", name=re.compile("^修改密码"))).to_be_visible()
    laptop.get_by_label("当前密码").fill("wrong-password")
    laptop.get_by_label("新密码", exact=False).first.fill("brand-new-pass")
    laptop.get_by_label("再次输入新密码").fill("brand-new-pass")
    laptop.get_by_role("button", name=re.compile("^保存新密码")).click()
    expect(laptop.get_by_role("alert")).to_contain_text("当前密码不正确")
    laptop.get_by_label("当前密码").fill(queue_site.password)
    laptop.get_by_label("新密码", exact=False).first.fill("brand-new-pass")
    laptop.get_by_label("再次输入新密码").fill("brand-new-pass")
    laptop.get_by_role("button", name=re.compile("^保存新密码")).click()
    expect(laptop.get_by_role("status")).to_contain_text("密码已修改")
    shoot(laptop, "own-password-1366")
    laptop.goto(url + "/my-ratings")  # this browser stays signed in
    expect(laptop).to_have_url(re.compile("/my-ratings$"))
    phone.goto(url + "/my-ratings")  # the other session is refused
    expect(phone).to_have_url(re.compile("/login"))
    sign_in(phone, url, username, "brand-new-pass")
    shoot(phone, "own-password-after-390")


def test_my_ratings_pages_through_every_rating_and_filters_bad_ones(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    username = queue_site.staff[1]
    with queue_site.server.app.state.database.sessions() as session:
        staff = session.query(User).filter_by(username=username).one()
        staff.full_name = "李窗口"
        now = utcnow()
        for index in range(260):  # more than the old silent cap of 200
            level = 1 if index % 20 == 0 else 5
            rating = Rating(hall_id=queue_site.hall_id, staff_id=staff.id, level=level,
                            reasons=[], source="pad",
                            created_at=now - dt.timedelta(minutes=index))
            session.add(rating)
            session.flush()
            open_for_rating(session, rating)
        session.commit()
    tab = new_tab(*LAPTOP)
    sign_in(tab, queue_site.server.url, username, queue_site.password)
    expect(tab.locator(".account .who")).to_contain_text("李窗口")  # a name, not staff1-…
    tab.goto(queue_site.server.url + "/my-ratings")
    expect(tab.locator("#ratings-count")).to_have_text("共 260 条评价，其中差评 13 条")
    expect(tab.locator("table.my-ratings tbody > tr")).to_have_count(50)
    pager = tab.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第 1 / 6 页")
    pager.get_by_role("link", name=re.compile("^下一页")).click()
    expect(pager).to_contain_text("第 2 / 6 页")
    tab.goto(queue_site.server.url + "/my-ratings?page=6")
    expect(tab.locator("table.my-ratings tbody > tr")).to_have_count(10)
    tab.get_by_role("link", name=re.compile("^只看差评")).click()
    expect(tab.locator("table.my-ratings tbody > tr")).to_have_count(13)
    expect(tab.locator("table.my-ratings tbody > tr.bad")).to_have_count(13)
    shoot(tab, "my-ratings-bad-1366")


def test_complaint_counter_warns_when_a_paste_is_cut(queue_site: QueueSite,
                                                      new_tab: NewTab) -> None:
    from server.models import Hall

    with queue_site.server.app.state.database.sessions() as session:
        hall = session.get(Hall, queue_site.hall_id)
        assert hall is not None
        code = hall.code
    tab = new_tab(*PHONE, mobile=True)
    tab.goto(f"{queue_site.server.url}/complain/{code}")
    box = tab.locator("textarea[name=content]")
    counter = tab.locator("#content-counter")
    expect(counter).to_have_text("已输入 0 / 1000 字")
    box.fill("等了很久")
    expect(counter).to_have_text("已输入 4 / 1000 字")
    box.fill("")
    box.focus()
    tab.evaluate("""() => {
        const box = document.querySelector('textarea[name=content]');
        const data = new DataTransfer();
        data.setData('text/plain', '长'.repeat(2000));
        box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        box.value = '长'.repeat(1000);  // what the browser's maxlength keeps of the paste
        box.dispatchEvent(new Event('input', {bubbles: true}));
    }""")
    expect(counter).to_contain_text("已输入 1000 / 1000 字，超出的部分没有粘贴进来")
    shoot(tab, "complaint-counter-390")


def test_finishing_asks_about_an_unsaved_ledger_and_the_hall_shows_names(
        queue_site: QueueSite, new_tab: NewTab) -> None:
    from tests.web.test_queue_console import issue, open_window, ticket_row

    with queue_site.server.app.state.database.sessions() as session:
        session.query(User).filter_by(username=queue_site.staff[1]).one().full_name = "王窗口"
        session.commit()
    issue(queue_site), issue(queue_site)
    staff = new_tab(*LAPTOP)
    open_window(staff, queue_site)
    supervisor = new_tab(*LAPTOP)
    sign_in(supervisor, queue_site.server.url, *queue_site.supervisor)
    supervisor.goto(queue_site.server.url + "/queue/hall")
    expect(supervisor.locator('tr[data-window="1"]')).to_contain_text("王窗口")
    expect(supervisor.locator('tr[data-window="1"]')).not_to_contain_text(queue_site.staff[1])

    finish = staff.get_by_role("button", name=re.compile("^办结"))
    staff.get_by_role("button", name=re.compile("^叫号")).first.click()
    expect(staff.locator("#current-number")).to_have_text("A001")
    staff.get_by_text("服务台账登记").click()
    ledger = staff.locator("#ledger-form")
    ledger.get_by_label("来访人姓名").fill("王某")
    ledger.get_by_label("联系方式").fill("+86 138 1234 5678")
    ledger.get_by_label("来访事项").fill("劳动争议咨询")
    process = ledger.get_by_label("办理过程")
    counter = ledger.locator(".counter")
    expect(counter).to_have_text("已输入 0 / 1000 字")
    process.fill("释明权利")
    expect(counter).to_have_text("已输入 4 / 1000 字")
    finish.click()
    ask = staff.get_by_role("dialog", name="台账尚未保存")
    expect(ask).to_be_visible()
    shoot(staff, "ledger-unsaved-1366")
    ask.get_by_role("button", name="取消").click()
    expect(ask).to_be_hidden()
    assert ticket_row(queue_site, "A001")["state"] == "called"  # nothing finished
    finish.click()
    ask.get_by_role("button", name="保存并办结").click()
    expect(staff.locator("#current-number")).to_have_text("—")
    row = ticket_row(queue_site, "A001")
    assert row["state"] == "finished"
    assert (row["visitor"]["name"], row["visitor"]["phone"]) == ("王某", "13812345678")

    staff.get_by_role("button", name=re.compile("^叫号")).first.click()
    expect(staff.locator("#current-number")).to_have_text("A002")
    expect(ledger.get_by_label("来访事项")).to_have_value("")  # a blank form for A002
    ledger.get_by_label("来访事项").fill("咨询后离开")
    finish.click()
    ask.get_by_role("button", name="不保存办结").click()
    expect(staff.locator("#current-number")).to_have_text("—")
    assert ticket_row(queue_site, "A002")["visitor"] == {}  # dropped on purpose


@SIZES
def test_every_console_page_fits_the_screen(queue_site: QueueSite, new_tab: NewTab,
                                            size: tuple[int, int]) -> None:
    width, height = size
    people = {"supervisor": queue_site.supervisor, "it": IT_ADMIN}
    for who, (username, password) in people.items():
        tab = new_tab(width, height, mobile=width < 500)
        sign_in(tab, queue_site.server.url, username, password)
        links = tab.locator("#main-nav nav a")  # hidden behind the menu on a phone
        targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert len(targets) >= 5
        for target in [*targets, "/account/password"]:
            assert target is not None
            tab.goto(queue_site.server.url + target)
            expect(tab.locator("main")).to_be_visible()
            scroll = tab.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{target} scrolls sideways at {width} px ({scroll} px)"
            name = target.strip("/").replace("/", "-") or "home"
            shoot(tab, f"{who}-{name}-{width}")
