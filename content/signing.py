"""Ed25519 keys and manifest signatures for content bundles.

The signing key stays with the content editor (PEM, mode 0600). Its public
half is a one-line file, base64 of the raw 32 bytes (``KEY.pub``): the server
verifies uploads with it and terminals receive it at enrolment. A signature
covers the exact bytes of ``manifest.json``; it is stored next to it as
``manifest.sig`` (base64), so any change to the manifest, and through its
sha256 list to any file, breaks it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from content.bundle import BUNDLE_FORMAT, MANIFEST
from content.loader import safe_relative_name

SIGNATURE = "manifest.sig"
DEFAULT_CHANNEL = "stable"
CHANNEL = re.compile(r"^[a-z][a-z0-9-]{0,7}\Z")
HALL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}\Z")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+\-]{0,79}\Z")
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")


class SignatureInvalid(Exception):
    """A signature, key or signed manifest that must not be trusted, with the reason."""


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Base64 of the raw 32-byte public key (the KEY.pub format)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def generate_key(path: Path | str) -> Path:
    """Write a new private key to path (PEM, 0600) and path.pub; refuse to overwrite."""
    path = Path(path)
    public_path = path.with_name(path.name + ".pub")
    for existing in (path, public_path):
        if existing.exists():
            raise FileExistsError(f"{existing} exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL with mode 0600: the private key is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path.write_text(public_key_text(key) + "\n", "ascii")
    return public_path


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    """The Ed25519 signing key in a PEM file."""
    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureInvalid(f"cannot read signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureInvalid(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(value: Ed25519PublicKey | bytes | str | Path) -> Ed25519PublicKey:
    """A public key from raw bytes, base64 text or a KEY.pub file."""
    if isinstance(value, Ed25519PublicKey):
        return value
    if isinstance(value, Path):
        try:
            value = value.read_text("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SignatureInvalid(f"cannot read public key {value}: {exc}") from exc
    try:
        raw = value if isinstance(value, bytes) else base64.b64decode(value.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as exc:
        raise SignatureInvalid(f"not an Ed25519 public key: {exc}") from exc


def public_key_file_text(path: Path | str | None) -> str | None:
    """The checked base64 key of a KEY.pub file, as terminals get it; None when unset."""
    return None if path is None else public_key_text(load_public_key(Path(path)))


def sign_bytes(key: Ed25519PrivateKey, data: bytes) -> str:
    """Base64 Ed25519 signature of data."""
    return base64.b64encode(key.sign(data)).decode()


def verify_bytes(public_key: Ed25519PublicKey | bytes | str | Path, data: bytes,
                 signature: str) -> None:
    """Raise SignatureInvalid unless signature is public_key's signature of data."""
    key = load_public_key(public_key)
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), data)
    except (ValueError, binascii.Error, InvalidSignature):
        raise SignatureInvalid("manifest signature does not verify with the content "
                               "public key") from None


def stamp_manifest(bundle: Path, channel: str = DEFAULT_CHANNEL,
                   hall: str | None = None) -> dict[str, Any]:
    """Add channel and hall to a bundle's manifest.json (rewritten atomically); return it."""
    path = bundle / MANIFEST
    manifest = json.loads(path.read_text("utf-8"))
    manifest["channel"], manifest["hall"] = channel, hall
    _replace(path, json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode())
    return dict(manifest)


def sign_bundle(bundle: Path, key: Ed25519PrivateKey) -> str:
    """Write manifest.sig over the exact bytes of the bundle's manifest.json; return it."""
    signature = sign_bytes(key, (bundle / MANIFEST).read_bytes())
    _replace(bundle / SIGNATURE, signature.encode() + b"\n")
    return signature


def read_signed_manifest(bundle: Path) -> tuple[bytes, str | None]:
    """The exact manifest bytes of a bundle folder and its signature (None when unsigned)."""
    data = (bundle / MANIFEST).read_bytes()
    sig = bundle / SIGNATURE
    return data, sig.read_text("ascii").strip() if sig.exists() else None


def signed_bundle_manifest(bundle: Path) -> tuple[bytes, str, dict[str, Any]]:
    """A signed bundle folder's manifest bytes, signature and parsed manifest, or
    ValueError saying why the folder is not one (to upload it or pack it)."""
    try:
        data, signature = read_signed_manifest(bundle)
        manifest = parse_manifest(data)
    except OSError as exc:
        raise ValueError(f"{bundle}: not a bundle folder: {exc}") from None
    except ManifestInvalid as exc:
        raise ValueError(f"{bundle}: {exc}") from None
    if signature is None:
        raise ValueError(f"{bundle} is not signed: build it with --key")
    return data, signature, manifest


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def build_signed_bundle(src: Path | str, out: Path | str, *, key: Ed25519PrivateKey | None,
                        channel: str = DEFAULT_CHANNEL, hall: str | None = None
                        ) -> dict[str, Any]:
    """Build a province bundle (hall None) or hall overlay, stamp and sign it, swap it into out."""
    from content.bundle import build_bundle
    from content.overlay import build_overlay, replace_folder, staging_folder

    out = Path(out)
    staging = staging_folder(out)
    try:
        if hall is None:
            build_bundle(src, staging / "bundle")
        else:
            build_overlay(src, staging / "bundle", hall)
        manifest = stamp_manifest(staging / "bundle", channel, hall)
        if key is not None:
            sign_bundle(staging / "bundle", key)
        (staging / "bundle").chmod(0o755)
        replace_folder(staging / "bundle", out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


class ManifestInvalid(Exception):
    """A manifest that is not a well-formed bundle manifest, with the reason."""


def check_name(name: str) -> bool:
    """Whether a manifest file name is a safe relative path inside the bundle."""
    return safe_relative_name(name) and name != MANIFEST


def parse_manifest(data: bytes) -> dict[str, Any]:
    """The manifest in data, checked for shape: format, version, channel, hall and files."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestInvalid(f"manifest is not JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise ManifestInvalid("manifest is not a JSON object")
    if manifest.get("format") != BUNDLE_FORMAT:
        raise ManifestInvalid(f"unsupported bundle format {manifest.get('format')!r}")
    version = manifest.get("version")
    if not isinstance(version, str) or not VERSION.match(version):
        raise ManifestInvalid(f"bad version {version!r}")
    channel, hall = manifest.get("channel"), manifest.get("hall")
    if not isinstance(channel, str) or not CHANNEL.match(channel):
        raise ManifestInvalid(f"bad channel {channel!r} (lower-case letters, digits, '-')")
    if hall is not None and (not isinstance(hall, str) or not HALL.match(hall)):
        raise ManifestInvalid(f"bad hall {hall!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ManifestInvalid("manifest lists no files")
    for name, meta in files.items():
        if not check_name(name):
            raise ManifestInvalid(f"unsafe file name {name!r}")
        if not (isinstance(meta, dict) and isinstance(meta.get("sha256"), str)
                and SHA256.match(meta["sha256"]) and type(meta.get("size")) is int
                and meta["size"] >= 0):
            raise ManifestInvalid(f"file {name!r} needs a sha256 and a size")
    for required in ("content.json", "search.json"):
        if required not in files:
            raise ManifestInvalid(f"{required} is not listed")
    return manifest
