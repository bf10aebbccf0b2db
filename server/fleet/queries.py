"""Read-side queries of the fleet console: overview, pending requests, detail, tokens.

Every list is limited to the admin's :class:`~server.fleet.scope.FleetScope`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.config import pushed_keys
from server.fleet import heartbeats as fleet_heartbeats
from server.fleet import terminal_config as fleet_terminal_config
from server.fleet.scope import FleetScope
from server.models import Alert, Command, EnrolmentToken, Hall, Terminal, as_utc, utcnow
from server.queue.hours import LOCAL_TIME
from server.settings import ServerSettings

COMMAND_STATES = {"queued": "排队中", "delivered": "已送达", "acknowledged": "已确认",
                  "expired": "已过期"}
DEVICE_STATES = {"ok": "正常", "offline": "离线", "disabled": "已停用", "error": "故障"}
CHINA_TIME = LOCAL_TIME  # the halls' time zone (server/queue/hours.py)


def local_time(value: dt.datetime | None) -> str:
    """A stored UTC time as China Standard Time, or a dash."""
    utc = as_utc(value)
    return utc.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S") if utc else "—"


def is_online(terminal: Terminal, settings: ServerSettings, now: dt.datetime) -> bool:
    """Whether an accepted terminal sent a heartbeat within the allowed missed intervals."""
    return terminal.status == "accepted" and fleet_heartbeats.is_online(terminal, now, settings)


@dataclass
class TerminalRow:
    """A terminal on the overview with its online state and open alerts."""

    terminal: Terminal
    online: bool
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class HallGroup:
    """The terminals of one hall (hall None: accepted without a hall)."""

    hall: Hall | None
    rows: list[TerminalRow] = field(default_factory=list)

    @property
    def online_count(self) -> int:
        """Terminals of this hall that are online."""
        return sum(1 for row in self.rows if row.online)


def open_alerts(session: Session, terminal_ids: list[int]) -> dict[int, list[Alert]]:
    """Uncleared alerts per terminal id, newest first."""
    alerts: dict[int, list[Alert]] = defaultdict(list)
    if not terminal_ids:
        return alerts
    query = (select(Alert).where(Alert.terminal_id.in_(terminal_ids), Alert.cleared_at.is_(None))
             .order_by(Alert.raised_at.desc()))
    for alert in session.scalars(query):
        alerts[alert.terminal_id].append(alert)
    return alerts


def fleet_overview(session: Session, settings: ServerSettings, scope: FleetScope,
                   now: dt.datetime | None = None) -> list[HallGroup]:
    """Accepted and revoked terminals of the scope grouped by hall (halls without terminals
    included; terminals without a hall only for the whole province)."""
    now = now or utcnow()
    halls = all_halls(session, scope)
    terminals = list(session.scalars(
        select(Terminal).where(Terminal.status.in_(("accepted", "revoked")),
                               scope.where(Terminal.hall_id))
        .order_by(Terminal.status, Terminal.name, Terminal.id)))
    alerts = open_alerts(session, [t.id for t in terminals])
    groups = {hall.id: HallGroup(hall) for hall in halls}
    homeless = HallGroup(None)
    for terminal in terminals:
        row = TerminalRow(terminal, is_online(terminal, settings, now),
                          alerts.get(terminal.id, []))
        group = groups.get(terminal.hall_id) if terminal.hall_id is not None else None
        (group or homeless).rows.append(row)
    return list(groups.values()) + ([homeless] if homeless.rows else [])


def pending_terminals(session: Session, scope: FleetScope) -> list[Terminal]:
    """Enrolment requests of the scope waiting for a decision, oldest first (requests
    carry no hall, so only a province-wide admin sees them: server/fleet/scope.py)."""
    return list(session.scalars(select(Terminal).where(Terminal.status == "pending",
                                                       scope.where(Terminal.hall_id))
                                .order_by(Terminal.requested_at, Terminal.id)))


def pending_count(session: Session, scope: FleetScope) -> int:
    """How many enrolment requests of the scope wait for a decision."""
    return session.scalar(select(func.count()).select_from(Terminal)
                          .where(Terminal.status == "pending",
                                 scope.where(Terminal.hall_id))) or 0


def all_halls(session: Session, scope: FleetScope) -> list[Hall]:
    """Every hall of the scope, by code."""
    return list(session.scalars(select(Hall).where(scope.where(Hall.id)).order_by(Hall.code)))


def command_state(command: Command, now: dt.datetime) -> str:
    """queued, delivered, acknowledged or expired."""
    if command.acked_at is not None:
        return "acknowledged"
    expires_at = as_utc(command.expires_at)
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "delivered" if command.delivered_at is not None else "queued"


def terminal_commands(session: Session, terminal_id: int, now: dt.datetime | None = None,
                      limit: int = 50) -> list[tuple[Command, str]]:
    """The latest commands of a terminal with their state, newest first."""
    now = now or utcnow()
    commands = session.scalars(select(Command).where(Command.terminal_id == terminal_id)
                               .order_by(Command.id.desc()).limit(limit))
    return [(command, command_state(command, now)) for command in commands]


PAYLOAD_LABELS = {"text": "消息", "seconds": "显示秒数", "level": "级别"}


def payload_text(payload: dict[str, Any] | None) -> str:
    """A command's payload for people: labelled fields, or a dash."""
    items = (payload or {}).items()
    return "；".join(f"{PAYLOAD_LABELS.get(key, key)}：{value}" for key, value in items) or "—"


def result_text(result: dict[str, Any] | None) -> str:
    """A command's acknowledged result: success or failure, then the details."""
    if not result:
        return "—"
    parts = [("成功" if result["ok"] else "失败")] if "ok" in result else []
    parts += [f"{key}: {value}" for key, value in result.items() if key != "ok"]
    return "；".join(parts)


def config_fields(session: Session, terminal: Terminal) -> list[tuple[str, str]]:
    """The terminal's effective settings as (dotted key, shown value), secrets masked."""
    effective = fleet_terminal_config.terminal_settings(session, terminal).model_dump()
    settings = {section: {key: value for key, value in effective[section].items() if key in keys}
                for section, keys in pushed_keys().items()}  # what IT may push, no more
    fields: list[tuple[str, str]] = []

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and value and key != "opening_hours":
                walk(f"{name}.", value)
            elif key.endswith("_hash"):
                fields.append((name, "已设置" if value else "未设置"))
            elif key == "opening_hours":
                fields.append((name, "；".join(f"{day} {' '.join(ranges)}"
                                              for day, ranges in value.items()) or "全天"))
            elif isinstance(value, list):
                fields.append((name, "、".join(str(item) for item in value)))
            else:
                fields.append((name, str(value)))

    walk("", settings)
    return fields


@dataclass
class TokenRow:
    """An enrolment token as listed: its hall and state (active, used, expired)."""

    token: EnrolmentToken
    hall: Hall | None
    state: str


def token_rows(session: Session, scope: FleetScope, now: dt.datetime | None = None,
               limit: int = 200) -> list[TokenRow]:
    """The latest enrolment tokens of the scope, newest first."""
    now = now or utcnow()
    rows: list[TokenRow] = []
    query = (select(EnrolmentToken, Hall).join(Hall, Hall.id == EnrolmentToken.hall_id,
                                                isouter=True)
             .where(scope.where(EnrolmentToken.hall_id))
             .order_by(EnrolmentToken.id.desc()).limit(limit))
    for token, hall in session.execute(query):
        expires_at = as_utc(token.expires_at)
        state = ("used" if token.used_at is not None
                 else "expired" if expires_at is not None and expires_at <= now else "active")
        rows.append(TokenRow(token, hall, state))
    return rows


# Heartbeat fields the detail page names, in order; other fields are listed after them.
HEALTH_LABELS = {
    "app_version": "应用版本", "content_version": "内容版本", "config_version": "配置版本",
    "uptime": "运行时长", "screen": "当前界面", "printer": "打印机", "speech": "语音",
    "disk_free": "可用磁盘", "outbox_size": "待发送队列", "last_error": "最近错误",
    "interval": "心跳间隔（秒）", "screenshot_at": "截图时间",
}
HIDDEN_HEALTH = {"received_at"}  # the same moment as last_seen_at


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days} 天 {hours} 小时" if days else f"{hours} 小时 {minutes} 分"


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)  # pragma: no cover


def _shown(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key in ("uptime", "uptime_s") and isinstance(value, int | float):
        return _duration(value)
    if key in ("disk_free", "disk_free_bytes") and isinstance(value, int | float):
        return _size(value)
    if isinstance(value, dict) and "state" in value:  # a device report: state and message
        state = DEVICE_STATES.get(str(value["state"]), str(value["state"]))
        return f"{state}（{value['message']}）" if value.get("message") else state
    if isinstance(value, dict):
        return "，".join(f"{k}: {v}" for k, v in value.items())
    if key.endswith("_at") and isinstance(value, str):
        try:
            return local_time(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def health_fields(health: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, key, shown value) for each heartbeat field: the named ones, then the rest."""
    aliases = {"uptime_s": "uptime", "disk_free_bytes": "disk_free"}
    values = {aliases.get(key, key): (key, value) for key, value in health.items()
              if key not in HIDDEN_HEALTH}
    fields = [(label, key, _shown(*values[key]) if key in values else "—")
              for key, label in HEALTH_LABELS.items()]
    fields += [(key, key, _shown(key, value)) for key, (_, value) in sorted(values.items())
               if key not in HEALTH_LABELS]
    return fields
