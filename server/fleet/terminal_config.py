"""Terminal settings by scope (hall, profile, terminal): storing a scope's overrides, and
merging the scopes into a terminal's effective settings, cached a few seconds.

Functions take a session and leave committing to the caller; they raise
:class:`~server.fleet.errors.FleetError` with an HTTP status for refusals.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol import config as schema
from server.fleet.errors import FleetError
from server.models import ConfigProfile, Terminal, utcnow

log = logging.getLogger(__name__)
SCOPE_KEYS = {"hall": ("hall_id",), "profile": ("hall_id", "profile"),
              "terminal": ("terminal_id",)}
CONFIG_CACHE_SECONDS = 5.0
_config_cache: dict[str, tuple[float, dict[tuple[Any, ...], dict[str, Any]]]] = {}
# id(rows of _config_cache) -> (those rows, {(scope keys, profile): (config, version)})
_effective_cache: dict[int, tuple[dict[tuple[Any, ...], dict[str, Any]],
                                  dict[tuple[Any, ...], tuple[schema.TerminalConfig, str]]]] = {}


def store_config(session: Session, scope: str, overrides: Any, *, hall_id: int | None = None,
                 profile: str | None = None, terminal_id: int | None = None) -> ConfigProfile:
    """Validate and save one scope's overrides, bumping its version (flushed)."""
    if scope not in schema.SCOPES:
        raise FleetError(422, f"unknown scope {scope!r}; known: {', '.join(schema.SCOPES)}")
    try:
        overrides = schema.validate_overrides(overrides)
    except schema.ConfigSchemaError as exc:
        raise FleetError(422, str(exc)) from None
    given = {"hall_id": hall_id, "profile": profile, "terminal_id": terminal_id}
    missing = [name for name in SCOPE_KEYS[scope] if given[name] is None]
    if missing:
        raise FleetError(422, f"a {scope} scope needs {' and '.join(missing)}")
    keys = {name: value if name in SCOPE_KEYS[scope] else None for name, value in given.items()}
    row = session.scalar(select(ConfigProfile).where(
        ConfigProfile.scope == scope,
        *(getattr(ConfigProfile, name).is_(None) if value is None
          else getattr(ConfigProfile, name) == value for name, value in keys.items())))
    if row is None:
        row = ConfigProfile(scope=scope, version=0, **keys)
        session.add(row)
    row.settings, row.version, row.updated_at = overrides, row.version + 1, utcnow()
    session.flush()
    _config_cache.pop(str(session.get_bind().engine.url), None)
    return row


def _config_rows(session: Session) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every config scope by (scope, hall_id, profile, terminal_id), cached a few seconds.

    A change through store_config shows at once in its process, in the others within
    CONFIG_CACHE_SECONDS; the table holds a few rows per hall, so a reload is cheap."""
    database = str(session.get_bind().engine.url)
    expires, rows = _config_cache.get(database, (0.0, {}))
    if expires < time.monotonic():
        rows = {tuple(row[:4]): schema.upgrade_legacy(row[4]) for row in session.execute(select(
            ConfigProfile.scope, ConfigProfile.hall_id, ConfigProfile.profile,
            ConfigProfile.terminal_id, ConfigProfile.settings))}
        _config_cache[database] = (time.monotonic() + CONFIG_CACHE_SECONDS, rows)
    return rows


def effective_config(session: Session, terminal: Terminal) -> tuple[schema.TerminalConfig, str]:
    """The terminal's effective settings and their version, made once per combination of
    scopes (and profile) from each load of the scope rows: merging and validating them is
    the dearest part of a heartbeat, and 10,000 terminals share a few combinations."""
    rows = _config_rows(session)
    keys = tuple(key for key in [("hall", terminal.hall_id, None, None),
                                 ("profile", terminal.hall_id, terminal.profile, None),
                                 ("terminal", None, None, terminal.id)] if key in rows)
    made_from, known = _effective_cache.get(id(rows), (None, {}))
    if made_from is not rows:  # the rows were reloaded (or changed here): start again
        _effective_cache.clear()
        made_from, known = rows, {}
        _effective_cache[id(rows)] = (rows, known)
    found = known.get((keys, terminal.profile))
    if found is None:
        layers = [rows[key] for key in keys]
        # Each scope is valid alone but two can clash; drop the most specific until they fit.
        while True:
            try:
                config = schema.effective_settings(layers, terminal.profile)
                break
            except schema.ConfigSchemaError as exc:
                log.error("terminal %s: config scopes clash (%s); dropping the last one",
                          terminal.device_id[:12], exc)
                layers = layers[:-1]
        found = known[(keys, terminal.profile)] = (config, schema.config_version(config))
    return found


def terminal_settings(session: Session, terminal: Terminal) -> schema.TerminalConfig:
    """The effective settings: hall, then profile, then terminal scope, merged and validated
    (shared with other terminals of the same scopes: read it, do not change it)."""
    return effective_config(session, terminal)[0]
