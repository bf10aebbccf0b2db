"""Publishing content: record a signed bundle once its signature and files check out, and
list what is published. The content API and the content page's zip upload both call it."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.signing import (
    ManifestInvalid,
    SignatureInvalid,
    load_public_key,
    parse_manifest,
    verify_bytes,
)
from protocol.text import RefusesNul
from server.errors import ServiceError
from server.hall_notices import DISPLAY_CHANNEL, overlay_notices, show_notices
from server.models import Bundle, Hall, MediaBlob, Terminal, User
from server.settings import ServerSettings
from server.storage import MediaStorage

log = logging.getLogger(__name__)


class PublishError(ServiceError):
    """A bundle that is not published."""

    MESSAGES = {
        "no_content_key": (409, "未配置内容公钥：服务器没有设置 content_public_key（或无法读取），"
                           "暂时不能发布。请联系运维人员。",
                           "publishing is disabled: the server's content public key is not "
                           "configured or unreadable"),
        "bad_signature": (400, "签名无效：manifest.sig 与服务器配置的内容公钥不符。请确认用正确的"
                          "签名私钥构建，且压缩包中的 manifest.json 没有被改动。", "{reason}"),
        "bad_manifest": (422, "清单格式错误：malformed manifest: {reason}",
                         "malformed manifest: {reason}"),
        "unknown_hall": (422, "清单格式错误：清单中的大厅「{hall}」在服务器上不存在，"
                         "请先创建该大厅。",
                         "manifest names hall {hall!r}, which the server does not know"),
        "files_missing": (409, "缺少文件：服务器上还缺少清单列出的文件（{count} listed file(s) not "
                          "uploaded: {names}）。请重新构建并打包。",
                          "{count} listed file(s) not uploaded: {names}"),
        "not_overlay": (422, "清单格式错误：not a hall overlay: {reason}",
                        "not a hall overlay: {reason}"),
        "outside_hall": (403, "超出账号范围：您的账号只管理大厅「{own}」，只能发布该大厅的内容"
                         "（大厅 overlay），不能发布{target}。请联系省级管理员。",
                         "outside your scope: your account is limited to hall {own} and can "
                         "publish only that hall's overlay, not {target_en}"),
        "already_published": (409, "版本已存在：{version} 已经发布过。内容改动后请重新构建，"
                              "会得到新的版本号。", "version {version} is already published"),
    }

    def as_json(self) -> dict[str, str]:
        """The error as an API response body; ``hallkiosk content publish`` shows detail."""
        return {**super().as_json(), "detail": self.message_en}


class BundleUpload(RefusesNul):
    """A signed manifest: its exact text and the base64 Ed25519 signature."""

    manifest: str = Field(min_length=2, max_length=5_000_000)
    signature: str = Field(min_length=1, max_length=200)


class BundleInfo(BaseModel):
    """A published version and how many terminals report running it."""

    version: str
    channel: str
    hall: str | None
    published_at: dt.datetime
    published_by: str | None
    size: int
    files: int
    terminals: int


class BundleList(BaseModel):
    """Published versions, newest first, and every version terminals report."""

    bundles: list[BundleInfo]
    terminals_by_version: dict[str, int]


def channel_key(channel: str, hall: str | None) -> str:
    """The Bundle.channel value: the channel, or ``<channel>@<hall>`` for an overlay."""
    return channel if hall is None else f"{channel}@{hall}"


def bundle_info(bundle: Bundle, by: str | None, terminals: int) -> BundleInfo:
    """A published bundle as the API and the content page show it."""
    channel, _, hall = bundle.channel.partition("@")
    return BundleInfo(version=bundle.version, channel=channel, hall=hall or None,
                      published_at=bundle.published_at, published_by=by, size=bundle.size,
                      files=len(parse_manifest(bundle.manifest.encode())["files"]),
                      terminals=terminals)


def bundle_list(session: Session, limit: int) -> BundleList:
    """Published versions, newest first, with how many terminals run each."""
    reported = Counter(
        str(health.get("content_version")) for health in session.scalars(
            select(Terminal.health).where(Terminal.status == "accepted"))
        if isinstance(health, dict) and health.get("content_version"))
    # A terminal with an overlay runs "<province version>+<overlay version>".
    running: Counter[str] = Counter()
    for version, count in reported.items():
        for part in version.split("+"):
            running[part] += count
    rows = session.execute(select(Bundle, User.username).outerjoin(
        User, User.id == Bundle.published_by).order_by(Bundle.id.desc()).limit(limit)).all()
    return BundleList(bundles=[bundle_info(b, by, running[b.version]) for b, by in rows],
                      terminals_by_version=dict(reported))


def _verified_manifest(upload: BundleUpload, settings: ServerSettings,
                       editor: User) -> dict[str, Any]:
    try:
        if settings.content_public_key is None:
            raise SignatureInvalid("no content_public_key configured")
        key = load_public_key(settings.content_public_key)
    except SignatureInvalid as exc:
        log.error("publishing refused: %s", exc)
        raise PublishError("no_content_key") from None
    try:
        data = upload.manifest.encode("utf-8")
        verify_bytes(key, data, upload.signature)
        return parse_manifest(data)
    except SignatureInvalid as exc:
        log.warning("bundle from %r refused: %s", editor.username, exc)
        raise PublishError("bad_signature", reason=exc) from None
    except (ManifestInvalid, UnicodeEncodeError) as exc:
        raise PublishError("bad_manifest", reason=exc) from None


def _check_files(session: Session, storage: MediaStorage, files: dict[str, dict[str, Any]]
                 ) -> None:
    sizes = dict(session.execute(select(MediaBlob.sha256, MediaBlob.size).where(
        MediaBlob.sha256.in_({m["sha256"] for m in files.values()}))).all())
    missing = sorted(name for name, meta in files.items()
                     if sizes.get(meta["sha256"]) != meta["size"]
                     or storage.size(meta["sha256"]) != meta["size"])
    if missing:
        raise PublishError("files_missing", count=len(missing), names=", ".join(missing[:5]))


def check_scope(session: Session, user: User, hall: str | None) -> None:
    """Refuse (PublishError outside_hall) a bundle for hall (None: province-wide content)
    from an account limited to another hall; a province account may publish anything."""
    if user.hall_id is None:
        return
    own = session.get(Hall, user.hall_id)
    own_code = own.code if own is not None else f"#{user.hall_id}"
    if hall == own_code:
        return
    log.warning("bundle for %s from %r of hall %s refused: outside the hall",
                hall or "the province", user.username, own_code)
    if hall is None:
        raise PublishError("outside_hall", own=own_code, target="全省通用内容",
                           target_en="province-wide content")
    raise PublishError("outside_hall", own=own_code, target=f"其他大厅「{hall}」的内容",
                       target_en=f"hall {hall}'s content")


def publish(session: Session, settings: ServerSettings, storage: MediaStorage, editor: User,
            upload: BundleUpload) -> BundleInfo:
    """Record (and commit) a signed bundle once its signature and every listed file check
    out; PublishError if not."""
    manifest = _verified_manifest(upload, settings, editor)
    hall = manifest["hall"]
    check_scope(session, editor, hall)
    hall_record = session.scalar(select(Hall).where(Hall.code == hall)) if hall else None
    if hall is not None and hall_record is None:
        raise PublishError("unknown_hall", hall=hall)
    files: dict[str, dict[str, Any]] = manifest["files"]
    _check_files(session, storage, files)
    if hall_record is not None:
        try:
            notices = overlay_notices(storage, manifest)
        except ValueError as exc:
            raise PublishError("not_overlay", reason=str(exc)[:500]) from None
        if manifest["channel"] == DISPLAY_CHANNEL:
            show_notices(session, hall_record, notices, manifest["version"], editor.username)
    bundle = Bundle(version=manifest["version"], channel=channel_key(manifest["channel"], hall),
                    manifest=upload.manifest, signature=upload.signature.strip(),
                    size=sum(m["size"] for m in files.values()), published_by=editor.id)
    session.add(bundle)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PublishError("already_published", version=manifest["version"]) from None
    log.info("bundle %s published on %s by %r", bundle.version, bundle.channel, editor.username)
    return bundle_info(bundle, editor.username, 0)
