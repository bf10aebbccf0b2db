"""Terminal heartbeats: health stored, alerts raised and cleared, a reply with settings and
commands; and whether a terminal counts as online.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from protocol import commands as messages
from protocol import config as schema
from server.fleet.terminal_config import effective_config
from server.models import Alert, Command, Terminal, as_utc, utcnow
from server.settings import ServerSettings

log = logging.getLogger(__name__)
HEALTH_ALERTS = ("printer", "disk", "sync")
_STORE_HEALTH = (update(Terminal).where(Terminal.id == bindparam("terminal"))
                 .values(health=bindparam("health", type_=Terminal.health.type),
                         last_seen_at=bindparam("now", type_=Terminal.last_seen_at.type)))


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
    config, version = effective_config(session, terminal)
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


def is_online(terminal: Terminal, now: dt.datetime, settings: ServerSettings) -> bool:
    """Whether the terminal was heard from within its allowed number of missed heartbeats."""
    if terminal.last_seen_at is None:
        return False
    interval = (terminal.health or {}).get("interval") or settings.heartbeat_interval
    allowed = dt.timedelta(seconds=interval * settings.offline_after_missed)
    return now - as_utc(terminal.last_seen_at) <= allowed
