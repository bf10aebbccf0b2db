"""What IT does to the fleet: accept, reject, revoke, send commands, create tokens and halls.

Each function changes rows in the given session and flushes; the caller commits.
Actions on terminals and halls take the admin's :class:`~server.fleet.scope.FleetScope`:
a terminal outside it raises :class:`FleetNotFound`, a hall outside it is "not found".
Status changes are conditional updates, so two server processes deciding on the
same terminal at once cannot both succeed. Command payloads and enrolment tokens
go through :mod:`server.fleet.commands` and :mod:`server.fleet.enrolment`, the same code the
device API uses.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from protocol import commands as terminal_commands
from protocol.config import ConfigSchemaError
from protocol.enums import Profile
from server.fleet import commands as fleet_commands
from server.fleet import enrolment as fleet_enrolment
from server.fleet.errors import FleetError
from server.fleet.scope import FleetScope
from server.models import Command, EnrolmentToken, Hall, Terminal, utcnow

log = logging.getLogger(__name__)

PROFILES = {Profile.QUERY: "触摸查询机", Profile.ROBOT: "法律服务机器人",
            Profile.DISPENSER: "取号机", Profile.DISPLAY: "叫号屏", Profile.RATER: "评价器"}
COMMAND_KINDS = {"reload_content": "重新加载内容", "restart_app": "重启应用",
                 "test_print": "测试打印", "show_message": "显示消息",
                 "screenshot": "截屏", "set_log_level": "设置日志级别"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
HALL_LEVELS = {"city": "市级中心", "county": "县级中心", "township": "乡镇工作站",
               "village": "村居工作室"}
MAX_MESSAGE_LENGTH = 500
MAX_COMMAND_MINUTES = 24 * 60


class FleetActionError(ValueError):
    """An action that cannot be done, with a message for the console (Chinese)."""


class FleetNotFound(FleetActionError):
    """The terminal does not exist, or not within the admin's scope (the same to them)."""


def _terminal(session: Session, terminal_id: int, scope: FleetScope) -> Terminal:
    terminal = scope.terminal(session, terminal_id)
    if terminal is None:
        raise FleetNotFound("终端不存在")
    return terminal


def _hall(session: Session, hall_id: int, scope: FleetScope) -> Hall:
    hall = scope.hall(session, hall_id)
    if hall is None:
        raise FleetActionError("所选大厅不存在")
    return hall


def _change_status(session: Session, terminal_id: int, allowed: tuple[str, ...],
                   values: dict[str, Any], scope: FleetScope) -> Terminal:
    terminal = _terminal(session, terminal_id, scope)
    changed = session.execute(
        update(Terminal).where(Terminal.id == terminal_id, Terminal.status.in_(allowed),
                               scope.where(Terminal.hall_id))
        .values(**values, decided_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(terminal)
        raise FleetActionError(f"终端当前状态为 {terminal.status}，不能执行此操作")
    session.refresh(terminal)
    return terminal


def accept_terminal(session: Session, terminal_id: int, hall_id: int, profile: str,
                    name: str = "", by: str = "", *, scope: FleetScope) -> Terminal:
    """Accept a pending terminal of the scope into a hall of the scope with a profile."""
    _terminal(session, terminal_id, scope)  # a request the admin cannot see is not found
    if profile not in PROFILES:
        raise FleetActionError("未知的终端类型")
    hall = _hall(session, hall_id, scope)
    terminal = _change_status(session, terminal_id, ("pending",),
                              {"status": "accepted", "hall_id": hall.id, "profile": profile,
                               "name": name.strip()[:100]}, scope)
    log.info("terminal %s accepted into %s as %s by %s", terminal.device_id[:12], hall.code,
             profile, by or "?")
    return terminal


def reject_terminal(session: Session, terminal_id: int, by: str = "",
                    *, scope: FleetScope) -> Terminal:
    """Reject a pending enrolment request of the scope."""
    terminal = _change_status(session, terminal_id, ("pending",), {"status": "rejected"}, scope)
    log.info("terminal %s rejected by %s", terminal.device_id[:12], by or "?")
    return terminal


def revoke_terminal(session: Session, terminal_id: int, by: str = "",
                    *, scope: FleetScope) -> Terminal:
    """Revoke an accepted terminal of the scope; its next request is refused."""
    terminal = _change_status(session, terminal_id, ("accepted",), {"status": "revoked"}, scope)
    log.warning("terminal %s revoked by %s", terminal.device_id[:12], by or "?")
    return terminal


def command_payload(kind: str, text: str = "", level: str = "") -> dict[str, Any]:
    """The checked payload of a command of kind from the console's form fields."""
    if kind not in COMMAND_KINDS:
        raise FleetActionError("未知的指令")
    raw: dict[str, Any] = {}
    if kind == "show_message":
        text = text.strip()
        if not text:
            raise FleetActionError("请输入要显示的消息")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise FleetActionError(f"消息不能超过 {MAX_MESSAGE_LENGTH} 个字符")
        raw = {"text": text}
    elif kind == "set_log_level":
        if level not in LOG_LEVELS:
            raise FleetActionError("请选择日志级别")
        raw = {"level": level}
    try:
        return terminal_commands.validate_command(kind, raw)
    except ConfigSchemaError as exc:
        raise FleetActionError(f"指令参数无效：{exc}") from None


def queue_command(session: Session, terminal_id: int, kind: str, payload: dict[str, Any],
                  expires_minutes: int = 10, by: str = "",
                  *, scope: FleetScope) -> Command:
    """Queue a command for an accepted terminal of the scope, expiring after expires_minutes."""
    terminal = _terminal(session, terminal_id, scope)
    if not 1 <= expires_minutes <= MAX_COMMAND_MINUTES:
        raise FleetActionError(f"有效期须在 1 到 {MAX_COMMAND_MINUTES} 分钟之间")
    if terminal.status != "accepted":
        raise FleetActionError("只能向已接入的终端发送指令")
    try:
        command = fleet_commands.queue_command(session, terminal.id, kind, payload,
                                               ttl_seconds=expires_minutes * 60)
    except FleetError as exc:
        raise FleetActionError(f"指令无效：{exc.message}") from None
    log.info("command %s #%d queued for terminal %s by %s", kind, command.id,
             terminal.device_id[:12], by or "?")
    return command


def create_enrolment_token(session: Session, hall_id: int, profile: str, hours: int,
                           by: str = "", *, scope: FleetScope
                           ) -> tuple[str, EnrolmentToken]:
    """A one-time token for a hall of the scope and a profile (committed); only its hash is
    stored."""
    if profile not in PROFILES:
        raise FleetActionError("未知的终端类型")
    hall = _hall(session, hall_id, scope)
    try:
        text, token = fleet_enrolment.create_enrolment_token(session, hall.id, profile, hours)
    except FleetError as exc:
        raise FleetActionError(exc.message) from None
    log.info("enrolment token #%d for %s/%s created by %s", token.id, hall.code, profile,
             by or "?")
    return text, token


def create_hall(session: Session, code: str, name: str, level: str = "county") -> Hall:
    """Add a hall (not committed)."""
    if level not in HALL_LEVELS:
        raise FleetActionError(f"unknown level {level!r}; one of {', '.join(HALL_LEVELS)}")
    if not code.strip() or len(code) > 40 or not name.strip() or len(name) > 200:
        raise FleetActionError("the code must be 1 to 40 and the name 1 to 200 characters")
    if session.scalar(select(Hall).where(Hall.code == code)) is not None:
        raise FleetActionError(f"hall {code!r} already exists")
    hall = Hall(code=code, name=name, level=level, overlay={})
    session.add(hall)
    session.flush()
    return hall
