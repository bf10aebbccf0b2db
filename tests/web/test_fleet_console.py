"""The fleet console in headless Chromium against a real server, with a signing terminal."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect

from protocol.signing import public_key_bytes, sign_request
from tests.web.conftest import IT_ADMIN, LiveServer

SHOTS = Path("/tmp/console-shots")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class SimulatedTerminal:
    """A terminal that talks to the server the real way: every request signed."""

    def __init__(self, server: LiveServer, hostname: str, mac: str):
        self.server = server
        self.key = Ed25519PrivateKey.generate()
        self.identity = {"hostname": hostname, "mac": mac, "serial": "SN-" + mac[-5:]}

    def call(self, method: str, path: str, body: bytes = b"",
             content_type: str = "application/json") -> requests.Response:
        """One signed request."""
        headers = {**sign_request(self.key, method, path, body), "Content-Type": content_type}
        return requests.request(method, self.server.url + path, data=body, headers=headers,
                                timeout=10)

    def send(self, path: str, payload: dict[str, Any]) -> requests.Response:
        """A signed JSON POST."""
        return self.call("POST", path, json.dumps(payload).encode())

    def enrol(self, token: str | None = None) -> dict[str, Any]:
        """Ask to be enrolled; returns the enrolment view."""
        public_key = base64.b64encode(public_key_bytes(self.key)).decode()
        answer = self.send("/api/v1/enrol", {"public_key": public_key,
                                             "identity": self.identity, "token": token})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def heartbeat(self, printer: str = "ok", problem: str = "") -> requests.Response:
        """Report health; the reply carries the commands waiting."""
        return self.send("/api/v1/heartbeat", {
            "app_version": "0.3.1", "content_version": "2024.06.01-3",
            "config_version": "none", "uptime": 7260, "screen": "home",
            "printer": {"state": printer, "message": problem},
            "speech": {"state": "error", "message": "找不到中文语音"},
            "disk_free": 12 * 1024 ** 3, "outbox_size": 0, "last_error": ""})


def kiosk_screen_png() -> bytes:
    """A small portrait picture standing in for the terminal's screen."""
    image = Image.new("RGB", (540, 960), "#f4f1ea")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 540, 120), fill="#1f4e8c")
    font = ImageFont.truetype(str(CJK_FONT), 40) if CJK_FONT.exists() else None
    draw.text((40, 36), "公共法律服务", fill="white", font=font)
    for row in range(4):
        draw.rounded_rectangle((40, 180 + row * 180, 500, 320 + row * 180), 16, fill="#ffffff",
                               outline="#c8d2de", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def shoot(page: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: LiveServer) -> None:
    """Sign in through the form, first with a wrong password."""
    page.goto(server.url + "/fleet")
    expect(page).to_have_url(server.url + "/login?next=/fleet")
    shoot(page, "01-login")
    page.get_by_label("用户名").fill(IT_ADMIN[0])
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    shoot(page, "02-login-error")
    page.get_by_label("密码").fill(IT_ADMIN[1])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(server.url + "/fleet")


def test_accept_a_terminal_send_commands_and_see_them_acknowledged(
        page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    shoot(page, "03-fleet-empty")

    terminal = SimulatedTerminal(live_server, "kiosk-lobby-01", "52:54:00:ab:cd:01")
    assert terminal.enrol()["status"] == "pending"
    page.get_by_role("navigation").get_by_role("link", name="待审批").click()
    card = page.locator("section.pending")
    expect(card).to_contain_text("kiosk-lobby-01")
    expect(card).to_contain_text("52:54:00:ab:cd:01")
    shoot(page, "04-pending")
    card.get_by_label("接入大厅").select_option(label="城关区公共法律服务中心（GZ-CG-01）")
    card.get_by_label("终端类型").select_option("query")
    card.get_by_label("名称").fill("一楼大厅查询机")
    card.get_by_role("button", name="接入").click()
    expect(page.get_by_role("status")).to_have_text("终端已接入。")
    status = terminal.call("GET", "/api/v1/enrolment").json()
    assert (status["status"], status["hall"], status["profile"]) == (
        "accepted", "GZ-CG-01", "query")
    assert terminal.heartbeat("offline", "缺纸").json()["commands"] == []

    page.get_by_role("navigation").get_by_role("link", name="终端总览").click()
    row = page.get_by_role("row").filter(has_text="一楼大厅查询机")
    expect(row).to_contain_text("在线")
    expect(row).to_contain_text("0.3.1")
    expect(row).to_contain_text("缺纸")  # the printer alert the heartbeat raised
    shoot(page, "05-fleet")
    row.get_by_role("link", name="一楼大厅查询机").click()

    page.get_by_label("指令").select_option(label="显示消息")
    page.get_by_label("消息内容").fill("系统维护中，请稍候")
    shoot(page, "06-terminal-command-form")
    page.get_by_role("button", name="发送指令").click()
    expect(page.get_by_role("status")).to_contain_text("指令已加入队列")
    page.get_by_label("指令").select_option(label="截屏")
    expect(page.get_by_label("消息内容")).to_be_hidden()
    page.get_by_role("button", name="发送指令").click()
    commands = page.locator("table.commands tbody tr")
    expect(commands).to_have_count(2)
    expect(commands.locator("[data-state]")).to_have_text(["排队中", "排队中"])

    delivered = terminal.heartbeat().json()["commands"]
    assert [(c["kind"], c["payload"].get("text")) for c in delivered] == [
        ("show_message", "系统维护中，请稍候"), ("screenshot", None)]
    page.reload()
    expect(commands.locator("[data-state]")).to_have_text(["已送达", "已送达"])

    by_kind = {command["kind"]: command["id"] for command in delivered}
    ack = terminal.send(f"/api/v1/commands/{by_kind['show_message']}/ack",
                        {"ok": True, "result": {"shown_seconds": 30}})
    assert ack.status_code == 200, ack.text
    upload = terminal.call("POST", "/api/v1/terminals/screenshot", kiosk_screen_png(),
                           "image/png")
    assert upload.status_code == 200, upload.text
    terminal.send(f"/api/v1/commands/{by_kind['screenshot']}/ack", {"ok": True})
    page.reload()
    expect(commands.locator("[data-state]")).to_have_text(["已确认", "已确认"])
    screenshot = page.get_by_role("img", name="终端最近截图")
    expect(screenshot).to_be_visible()
    assert screenshot.evaluate("image => image.naturalWidth") == 540
    expect(page.locator("dl.pairs").first).to_contain_text("故障（找不到中文语音）")
    expect(page.locator("section.alerts")).to_have_count(0)  # healthy again: alert cleared
    shoot(page, "06-terminal")

    page.get_by_label("我确认吊销此终端").check()
    page.get_by_role("button", name="吊销").click()
    expect(page.get_by_role("status")).to_have_text("终端已吊销。")
    shoot(page, "06-terminal-revoked")
    assert terminal.heartbeat().status_code == 403


def test_create_a_token_and_enrol_with_it(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    page.get_by_role("navigation").get_by_role("link", name="注册令牌").click()
    page.get_by_label("大厅").select_option(label="东关街道公共法律服务工作站（GZ-DG-02）")
    page.get_by_label("终端类型").select_option("display")
    page.get_by_role("button", name="生成令牌").click()
    token = page.locator("#new-token").inner_text().strip()
    assert len(token) >= 16
    expect(page.get_by_role("img", name="令牌二维码")).to_be_visible()
    shoot(page, "07-token-created")

    terminal = SimulatedTerminal(live_server, "display-hall-02", "52:54:00:ab:cd:02")
    enrolled = terminal.enrol(token)
    assert (enrolled["status"], enrolled["hall"], enrolled["profile"]) == (
        "accepted", "GZ-DG-02", "display")
    page.goto(live_server.url + "/fleet/tokens")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="东关街道")).to_contain_text("已使用")
    shoot(page, "08-tokens")
    page.goto(live_server.url + "/fleet/pending")
    shoot(page, "09-pending-empty")
    page.goto(live_server.url + "/fleet/terminals/999")
    expect(page.get_by_role("heading", name=re.compile("^页面不存在"))).to_be_visible()
    shoot(page, "10-not-found")
    page.goto(live_server.url + "/logout")
    page.locator("main").get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(live_server.url + "/login")
