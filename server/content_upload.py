"""Publishing a signed bundle uploaded as one zip on the content page.

The zip holds a bundle folder written by ``hallkiosk content build --key`` (``hallkiosk
content pack`` makes one; any zip tool will do), at its root or inside one top folder.
Nothing in it is trusted: member names, links, declared sizes and compression ratios are
checked before a byte is extracted; every listed file is stored through MediaStorage with
its sha256 checked while it is written; then the signed manifest goes through
server/publishing.py, as ``hallkiosk content publish``'s does, so both obey the same rules.
A refusal leaves no Bundle row (files already stored are content-addressed and harmless).
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.bundle import MANIFEST
from content.signing import SIGNATURE, ManifestInvalid, parse_manifest
from server.models import MediaBlob, User
from server.publishing import BundleInfo, BundleUpload, PublishError, check_scope, publish
from server.settings import ServerSettings
from server.storage import MediaStorage, UploadRejected

MAX_MEMBERS = 100_000  # as many files as one publish may list
MAX_RATIO = 200  # deflate tops out near 1030:1; bundle JSON and images stay under 20:1
RATIO_FLOOR = 1 << 20  # members smaller than this may compress any amount
MANIFEST_MAX = 5_000_000  # as BundleUpload.manifest
SIGNATURE_MAX = 1_000
CHUNK = 1 << 20
UTF8_NAME = 0x800  # zip flag bit: the member name is UTF-8
ENCRYPTED = 0x1
DRIVE = re.compile(r"^[A-Za-z]:")


class UploadRefused(Exception):
    """An uploaded bundle that is not published: a Chinese message and the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class BundleArchive:
    """An opened, checked zip: the bundle's members by name, its manifest and signature."""

    archive: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]
    manifest: dict[str, Any]
    upload: BundleUpload


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name with '/' separators; a legacy (non-UTF-8) name is read as GBK."""
    name = info.filename
    # Chinese Windows zip tools write names in the local code page without the UTF-8 flag;
    # zipfile has decoded those bytes as cp437, which gives them back unchanged.
    if not info.flag_bits & UTF8_NAME and not name.isascii():
        try:
            name = name.encode("cp437").decode("gb18030")
        except UnicodeError:
            pass
    return name.replace("\\", "/")


def _unsafe(name: str) -> bool:
    return (name.startswith("/") or bool(DRIVE.match(name)) or "\0" in name
            or ".." in name.split("/"))


@contextmanager
def _reading(name: str) -> Iterator[None]:
    """Turn what a damaged or exotic zip raises while a member is read into a refusal."""
    try:
        yield
    except NotImplementedError:
        raise UploadRefused(f"压缩包中的「{name}」使用了不支持的压缩方式，请用 hallkiosk "
                            "content pack 或常见的 ZIP 工具重新打包。") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise UploadRefused(f"压缩包已损坏，无法读取其中的「{name}」，请重新打包后上传。") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                 limit: int) -> bytes:
    with _reading(name), archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"压缩包中的「{name}」太大（超过 {_megabytes(limit)}）。", 413)
    return data


def _checked_members(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Every file member by its normalised name, after the safety checks on all of them."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UploadRefused(f"压缩包中的文件超过 {MAX_MEMBERS} 个，已拒绝。", 413)
    files: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        name = member_name(info)
        if _unsafe(name):
            raise UploadRefused(f"压缩包中有不安全的路径「{name}」（绝对路径或含“..”），已拒绝。")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRefused(f"压缩包中的「{name}」是符号链接，已拒绝。内容包只能包含普通文件。")
        if name.endswith("/"):
            continue  # a folder entry
        if info.flag_bits & ENCRYPTED:
            raise UploadRefused(f"压缩包中的「{name}」已加密。请打包时不要设置密码。")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UploadRefused(f"压缩包中的「{name}」压缩比异常（解压后 "
                                f"{_megabytes(info.file_size)}），疑似压缩炸弹，已拒绝。", 413)
        declared += info.file_size
        key = "/".join(part for part in name.split("/") if part not in ("", "."))
        if key in files:
            raise UploadRefused(f"压缩包中「{key}」出现了不止一次，已拒绝。")
        files[key] = info
    if declared > max_bytes:
        raise UploadRefused(f"压缩包解压后共 {_megabytes(declared)}，超过服务器的上限 "
                            f"{_megabytes(max_bytes)}。", 413)
    return files


def _bundle_root(files: dict[str, zipfile.ZipInfo]) -> str:
    """'' when manifest.json is at the zip's root, else the one top folder ('name/') holding it."""
    if MANIFEST in files:
        return ""
    tops = sorted(key.removesuffix(MANIFEST) for key in files
                  if key.count("/") == 1 and key.endswith("/" + MANIFEST))
    if not tops:
        raise UploadRefused("压缩包中没有 manifest.json：内容包应在压缩包的根目录，或在唯一的"
                            "顶层文件夹中。请上传 hallkiosk content build --key 生成的内容包。")
    if len(tops) > 1:
        raise UploadRefused(f"压缩包中有不止一个内容包（{'、'.join(tops)}），无法确定要发布"
                            "哪一个。一次只上传一个内容包。")
    return tops[0]


def open_archive(file: IO[bytes], max_bytes: int) -> BundleArchive:
    """Open an uploaded zip, check every member, read and parse its signed manifest."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UploadRefused("上传的文件不是 ZIP 压缩包。请上传用 hallkiosk content pack 打包的"
                            " .zip 文件（或用 ZIP 工具压缩内容包文件夹）。") from None
    try:
        files = _checked_members(archive, max_bytes)
        root = _bundle_root(files)
        members = {key.removeprefix(root): info for key, info in files.items()
                   if key.startswith(root)}
        data = _read_member(archive, members[MANIFEST], MANIFEST, MANIFEST_MAX)
        if SIGNATURE not in members:
            raise UploadRefused("压缩包中没有签名文件 manifest.sig：请用 hallkiosk content build "
                                "--key 签名后再打包。")
        signature = _read_member(archive, members[SIGNATURE], SIGNATURE, SIGNATURE_MAX)
        try:
            manifest = parse_manifest(data)
            upload = BundleUpload(manifest=data.decode("utf-8"),
                                  signature=signature.decode("ascii").strip())
        except ManifestInvalid as exc:
            raise UploadRefused(f"清单格式错误（manifest.json）：{exc}", 422) from None
        except (UnicodeDecodeError, ValidationError):
            raise UploadRefused("签名无效：manifest.sig 不是有效的签名（应为一行 base64 文本）。"
                                ) from None
    except BaseException:
        archive.close()
        raise
    return BundleArchive(archive, members, manifest, upload)


def store_files(bundle: BundleArchive, storage: MediaStorage, max_bytes: int) -> dict[str, int]:
    """Store every file the manifest lists, each checked against its sha256; hash -> size."""
    files: dict[str, dict[str, Any]] = bundle.manifest["files"]
    absent = sorted(name for name in files if name not in bundle.members)
    if absent:
        raise UploadRefused(f"缺少文件：清单列出的 {len(absent)} 个文件不在压缩包中（"
                            f"{'、'.join(absent[:5])}）。请把整个内容包文件夹一起打包。")
    stored: dict[str, int] = {}
    for name, meta in sorted(files.items()):
        if meta["sha256"] in stored:
            continue
        upload = storage.upload(meta["sha256"], max_bytes)
        try:
            with _reading(name):
                handle = bundle.archive.open(bundle.members[name])
            with handle:
                while True:
                    with _reading(name):  # only reading: a full disk is the server's error
                        chunk = handle.read(CHUNK)
                    if not chunk:
                        break
                    upload.write(chunk)
            stored[meta["sha256"]] = upload.finish()
        except UploadRejected as exc:
            upload.abort()
            if exc.status == 413:
                raise UploadRefused(f"文件「{name}」超过服务器的上限 {_megabytes(max_bytes)}。",
                                    413) from None
            raise UploadRefused(f"文件「{name}」与清单不符（sha256 不一致）：压缩包中的文件被改动"
                                "或已损坏。请重新构建、签名并打包。") from None
        except BaseException:
            upload.abort()
            raise
    return stored


def record_blobs(session: Session, stored: dict[str, int]) -> None:
    """Add a MediaBlob row for each stored file the database does not know yet."""
    hashes = list(stored)
    for _attempt in range(3):
        known: set[str] = set()
        for start in range(0, len(hashes), 500):
            known.update(session.scalars(select(MediaBlob.sha256).where(
                MediaBlob.sha256.in_(hashes[start:start + 500]))))
        session.add_all(MediaBlob(sha256=sha256, size=size) for sha256, size in stored.items()
                        if sha256 not in known)
        try:
            session.commit()
            return
        except IntegrityError:  # another upload recorded one of them at the same moment
            session.rollback()
    raise UploadRefused("服务器正忙，文件记录未能保存，请稍后重试。", 409)


def publish_archive(file: IO[bytes], user: User, session: Session, settings: ServerSettings,
                    storage: MediaStorage) -> BundleInfo:
    """Check the zip, store its files, then publish its signed manifest; UploadRefused
    (the zip) or PublishError (the bundle) if not."""
    bundle = open_archive(file, settings.max_upload_bytes)
    with bundle.archive:
        check_scope(session, user, bundle.manifest["hall"])  # before anything is stored
        stored = store_files(bundle, storage, settings.max_upload_bytes)
    record_blobs(session, stored)
    try:
        return publish(session, settings, storage, user, bundle.upload)
    except PublishError:
        session.rollback()
        raise
