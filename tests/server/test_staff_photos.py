"""人员公示: a supervisor sets the name, staff number and photo the rating pads show; the
photo is checked, re-encoded without its metadata, and served to the hall's terminals
by its hash. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from server.models import Hall, User
from server.queue.views import board_view
from server.security import create_user
from server.staff_photos import SIZE
from tests.server.queue_setup import PASSWORD, make_queue_hall
from tests.server.test_content_api import add_terminal, signed_get


def picture(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), exif: bool = False
            ) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    image.paste((10, 10, 10), (0, 0, size[0] // 2, size[1]))  # left half dark: orientation
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x0112] = 6  # rotate 90° clockwise to view
        data[0x010F] = "SecretCam"  # maker: must not survive
        options["exif"] = data.tobytes()
    image.save(out, fmt, **options)
    return out.getvalue()


def supervisor_client(client: TestClient, server_app: FastAPI) -> tuple[str, dict[str, int]]:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        create_user(session, "boss-QX", PASSWORD, "supervisor", "QX-01")
        make_queue_hall(session, code="QX-02")
        session.commit()
        ids = {"staff1": q.staff[1].id, "other": session.scalars(select(User.id).where(
            User.username == "staff1-QX-02")).one()}
    answer = client.post("/api/v1/session", json={"username": "boss-QX", "password": PASSWORD})
    assert answer.status_code == 200
    return answer.json()["csrf_token"], ids


def stored_photo(server_app: FastAPI, user_id: int) -> str | None:
    with server_app.state.database.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.photo_sha256


def test_a_supervisor_sets_name_number_and_photo_and_the_terminal_gets_them(
        client: TestClient, server_app: FastAPI) -> None:
    csrf, ids = supervisor_client(client, server_app)
    page = client.get("/staff")
    assert page.status_code == 200 and "人员公示" in page.text and "staff1-QX-01" in page.text
    assert "staff1-QX-02" not in page.text  # another hall's staff are not listed

    saved = client.post(f"/staff/{ids['staff1']}", data={
        "full_name": " 张敏 ", "staff_no": "0101", "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303
    uploaded = client.post(f"/staff/{ids['staff1']}/photo", data={"csrf_token": csrf},
                           files={"photo": ("me.jpg", picture(exif=True), "image/jpeg")},
                           follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text
    assert "照片已更新" in client.get("/staff").text
    sha256 = stored_photo(server_app, ids["staff1"])
    assert sha256 is not None

    # Kept as a small upright portrait, without the camera's metadata.
    own = client.get(f"/staff/{ids['staff1']}/photo")
    assert own.status_code == 200 and hashlib.sha256(own.content).hexdigest() == sha256
    with Image.open(io.BytesIO(own.content)) as kept:
        assert (kept.format, kept.size) == ("JPEG", SIZE)
        assert b"SecretCam" not in own.content and not kept.getexif()
        # EXIF orientation 6 turned the dark left half to the top.
        top, bottom = (kept.convert("L").getpixel((SIZE[0] // 2, y)) for y in (5, SIZE[1] - 5))
        assert isinstance(top, int) and isinstance(bottom, int) and top < 50 < bottom

    with server_app.state.database.sessions() as session:
        hall = session.scalars(select(Hall).where(Hall.code == "QX-01")).one()
        window = board_view(session, hall)["windows"][0]
    assert (window["staff_name"], window["staff_no"], window["staff_photo"]) == (
        "张敏", "0101", sha256)
    key = add_terminal(server_app, "QX-01")
    fetched = signed_get(client, key, f"/api/v1/content/files/{sha256}")
    assert fetched.status_code == 200 and fetched.content == own.content

    removed = client.post(f"/staff/{ids['staff1']}/photo/remove", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert removed.status_code == 303 and stored_photo(server_app, ids["staff1"]) is None
    assert client.get(f"/staff/{ids['staff1']}/photo").status_code == 404


def test_pictures_that_cannot_be_photos_are_refused_and_nothing_changes(
        client: TestClient, server_app: FastAPI) -> None:
    csrf, ids = supervisor_client(client, server_app)
    good = client.post(f"/staff/{ids['staff1']}/photo", data={"csrf_token": csrf},
                       files={"photo": ("me.png", picture("PNG"), "image/png")})
    assert good.status_code == 200
    before = stored_photo(server_app, ids["staff1"])
    assert before is not None
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # 400 MP in a few KB
    cases = {
        "无法识别该文件": b"%PDF-1.4 not a picture",
        "只支持 JPG、PNG 或 WebP": picture("GIF"),
        "照片文件已损坏": picture()[:400],
        "照片像素过大": bomb.getvalue(),
        "请选择一张照片": b"",
    }
    for message, data in cases.items():
        answer = client.post(f"/staff/{ids['staff1']}/photo", data={"csrf_token": csrf},
                             files={"photo": ("x.jpg", data, "image/jpeg")})
        assert answer.status_code == 422 and message in answer.text, (message, answer.text[:300])
        assert stored_photo(server_app, ids["staff1"]) == before

    too_long = client.post(f"/staff/{ids['staff1']}", data={
        "full_name": "名" * 41, "staff_no": "1", "csrf_token": csrf})
    assert too_long.status_code == 422 and "姓名最多 40 个字" in too_long.text

    # Another hall's account: not found; no CSRF token: refused.
    other = client.post(f"/staff/{ids['other']}/photo", data={"csrf_token": csrf},
                        files={"photo": ("me.png", picture("PNG"), "image/png")})
    assert other.status_code == 404 and stored_photo(server_app, ids["other"]) is None
    forged = client.post(f"/staff/{ids['staff1']}/photo/remove", data={})
    assert forged.status_code == 403 and stored_photo(server_app, ids["staff1"]) == before


def test_only_supervisors_keep_the_staff_page(client: TestClient, server_app: FastAPI
                                             ) -> None:
    with server_app.state.database.sessions() as session:
        q = make_queue_hall(session)
        username = q.staff[1].username
    client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    page = client.get("/staff")
    assert page.status_code == 403 and re.search("没有权限", page.text)
