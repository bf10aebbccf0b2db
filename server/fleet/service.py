"""Fleet logic on the server: enrolment, tokens, config, heartbeats, commands, outbox receipts.

Functions take a session and leave committing to the caller unless they say
otherwise; they raise :class:`FleetError` with an HTTP status for refusals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from content.signing import public_key_file_text
from protocol import commands as messages
from protocol import config as schema
from protocol.enums import OutboxKind
from protocol.feedback import acted_at
from protocol.hours import local_day
from server.analytics import rollup, unanswered
from server.cases import intake as case_intake
from server.models import (
    Alert,
    Command,
    ConfigProfile,
    EnrolmentToken,
    Hall,
    OutboxReceipt,
    SeenNonce,
    Terminal,
    as_utc,
    utcnow,
)
from server.ratings import intake
from server.ratings.models import Rating
from server.ratings.rules import DEFAULT_FOLLOW_UP_DAYS, NATIONAL_REASONS, RatingReasons
from server.settings import ServerSettings

log = logging.getLogger(__name__)
TOKEN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: typed on a keypad
HEALTH_ALERTS = ("printer", "disk", "sync")
# Usage kinds the daily roll-ups count (unanswered questions are read from their own table).
ROLLED_UP_USAGE = (OutboxKind.USAGE_SCREEN, OutboxKind.USAGE_SEARCH)
SCOPE_KEYS = {"hall": ("hall_id",), "profile": ("hall_id", "profile"),
              "terminal": ("terminal_id",)}
CONFIG_CACHE_SECONDS = 5.0
_STORE_HEALTH = (update(Terminal).where(Terminal.id == bindparam("terminal"))
                 .values(health=bindparam("health", type_=Terminal.health.type),
                         last_seen_at=bindparam("now", type_=Terminal.last_seen_at.type)))
_config_cache: dict[str, tuple[float, dict[tuple[Any, ...], dict[str, Any]]]] = {}
# id(rows of _config_cache) -> (those rows, {(scope keys, profile): (config, version)})
_effective_cache: dict[int, tuple[dict[tuple[Any, ...], dict[str, Any]],
                                  dict[tuple[Any, ...], tuple[schema.TerminalConfig, str]]]] = {}


class FleetError(Exception):
    """A refused fleet operation: HTTP status and a message for the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def token_hash(token: str) -> str:
    """How a token is stored: sha256 hex of its canonical form (no case, dashes or spaces)."""
    return hashlib.sha256("".join(token.split()).replace("-", "").upper().encode()).hexdigest()


def create_enrolment_token(session: Session, hall_id: int, profile: str,
                           hours: int) -> tuple[str, EnrolmentToken]:
    """A new one-time token for a hall and profile; only its hash is stored. Commits."""
    if profile not in schema.PROFILES:
        raise FleetError(422, f"unknown profile {profile!r}; known: "
                         f"{', '.join(schema.PROFILES)}")
    if session.get(Hall, hall_id) is None:
        raise FleetError(404, f"no hall with id {hall_id}")
    raw = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(20))
    token = "-".join(raw[i:i + 5] for i in range(0, 20, 5))
    row = EnrolmentToken(token_hash=token_hash(token), hall_id=hall_id, profile=profile,
                         expires_at=utcnow() + dt.timedelta(hours=hours))
    session.add(row)
    session.commit()
    return token, row


def _claim_token(session: Session, token: str, now: dt.datetime) -> EnrolmentToken:
    """Mark a token used in one conditional UPDATE: of two racing terminals one wins."""
    digest = token_hash(token)
    claimed = session.scalar(
        update(EnrolmentToken)
        .where(EnrolmentToken.token_hash == digest, EnrolmentToken.used_at.is_(None),
               EnrolmentToken.expires_at > now)
        .values(used_at=now).returning(EnrolmentToken))
    if isinstance(claimed, EnrolmentToken):
        return claimed
    row = session.scalar(select(EnrolmentToken).where(EnrolmentToken.token_hash == digest))
    session.rollback()
    if row is None:
        raise FleetError(403, "unknown enrolment token")
    if row.used_at is not None:
        raise FleetError(403, "enrolment token already used")
    raise FleetError(403, "enrolment token expired")


def enrol_terminal(session: Session, device: str, public_key: str, identity: dict[str, str],
                   token: str | None) -> Terminal:
    """Find or create the terminal of a key; a valid token accepts it at once (flushed)."""
    now = utcnow()
    terminal = session.scalar(select(Terminal).where(Terminal.device_id == device))
    if terminal is not None and (terminal.status != "pending" or not token):
        return terminal  # idempotent: a known key gets its status; a token promotes a pending one
    claimed = _claim_token(session, token, now) if token else None
    if terminal is None:
        terminal = Terminal(device_id=device, public_key=public_key, status="pending",
                            identity=identity, requested_at=now)
        session.add(terminal)
    if claimed is not None:
        terminal.status, terminal.hall_id, terminal.profile = ("accepted", claimed.hall_id,
                                                               claimed.profile)
        terminal.decided_at = now
    try:
        session.flush()
    except IntegrityError:  # the same key enrolling twice at once: the other request won
        session.rollback()
        return session.scalars(select(Terminal).where(Terminal.device_id == device)).one()
    if claimed is not None:
        claimed.used_by = terminal.id
    log.info("terminal %s enrolled: %s", device[:12], terminal.status)
    return terminal


PENDING_CAP_MESSAGE = ("待审核的终端注册申请已达上限（{cap} 个），请运维管理员先在终端管理中接受或"
                      "拒绝。Too many terminals are waiting for acceptance ({cap}); IT must "
                      "accept or reject some first.")


def is_known_device(session: Session, device: str) -> bool:
    """Whether a terminal with this key has asked to enrol before."""
    return session.scalar(select(Terminal.id).where(Terminal.device_id == device)) is not None


def hold_to_pending_cap(session: Session, terminal: Terminal, cap: int) -> None:
    """Take back a just committed pending terminal when more than cap are pending, and
    refuse it (429). Counted after the commit, so requests racing from several processes
    see each other: both may be refused, never both kept over the cap. Commits."""
    if terminal.status != "pending":
        return
    pending = session.scalar(select(func.count()).select_from(Terminal).where(
        Terminal.status == "pending")) or 0
    if pending <= cap:
        return
    session.execute(delete(SeenNonce).where(SeenNonce.terminal_id == terminal.id))
    session.execute(delete(Terminal).where(Terminal.id == terminal.id))
    session.commit()
    log.warning("enrolment of %s refused: %d terminals pending (cap %d)",
                terminal.device_id[:12], pending - 1, cap)
    raise FleetError(429, PENDING_CAP_MESSAGE.format(cap=cap))


def enrolment_view(session: Session, terminal: Terminal,
                   settings: ServerSettings) -> dict[str, Any]:
    """What a terminal learns about its enrolment."""
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id is not None else None
    accepted = terminal.status == "accepted"
    return {"device_id": terminal.device_id, "status": terminal.status,
            "hall": hall.code if hall and accepted else None,
            "profile": terminal.profile if accepted else None,
            # The key itself (base64), not the server's path to its file.
            "content_public_key": public_key_file_text(settings.content_public_key)}


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


def _effective_config(session: Session, terminal: Terminal) -> tuple[schema.TerminalConfig, str]:
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
    return _effective_config(session, terminal)[0]


def _sync_alerts(session: Session, terminal: Terminal, wanted: dict[str, str],
                 now: dt.datetime) -> None:
    open_alerts = session.scalars(select(Alert).where(
        Alert.terminal_id == terminal.id, Alert.cleared_at.is_(None),
        Alert.kind.in_(HEALTH_ALERTS))).all()
    for alert in open_alerts:
        if alert.kind not in wanted:
            alert.cleared_at = now
    raised = {alert.kind for alert in open_alerts}
    for kind, message in wanted.items():
        if kind not in raised:
            session.add(Alert(terminal_id=terminal.id, kind=kind, message=message, raised_at=now))
            log.warning("terminal %s alert %s: %s", terminal.device_id[:12], kind, message)


def record_heartbeat(session: Session, terminal: Terminal, report: dict[str, Any],
                     settings: ServerSettings, commands_waiting: bool = True) -> dict[str, Any]:
    """Store a heartbeat, raise or clear alerts, build the reply and commit (commands are
    looked for only when commands_waiting: the caller may know that none are)."""
    now = utcnow()
    config, version = _effective_config(session, terminal)
    interval = config.terminal.heartbeat_interval
    previous = messages.report_alerts(terminal.health or {})
    wanted = messages.report_alerts(report)
    if previous or wanted:
        _sync_alerts(session, terminal, wanted, now)
    health = {**report, "received_at": now.isoformat(), "interval": interval}
    # One prepared UPDATE rather than the ORM's unit of work, on the busiest write path.
    session.flush()
    session.connection().execute(_STORE_HEALTH, {"terminal": terminal.id, "health": health,
                                                 "now": now})
    set_committed_value(terminal, "health", health)
    set_committed_value(terminal, "last_seen_at", now)
    # A reply can be lost: an unacknowledged command goes out again after two intervals,
    # and the terminal runs each command id only once.
    redeliver = now - dt.timedelta(seconds=2 * interval)
    commands = session.scalars(select(Command).where(
        Command.terminal_id == terminal.id, Command.acked_at.is_(None), Command.expires_at > now,
        or_(Command.delivered_at.is_(None), Command.delivered_at < redeliver))
        .order_by(Command.id)).all() if commands_waiting else []
    for command in commands:
        command.delivered_at = now
    reply = {"config": {"version": version, "settings": None if report.get("config_version")
                        == version else schema.overlay(config)},
             "commands": [{"id": command.id, "kind": command.kind, "payload": command.payload,
                           "expires_at": as_utc(command.expires_at)} for command in commands],
             "heartbeat_interval": interval}
    session.commit()
    return reply


def commands_waiting(terminal_id: Any, now: Any) -> Any:
    """An SQL EXISTS: whether a terminal has unacknowledged, unexpired commands (now: a
    datetime or a bound parameter)."""
    return select(Command.id).where(Command.terminal_id == terminal_id,
                                    Command.acked_at.is_(None), Command.expires_at > now).exists()


def is_online(terminal: Terminal, now: dt.datetime, settings: ServerSettings) -> bool:
    """Whether the terminal was heard from within its allowed number of missed heartbeats."""
    if terminal.last_seen_at is None:
        return False
    interval = (terminal.health or {}).get("interval") or settings.heartbeat_interval
    allowed = dt.timedelta(seconds=interval * settings.offline_after_missed)
    return now - as_utc(terminal.last_seen_at) <= allowed


def queue_command(session: Session, terminal_id: int, kind: str, payload: Any = None,
                  ttl_seconds: int = 600) -> Command:
    """Validate and queue a command for a terminal (flushed)."""
    try:
        checked = messages.validate_command(kind, payload)
    except schema.ConfigSchemaError as exc:
        raise FleetError(422, str(exc)) from None
    if not 1 <= ttl_seconds <= 7 * 86400:
        raise FleetError(422, "a command expires after 1 second to 7 days")
    command = Command(terminal_id=terminal_id, kind=kind, payload=checked,
                      expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds))
    session.add(command)
    session.flush()
    return command


def acknowledge(session: Session, terminal: Terminal, command_id: int, ok: bool,
                result: dict[str, Any]) -> tuple[Command, bool]:
    """Record a command's outcome once; returns the command and whether it was a repeat."""
    command = session.get(Command, command_id, with_for_update=True)
    if command is None or command.terminal_id != terminal.id:
        raise FleetError(404, f"no command {command_id} for this terminal")
    if command.acked_at is not None:
        return command, True
    command.acked_at, command.result = utcnow(), {**result, "ok": ok}
    session.commit()
    return command, False


def receive_outbox(session: Session, terminal: Terminal, items: list[dict[str, Any]],
                   follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
                   offered: RatingReasons = NATIONAL_REASONS) -> tuple[list[str], list[str]]:
    """Store one receipt per new idempotency key, and the ratings and complaints new items
    carry, in one transaction; keys seen before are duplicates. Commits.

    Each receipt keeps when it was delivered and when the terminal queued the item
    (bounded against clock skew); ratings and complaints keep the visitor's time."""
    now = utcnow()
    keys = list(dict.fromkeys(item["key"] for item in items))
    first = {item["key"]: item for item in reversed(items)}  # the first of repeats wins
    for item in first.values():  # a question's text is kept masked, in the receipt too
        if item["kind"] == OutboxKind.USAGE_UNANSWERED:
            item["payload"] = unanswered.scrubbed(item["payload"])
    queued = {key: intake.claimed_time(first[key].get("created_at")) for key in keys}
    # One INSERT .. ON CONFLICT DO NOTHING: atomic even when two processes get the same key.
    dialect: Any = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    stored = set(session.scalars(dialect.insert(OutboxReceipt).values([
        {"idempotency_key": key, "terminal_id": terminal.id, "kind": first[key]["kind"],
         "payload": first[key]["payload"], "received_at": now,
         "occurred_at": acted_at(queued[key], now)} for key in keys])
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxReceipt.idempotency_key)))
    for key in keys:
        if key not in stored:
            continue
        if first[key]["kind"] == OutboxKind.USAGE_UNANSWERED:
            unanswered.store(session, terminal, key, first[key]["payload"],
                             acted_at(queued[key], now))
        elif first[key]["kind"] == OutboxKind.CASE:
            case_intake.apply(session, terminal, key, first[key]["payload"], received=now,
                              queued=queued[key])
        else:
            intake.apply(session, terminal, key, first[key]["kind"], first[key]["payload"],
                         follow_up_days, offered, received=now, queued=queued[key])
    if terminal.hall_id is not None and stored:
        reopen_late_days(session, terminal.hall_id, sorted(stored), now)
    session.commit()
    return [key for key in keys if key in stored], [key for key in keys if key not in stored]


def reopen_late_days(session: Session, hall_id: int, keys: list[str], now: dt.datetime) -> None:
    """Drop the roll-ups of past days that just got a rating or usage event: a terminal
    that was offline delivered it late, and the dashboard counts it on its own day."""
    today = local_day(now)
    ratings = {local_day(as_utc(at)) for at in session.scalars(
        select(Rating.created_at).where(Rating.hall_id == hall_id,
                                        Rating.idempotency_key.in_(keys)))}
    usage = {local_day(as_utc(at)) for at in session.scalars(
        select(OutboxReceipt.occurred_at).where(OutboxReceipt.idempotency_key.in_(keys),
                                                OutboxReceipt.kind.in_(ROLLED_UP_USAGE)))}
    for part, days in ((rollup.RATINGS, ratings), (rollup.USAGE, usage)):
        rollup.reopen(session, hall_id, part, [day for day in days if day < today])
