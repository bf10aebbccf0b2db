"""A terminal's identity: its Ed25519 key pair, hardware facts and saved enrolment state.

The private key is created once, with 0600 permissions, and a key file that
others can read is refused rather than used: a copied key lets anyone speak
for the terminal.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from protocol.signing import device_id, public_key_bytes

log = logging.getLogger(__name__)
KEY_FILE = "terminal_key.pem"
STATE_FILE = "enrolment.json"
MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
EnrolmentStatus = Literal["unenrolled", "pending", "accepted", "rejected", "revoked"]


class IdentityError(Exception):
    """A key file or state file that must not be used, with the reason."""


def _read_text(path: Path) -> str:
    try:
        return path.read_text("ascii", errors="replace").strip()
    except OSError:  # unreadable without root (product_serial) or absent in containers
        return ""


def mac_address(sys_root: Path = Path("/sys")) -> str:
    """The MAC address of the first non-loopback network interface, or ""."""
    net = sys_root / "class" / "net"
    try:
        names = sorted(entry.name for entry in net.iterdir())
    except OSError:
        return ""
    for name in names:
        address = _read_text(net / name / "address").lower()
        # Only Ethernet-style addresses: InfiniBand and tunnels have other formats.
        if name != "lo" and MAC.match(address) and address != "00:00:00:00:00:00":
            return address
    return ""


def identity_facts(sys_root: Path = Path("/sys")) -> dict[str, str]:
    """Hostname, MAC and serial number (empty when not readable)."""
    serial = _read_text(sys_root / "class" / "dmi" / "id" / "product_serial")
    return {"hostname": socket.gethostname()[:255], "mac": mac_address(sys_root),
            "serial": serial[:100]}


def _write_private(path: Path, data: bytes) -> None:
    """Create path with 0600 permissions from the start, complete or not at all; never replace."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)  # atomic, and fails when another process made the key first
    finally:
        os.unlink(temporary)


def _load_key(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityError(f"{path}: key file is accessible to other users "
                            f"(mode {stat.S_IMODE(mode):o}); run 'chmod 600 {path}'")
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise IdentityError(f"{path}: not a readable private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{path}: not an Ed25519 private key")
    return key


@dataclass
class TerminalIdentity:
    """The terminal's private key and the facts it reports about itself."""

    data_dir: Path
    private_key: Ed25519PrivateKey
    facts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load_or_create(cls, data_dir: Path | str,
                       sys_root: Path = Path("/sys")) -> TerminalIdentity:
        """Load the key from data_dir, creating it (0600) at first start."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / KEY_FILE
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            try:
                _write_private(path, pem)
                log.info("created terminal key %s", path)
            except FileExistsError:  # another process created it first: use theirs
                pass
        return cls(data_dir, _load_key(path), identity_facts(sys_root))

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return public_key_bytes(self.private_key)

    @property
    def device_id(self) -> str:
        """sha256 (hex) of the public key: how the server knows this terminal."""
        return device_id(self.public_key)


@dataclass
class EnrolmentState:
    """What the terminal knows about its enrolment, saved in the data folder."""

    server_url: str = ""
    status: EnrolmentStatus = "unenrolled"
    hall: str | None = None
    profile: str | None = None
    content_public_key: str | None = None
    message: str = ""

    @property
    def may_send(self) -> bool:
        """Whether the terminal may talk to the server beyond its enrolment status."""
        return self.status == "accepted"


def write_json_atomically(path: Path, data: Any) -> None:
    """Write JSON to a temporary file, fsync it and rename it over path."""
    # A temporary name of its own: two threads writing the same file must not share one.
    handle_fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(handle_fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def load_state(data_dir: Path | str) -> EnrolmentState:
    """The saved enrolment state, or a fresh unenrolled one."""
    path = Path(data_dir) / STATE_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return EnrolmentState()
    except (OSError, ValueError) as exc:
        raise IdentityError(f"{path}: unreadable enrolment state: {exc}") from exc
    known = EnrolmentState.__dataclass_fields__
    return EnrolmentState(**{key: value for key, value in data.items() if key in known})


def save_state(data_dir: Path | str, state: EnrolmentState) -> None:
    """Save the enrolment state atomically (a crash leaves the old or the new file)."""
    write_json_atomically(Path(data_dir) / STATE_FILE, asdict(state))
