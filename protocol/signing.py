"""Ed25519 request signatures shared by terminals (sign) and the server (verify).

Every terminal request carries four headers:

- ``X-Device-Id``: sha256 (hex) of the terminal's raw 32-byte public key;
- ``X-Timestamp``: Unix seconds when it was signed;
- ``X-Nonce``: 32 random hex characters, never reused;
- ``X-Signature``: base64 Ed25519 signature over :func:`canonical`.

The server rejects a stale timestamp, a nonce it has seen, and a signature
that does not verify with the key the terminal enrolled with.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HEADERS = ("X-Device-Id", "X-Timestamp", "X-Nonce", "X-Signature")
# The longest each header may be: what the server stores (device id and nonce columns are 64
# characters) and a little room over what a terminal sends (88 characters of signature).
HEADER_LIMITS = {"X-Device-Id": 64, "X-Timestamp": 20, "X-Nonce": 64, "X-Signature": 128}


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of a public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def device_id(public_key: bytes) -> str:
    """A terminal's id: sha256 of its raw public key, hex."""
    return hashlib.sha256(public_key).hexdigest()


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes that are signed: method, path with query, timestamp, nonce, body hash."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, body_hash]).encode()


def sign_request(key: Ed25519PrivateKey, method: str, path: str, body: bytes = b"",
                 now: float | None = None) -> dict[str, str]:
    """The four signature headers for one request."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    signature = key.sign(canonical(method, path, timestamp, nonce, body))
    return {"X-Device-Id": device_id(public_key_bytes(key)), "X-Timestamp": timestamp,
            "X-Nonce": nonce, "X-Signature": base64.b64encode(signature).decode()}


def verify_signature(public_key: bytes | Ed25519PublicKey, headers: dict[str, str], method: str,
                     path: str, body: bytes) -> bool:
    """Whether the headers carry a valid signature of this request by this key (its raw
    bytes, or the key already parsed)."""
    try:
        signature = base64.b64decode(headers["X-Signature"], validate=True)
        key = (public_key if isinstance(public_key, Ed25519PublicKey)
               else Ed25519PublicKey.from_public_bytes(public_key))
        key.verify(
            signature, canonical(method, path, headers["X-Timestamp"], headers["X-Nonce"], body))
    except (KeyError, ValueError, InvalidSignature):
        return False
    return True


def comment_token_text(nonce: str, issued: int) -> bytes:
    """What a terminal signs for a rating-comment token (distinct from any request)."""
    return f"hallkiosk rating comment\n{nonce}\n{issued}".encode()


def comment_token(key: Ed25519PrivateKey, now: float | None = None) -> tuple[str, str]:
    """A nonce for a rating and the token of the QR code that lets the visitor comment on
    it: ``<device id prefix>.<nonce>.<issued>.<signature>`` (URL-safe)."""
    nonce = secrets.token_urlsafe(16)
    issued = int(now if now is not None else time.time())
    signature = base64.urlsafe_b64encode(key.sign(comment_token_text(nonce, issued)))
    prefix = device_id(public_key_bytes(key))[:16]
    return nonce, f"{prefix}.{nonce}.{issued}.{signature.decode().rstrip('=')}"
