"""Publishing a signed bundle from the content page: a zip upload, checked, then published."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from content.signing import build_signed_bundle, generate_key, load_private_key, sign_bytes
from hallkiosk_cli import main
from server.content_upload import member_name
from server.models import Bundle, Hall
from server.security import create_user
from tests.server.test_auth import PASSWORD, add_user, sign_in
from tests.server.test_content_api import SEED, _post_bundle, _upload_all, add_terminal, signed_get

API = "/api/v1"
MAX_UPLOAD = 2_000_000


@dataclass
class Publishing:
    """A server that trusts a content key, a signed seed bundle and an editor signed in."""

    app: FastAPI
    client: TestClient
    csrf: str
    key: Path
    bundle: Path

    def files(self) -> dict[str, bytes]:
        """Every file of the bundle folder by its name inside it."""
        return {path.relative_to(self.bundle).as_posix(): path.read_bytes()
                for path in sorted(self.bundle.rglob("*")) if path.is_file()}

    def manifest(self) -> dict:
        """The bundle's manifest."""
        return json.loads((self.bundle / "manifest.json").read_text("utf-8"))

    def upload(self, data: bytes, name: str = "内容包.zip", csrf: str | None = None) -> Response:
        """The page's form POST: the zip and the CSRF token, redirects not followed."""
        return self.client.post("/content/upload", data={"csrf_token": csrf or self.csrf},
                                files={"bundle": (name, data, "application/zip")},
                                follow_redirects=False)

    def published(self) -> list[str]:
        """Every version in the database."""
        with self.app.state.database.sessions() as session:
            return list(session.scalars(select(Bundle.version)))


def zip_of(files: dict[str, bytes], top: str = "") -> bytes:
    """A zip (deflated) of files, under the folder top when given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(top + name, data)
    return buffer.getvalue()


@pytest.fixture
def publishing(server_app: FastAPI, client: TestClient, tmp_path: Path) -> Publishing:
    """The seed, built and signed; the server trusts the key; an editor signed in."""
    key = tmp_path / "keys" / "content.key"
    generate_key(key)
    server_app.state.settings = server_app.state.settings.model_copy(update={
        "content_public_key": key.with_name("content.key.pub"), "max_upload_bytes": MAX_UPLOAD})
    build_signed_bundle(SEED, tmp_path / "bundle", key=load_private_key(key))
    add_user(server_app, "editor", "editor")
    return Publishing(server_app, client, sign_in(client, "editor"), key, tmp_path / "bundle")


def refusal(answer: Response, status: int, text: str, publishing: Publishing) -> None:
    """The page came back with status and the Chinese message, and nothing was published."""
    assert answer.status_code == status, answer.text
    alert = answer.text.split('role="alert">')[1].split("</p>")[0]
    assert text in alert, alert
    assert 'action="/content/upload"' in answer.text  # the form again, to try once more
    assert publishing.published() == []
    tmp = publishing.app.state.settings.storage_dir / "tmp"
    assert not tmp.exists() or not list(tmp.iterdir())


def test_a_packed_zip_publishes_and_terminals_get_it(publishing: Publishing,
                                                     tmp_path: Path) -> None:
    packed = tmp_path / "out" / "内容包.zip"
    assert main(["content", "pack", str(publishing.bundle), "--out", str(packed)]) == 0
    with zipfile.ZipFile(packed) as archive:
        assert sorted(archive.namelist()) == sorted(publishing.files())  # at the zip's root
    version = publishing.manifest()["version"]
    answer = publishing.upload(packed.read_bytes())
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/content?published={version}"
    page = publishing.client.get(answer.headers["location"])
    assert page.status_code == 200 and f"已发布内容版本 {version}" in page.text
    assert version in page.text.split("<tbody>")[1]
    listed = publishing.client.get(f"{API}/content/bundles").json()["bundles"]
    assert [(b["version"], b["published_by"], b["files"]) for b in listed] == [
        (version, "editor", 5)]
    terminal = add_terminal(publishing.app)
    served = signed_get(publishing.client, terminal, f"{API}/content/manifest?channel=stable")
    assert served.status_code == 200
    assert served.content == (publishing.bundle / "manifest.json").read_bytes()
    assert served.headers["X-Content-Signature"] == (
        publishing.bundle / "manifest.sig").read_text().strip()
    for name, meta in publishing.manifest()["files"].items():
        stored = signed_get(publishing.client, terminal, f"{API}/content/files/{meta['sha256']}")
        assert stored.content == (publishing.bundle / name).read_bytes(), name
    # Only the redirect's own version is announced, not whatever a link claims.
    assert "已发布内容版本" not in publishing.client.get("/content?published=1999").text


def test_a_zip_tool_archive_of_the_folder_publishes_for_it_admin(publishing: Publishing,
                                                                 tmp_path: Path) -> None:
    # Right-click "compress" of the folder: everything inside one top folder, with folder
    # entries, written by Info-ZIP rather than by Python.
    subprocess.run(["zip", "-r", "-q", "bundle.zip", "bundle"], cwd=tmp_path, check=True)
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert "bundle/media/" in archive.namelist()
    add_user(publishing.app, "it1", "it_admin")
    csrf = sign_in(publishing.client, "it1")
    answer = publishing.upload((tmp_path / "bundle.zip").read_bytes(), "bundle.zip", csrf)
    assert answer.status_code == 303
    assert publishing.published() == [publishing.manifest()["version"]]
    subprocess.run(["zip", "-r", "-q", "-P", "secret", "locked.zip", "bundle"], cwd=tmp_path,
                   check=True)
    locked = publishing.upload((tmp_path / "locked.zip").read_bytes(), "locked.zip", csrf)
    assert locked.status_code == 400 and "已加密" in locked.text


def test_a_tampered_file_is_refused_and_not_kept(publishing: Publishing) -> None:
    files = publishing.files()
    original = files["content.json"]
    files["content.json"] = original.replace("法律援助".encode(), "法律帮助".encode(), 1)
    assert files["content.json"] != original
    answer = publishing.upload(zip_of(files))
    refusal(answer, 400, "文件「content.json」与清单不符", publishing)
    storage = publishing.app.state.settings.storage_dir / "media"
    assert all(b"\xe6\xb3\x95\xe5\xbe\x8b\xe5\xb8\xae\xe5\x8a\xa9" not in path.read_bytes()
               for path in storage.rglob("*") if path.is_file())  # 法律帮助 never stored
    assert publishing.client.get(f"{API}/content/bundles").json()["bundles"] == []


def test_a_bad_signature_is_refused(publishing: Publishing, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    generate_key(other)
    files = publishing.files()
    files["manifest.sig"] = sign_bytes(load_private_key(other), files["manifest.json"]).encode()
    refusal(publishing.upload(zip_of(files)), 400, "签名无效", publishing)
    files = publishing.files()
    files["manifest.json"] = files["manifest.json"].replace(b'"stable"', b'"beta"')
    refusal(publishing.upload(zip_of(files)), 400, "签名无效", publishing)
    files = publishing.files()
    files["manifest.sig"] = "不是签名".encode()
    refusal(publishing.upload(zip_of(files)), 400, "签名无效", publishing)
    del files["manifest.sig"]
    refusal(publishing.upload(zip_of(files)), 400, "没有签名文件 manifest.sig", publishing)


def test_a_version_is_published_once(publishing: Publishing) -> None:
    data = zip_of(publishing.files(), top="bundle/")
    assert publishing.upload(data).status_code == 303
    again = publishing.upload(data)
    version = publishing.manifest()["version"]
    assert again.status_code == 409
    assert f"版本已存在：{version} 已经发布过" in again.text
    with publishing.app.state.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bundle)) == 1


def test_a_hall_overlay_needs_its_hall(publishing: Publishing, tmp_path: Path) -> None:
    source = tmp_path / "halls" / "QX09"
    source.mkdir(parents=True)
    (source / "notices.yaml").write_text("- id: n1\n  title: 通知\n  text: 周六休息\n", "utf-8")
    build_signed_bundle(source, tmp_path / "overlay", key=load_private_key(publishing.key),
                        hall="QX09")
    assert main(["content", "pack", str(tmp_path / "overlay"), "--out",
                 str(tmp_path / "overlay.zip")]) == 0
    data = (tmp_path / "overlay.zip").read_bytes()
    refusal(publishing.upload(data), 422, "大厅「QX09」在服务器上不存在", publishing)
    with publishing.app.state.database.sessions() as session, session.begin():
        session.add(Hall(code="QX09", name="青溪市白沙镇公共法律服务工作站"))
    assert publishing.upload(data).status_code == 303
    listed = publishing.client.get(f"{API}/content/bundles").json()["bundles"]
    assert [(b["hall"], b["channel"]) for b in listed] == [("QX09", "stable")]


@pytest.mark.parametrize("evil", ["../evil.txt", "bundle/../../evil.txt", "/tmp/evil.txt",
                                  "C:/evil.txt", "..\\evil.txt"])
def test_unsafe_member_names_are_refused(publishing: Publishing, tmp_path: Path,
                                         evil: str) -> None:
    files = {**publishing.files(), evil: b"outside"}
    refusal(publishing.upload(zip_of(files)), 400, "不安全的路径", publishing)
    assert not (tmp_path.parent / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_links_bombs_and_broken_archives_are_refused(publishing: Publishing) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in publishing.files().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("media/slides/passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    refusal(publishing.upload(buffer.getvalue()), 400, "是符号链接", publishing)
    bomb = zip_of({**publishing.files(), "media/zeros.bin": bytes(1_500_000)})
    refusal(publishing.upload(bomb), 413, "压缩比异常", publishing)
    files = publishing.files()
    huge = zip_of({**files, **{f"media/part{n}.bin": bytes(700_000) for n in range(3)}})
    assert len(huge) < MAX_UPLOAD  # small on the wire, over the limit once extracted
    refusal(publishing.upload(huge), 413, "超过服务器的上限", publishing)
    refusal(publishing.upload(b"PK\x03\x04 not really a zip"), 400, "不是 ZIP 压缩包", publishing)
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    damaged = bytearray(plain.getvalue())
    # inside content.json (after its local header): its CRC no longer fits
    damaged[damaged.index("法律援助".encode(), damaged.index(b"content.json"))] ^= 1
    refusal(publishing.upload(bytes(damaged)), 400, "压缩包已损坏，无法读取其中的「content.json」",
            publishing)
    refusal(publishing.upload(json.dumps(publishing.manifest()).encode(), "manifest.json"),
            400, "不是 ZIP 压缩包", publishing)
    missing = {name: data for name, data in files.items() if name != "search.json"}
    refusal(publishing.upload(zip_of(missing)), 400, "缺少文件", publishing)
    refusal(publishing.upload(zip_of({"readme.txt": b"hi"})), 400, "没有 manifest.json",
            publishing)
    refusal(publishing.upload(zip_of({**{f"a/{k}": v for k, v in files.items()},
                                      "b/manifest.json": files["manifest.json"]})),
            400, "不止一个内容包", publishing)
    empty = publishing.client.post("/content/upload", data={"csrf_token": publishing.csrf},
                                   files={"bundle": ("", b"", "application/octet-stream")})
    refusal(empty, 400, "请选择要上传的内容包", publishing)


def test_an_upload_over_the_limit_is_refused_before_it_is_read(publishing: Publishing) -> None:
    answer = publishing.upload(bytes(MAX_UPLOAD + 100_000))
    assert answer.status_code == 413 and "文件太大" in answer.text
    assert publishing.published() == []


def test_roles_and_csrf_are_checked(publishing: Publishing) -> None:
    data = zip_of(publishing.files())
    no_token = publishing.client.post("/content/upload",
                                      files={"bundle": ("b.zip", data, "application/zip")})
    assert no_token.status_code == 403 and "安全令牌（CSRF）" in no_token.text
    assert publishing.upload(data, csrf="forged-token").status_code == 403
    add_user(publishing.app, "staff1", "staff")
    staff_csrf = sign_in(publishing.client, "staff1")
    refused = publishing.upload(data, csrf=staff_csrf)
    assert refused.status_code == 403 and "没有权限" in refused.text
    publishing.client.cookies.clear()
    anonymous = publishing.upload(data)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert publishing.published() == []


def test_publishing_needs_the_servers_public_key(publishing: Publishing) -> None:
    publishing.app.state.settings = publishing.app.state.settings.model_copy(
        update={"content_public_key": None})
    refusal(publishing.upload(zip_of(publishing.files())), 409, "未配置内容公钥", publishing)


def test_chinese_names_from_windows_zip_tools_are_read() -> None:
    legacy = zipfile.ZipInfo("媒体/欢迎.png".encode("gbk").decode("cp437"))
    assert member_name(legacy) == "媒体/欢迎.png"
    assert member_name(zipfile.ZipInfo("media\\slides\\a.png")) == "media/slides/a.png"


# -- scope: a hall-limited account publishes only its own hall's overlay -------------------
# (the province's content and another hall's overlay are refused with a clear message
# before anything is stored, on the content page and through the API)

HALLS = {"QX01": "青溪市公共法律服务中心", "QX02": "青溪市白沙镇公共法律服务工作站"}


def packed(publishing: Publishing, tmp_path: Path, hall: str | None) -> tuple[Path, bytes]:
    """The signed bundle for hall (None: the province's seed) and its zip."""
    folder = publishing.bundle
    if hall is not None:
        source = tmp_path / "halls" / hall
        source.mkdir(parents=True)
        (source / "notices.yaml").write_text("- id: n1\n  title: 通知\n  text: 周六休息\n",
                                             "utf-8")
        folder = tmp_path / f"overlay-{hall}"
        build_signed_bundle(source, folder, key=load_private_key(publishing.key), hall=hall)
    out = tmp_path / f"{hall or 'province'}.zip"
    assert main(["content", "pack", str(folder), "--out", str(out)]) == 0
    return folder, out.read_bytes()


def two_halls(publishing: Publishing) -> None:
    with publishing.app.state.database.sessions() as session, session.begin():
        for code, name in HALLS.items():
            session.add(Hall(code=code, name=name))
        session.flush()
        for code in HALLS:
            create_user(session, f"it-{code}", PASSWORD, "it_admin", code)
        create_user(session, "it-province", PASSWORD, "it_admin")
        create_user(session, "editor-QX01", PASSWORD, "editor", "QX01")  # the API is editors'



def test_a_hall_admin_publishes_only_for_their_hall(publishing: Publishing,
                                                    tmp_path: Path) -> None:
    two_halls(publishing)
    _folder, province = packed(publishing, tmp_path, None)
    _folder, own = packed(publishing, tmp_path, "QX01")
    _folder, other = packed(publishing, tmp_path, "QX02")
    csrf = sign_in(publishing.client, "it-QX01", PASSWORD)
    refusal(publishing.upload(province, csrf=csrf), 403,
            "只管理大厅「QX01」，只能发布该大厅的内容（大厅 overlay），不能发布全省通用内容",
            publishing)
    refusal(publishing.upload(other, csrf=csrf), 403, "不能发布其他大厅「QX02」的内容",
            publishing)
    storage = publishing.app.state.settings.storage_dir / "media"
    assert [path for path in storage.rglob("*") if path.is_file()] == []  # nothing stored
    assert publishing.upload(own, csrf=csrf).status_code == 303  # its own hall: published
    csrf = sign_in(publishing.client, "it-QX02", PASSWORD)
    refusal_page = publishing.upload(own, csrf=csrf)
    assert refusal_page.status_code == 403 and "不能发布其他大厅「QX01」" in refusal_page.text
    assert publishing.upload(other, csrf=csrf).status_code == 303
    csrf = sign_in(publishing.client, "it-province", PASSWORD)  # province-wide: anything
    assert publishing.upload(province, csrf=csrf).status_code == 303
    assert len(publishing.published()) == 3


def test_the_api_refuses_the_same(publishing: Publishing, tmp_path: Path) -> None:
    two_halls(publishing)
    other, _zip = packed(publishing, tmp_path, "QX02")
    province = publishing.bundle
    csrf = {"X-CSRF-Token": sign_in(publishing.client, "editor-QX01", PASSWORD)}
    _upload_all(publishing.client, csrf, other)
    _upload_all(publishing.client, csrf, province)
    for folder, target in ((other, "hall QX02"), (province, "province-wide content")):
        answer = _post_bundle(publishing.client, csrf, folder)
        assert answer.status_code == 403 and answer.json()["error"] == "outside_hall"
        assert target in answer.json()["message_en"]
    assert publishing.published() == []
