"""Accounts and sessions: argon2 passwords, signed session cookies, CSRF, role checks.

A session is a signed, expiring cookie (HttpOnly, SameSite=Lax) that holds the
user's id, their session version and a per-session CSRF token. Signing out, a new
password or a new role bumps the version in the user's row, which ends every session
made before (on every process). Every unsafe request made with a session
must repeat that token in the ``X-CSRF-Token`` header or a ``csrf_token`` form
field. Signed-request terminals never use sessions.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.body_limit import form_limits
from server.deps import get_session, get_settings
from server.log_redaction import redact
from server.models import Hall, User
from server.settings import ServerSettings

log = logging.getLogger(__name__)

ROLES = {"staff": "窗口人员", "supervisor": "主管", "it_admin": "运维管理员",
         "editor": "内容编辑"}
SESSION_COOKIE = "hallkiosk_session"
SESSION_MAX_AGE = 10 * 3600  # one working day, so a console left open overnight signs out
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """An account that cannot be created as asked, with the reason."""


def hash_password(password: str) -> str:
    """An argon2id hash of password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether password matches the argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str,
                hall_code: str | None = None, *, full_name: str = "", staff_no: str = "") -> User:
    """Add an active user with an argon2 password hash (not committed)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not username.strip() or len(username) > 80:
        raise AccountError("the username must be 1 to 80 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    hall_id = None
    if hall_code is not None:
        hall = session.scalar(select(Hall).where(Hall.code == hall_code))
        if hall is None:
            raise AccountError(f"no hall with code {hall_code!r}")
        hall_id = hall.id
    user = User(username=username, password_hash=hash_password(password), role=role,
                hall_id=hall_id, active=True, full_name=full_name[:40], staff_no=staff_no[:20])
    session.add(user)
    session.flush()
    return user


def revoke_sessions(user: User) -> None:
    """End every session of user, on every server process (not committed)."""
    user.session_version += 1


def set_password(session: Session, user: User, password: str) -> None:
    """Give user a new password and end their sessions (not committed)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    revoke_sessions(user)
    session.flush()


def set_role(session: Session, user: User, role: str, hall_code: str | None = None) -> None:
    """Give user another role (and hall; None: no hall) and end their sessions (not committed)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    hall_id = None
    if hall_code is not None:
        hall = session.scalar(select(Hall).where(Hall.code == hall_code))
        if hall is None:
            raise AccountError(f"no hall with code {hall_code!r}")
        hall_id = hall.id
    user.role, user.hall_id = role, hall_id
    revoke_sessions(user)
    session.flush()


@dataclass(frozen=True)
class SessionData:
    """What a session cookie carries."""

    user_id: int
    csrf_token: str
    version: int  # the user's session_version when it began


def _serializer(settings: ServerSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="hallkiosk-session")


def start_session(response: Response, settings: ServerSettings, user: User) -> str:
    """Set a fresh session cookie for user on response; return its CSRF token."""
    csrf_token = secrets.token_urlsafe(32)
    value = _serializer(settings).dumps({"uid": user.id, "csrf": csrf_token,
                                         "sv": user.session_version})
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, path="/",
                        httponly=True, samesite="lax", secure=settings.secure_cookies)
    return csrf_token


def end_session(response: Response, settings: ServerSettings) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.secure_cookies)


def read_session(request: Request, settings: ServerSettings) -> SessionData | None:
    """The valid, unexpired session of request, or None."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        data = _serializer(settings).loads(value, max_age=SESSION_MAX_AGE)
        return SessionData(user_id=int(data["uid"]), csrf_token=str(data["csrf"]),
                           version=int(data["sv"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


async def _submitted_csrf(request: Request) -> str:
    token = request.headers.get("X-CSRF-Token", "")
    content_type = request.headers.get("content-type", "")
    if not token and content_type.startswith(("application/x-www-form-urlencoded",
                                              "multipart/form-data")):
        form = await request.form(**form_limits(request.app.state.settings))
        field = form.get("csrf_token")
        token = field if isinstance(field, str) else ""
    return token


async def optional_user(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> User | None:
    """The signed-in user or None; an unsafe request without the CSRF token is refused."""
    data = read_session(request, settings)
    if data is None:
        return None
    user = session.get(User, data.user_id)
    if user is None or not user.active or user.session_version != data.version:
        return None  # gone, disabled, or the session was ended (sign-out, password, role)
    if request.method in UNSAFE_METHODS:
        submitted = await _submitted_csrf(request)
        if not secrets.compare_digest(submitted.encode(), data.csrf_token.encode()):
            log.warning("CSRF token missing or wrong: %s %s by %r", request.method,
                        redact(request.url.path), user.username)
            raise HTTPException(status_code=403, detail="CSRF token missing or invalid")
    request.state.csrf_token = data.csrf_token
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user; 401 without a session (pages turn this into a redirect)."""
    if user is None:
        raise HTTPException(status_code=401, detail="not signed in",
                            headers={"WWW-Authenticate": "Cookie"})
    return user


def require_role(*roles: str) -> Callable[[User], User]:
    """A dependency returning the signed-in user when their role is one of roles, else 403."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown)) or '(none given)'}")

    def role_user(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            log.warning("user %r (%s) refused: needs %s", user.username, user.role,
                        " or ".join(roles))
            raise HTTPException(status_code=403, detail="role not allowed")
        return user

    return role_user
