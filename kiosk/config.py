"""Read the terminal's TOML configuration into the one config model.

The model, every setting with its default and meaning, is :mod:`protocol.config`
(its sections in :mod:`protocol.config_sections`); ``SETTINGS`` lists them for the
README's configuration table, which a test checks, so a new setting cannot go
undocumented. Errors name the file, the section and the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from protocol.config import (
    ConfigSchemaError,
    TerminalConfig,
    merge,
    parse_config,
    settings_table,
)

PIN_ITERATIONS = 200_000
SETTINGS = settings_table()

__all__ = ["PIN_ITERATIONS", "SETTINGS", "ConfigError", "TerminalConfig", "check_pin",
           "default_data_dir", "from_mapping", "hash_pin", "load_config", "merge"]


class ConfigError(ConfigSchemaError):
    """A configuration file that cannot be used, with the reason."""


def from_mapping(data: dict[str, Any], source: str = "config") -> TerminalConfig:
    """Validate a parsed TOML mapping; unknown keys and wrong types are errors."""
    try:
        return parse_config(data)
    except ConfigSchemaError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: Path | str | None) -> TerminalConfig:
    """Read a TOML config file (or the defaults when path is None)."""
    if path is None:
        return TerminalConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return from_mapping(data, str(path))


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """A PBKDF2-SHA256 hash of an admin PIN, as stored in admin_pin_hash."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether pin matches a hash made by hash_pin (constant time)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    try:
        rounds, salt_bytes = int(iterations), bytes.fromhex(salt)
        if rounds < 1:
            return False
    except ValueError:  # a hand-edited or truncated hash never matches
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt_bytes, rounds)
    return hmac.compare_digest(candidate.hex(), digest)


def default_data_dir() -> Path:
    """Where a terminal keeps its data when the config does not say."""
    if os.geteuid() == 0:
        return Path("/var/lib/hallkiosk")
    return Path.home() / ".local" / "share" / "hallkiosk"
