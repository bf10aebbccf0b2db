"""An editor publishes a signed, packed bundle from the content page in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from content.pack import pack_bundle
from content.signing import build_signed_bundle, generate_key, load_private_key
from server.security import create_user
from tests.server.test_content_api import SEED
from tests.web.conftest import LiveServer
from tests.web.test_fleet_console import shoot

EDITOR = ("wang.editor", "content-editor-pass")


def test_editor_uploads_a_zip_and_sees_the_new_version(live_server: LiveServer, page: Page,
                                                       tmp_path: Path) -> None:
    key = tmp_path / "keys" / "content.key"
    generate_key(key)  # stays on the editor's computer; the server gets only the .pub
    app = live_server.app
    app.state.settings = app.state.settings.model_copy(
        update={"content_public_key": key.with_name("content.key.pub")})
    with app.state.database.sessions() as session:
        create_user(session, *EDITOR, "editor")
        session.commit()
    build_signed_bundle(SEED, tmp_path / "bundle", key=load_private_key(key))
    packed = tmp_path / "内容包.zip"
    version = pack_bundle(tmp_path / "bundle", packed)["version"]

    url = live_server.url
    page.goto(url + "/content")
    expect(page).to_have_url(url + "/login?next=/content")
    page.get_by_label("用户名").fill(EDITOR[0])
    page.get_by_label("密码").fill(EDITOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(url + "/content")
    expect(page.get_by_text("还没有发布过内容。")).to_be_visible()
    shoot(page, "content-upload-form")

    page.get_by_label("内容包（.zip）").set_input_files(str(packed))
    page.get_by_role("button", name="上传并发布").click()
    expect(page).to_have_url(f"{url}/content?published={version}")
    expect(page.get_by_role("status")).to_contain_text(f"已发布内容版本 {version}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(version)
    expect(rows.first).to_contain_text(EDITOR[0])
    shoot(page, "content-upload-published")

    page.get_by_label("内容包（.zip）").set_input_files(str(packed))  # the same version again
    page.get_by_role("button", name="上传并发布").click()
    expect(page.get_by_role("alert")).to_contain_text(f"版本已存在：{version} 已经发布过")
    expect(rows).to_have_count(1)
    shoot(page, "content-upload-error")
    listed = page.request.get(url + "/api/v1/content/bundles").json()["bundles"]
    assert [bundle["version"] for bundle in listed] == [version]
