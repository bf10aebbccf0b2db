"""Accounts and sessions: argon2 passwords, signed session cookies, CSRF, role checks.

A session is a signed, expiring cookie (HttpOnly, SameSite=Lax) that holds the
user's id, their session version and a per-session CSRF token. Signing out, a new
password or a new role bumps the version in the user's row, which ends every session
made before (on every process). Every unsafe request made with a session
must repeat that token in the ``X-CSRF-Token`` header or a ``csrf_token`` form
field. Signed-request terminals never use sessions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.body_limit import form_limits
from server.deps import get_session, get_settings
from server.log_redaction import redact
from server.models import Hall, LoginFailure, User, utcnow
from server.rate_limits import retry_seconds, seconds_until_below
from server.settings import ServerSettings

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

ROLES = {"staff": "窗口人员", "supervisor": "主管", "it_admin": "运维管理员",
         "editor": "内容编辑"}
SESSION_COOKIE = "hallkiosk_session"
SESSION_MAX_AGE = 10 * 3600  # one working day, so a console left open overnight signs out
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MIN_PASSWORD_LENGTH = 8
PRUNE_SECONDS = 10.0  # how often a process deletes failed sign-ins older than the window

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


def mask_username(username: str) -> str:
    """What the logs keep of a typed username (people type passwords there by mistake):
    its first character, ``***`` and its length, never the whole text."""
    first = username[:1] if username[:1].isprintable() else "?"
    return f"{first}***({len(username)})"


def _username_key(username: str) -> str:
    # Hashed: people type passwords into the name field, and PostgreSQL text holds no NUL.
    return hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    """Failed sign-ins per username and per client address within a window, in the database.

    Every server process on one database counts the same rows, so several processes
    behind a load balancer allow no more tries than one. Each failure is a row of its
    own, never a counter changed in place: processes recording failures at the same
    moment each insert a row and no count is lost. A username reaching ``limit``
    failures, or an address reaching ``address_limit`` (whatever the names), is refused
    until its oldest counted failure leaves the window. A good sign-in clears the failures
    of that username only, so signing in to one known account does not reset the count
    of an address guessing other names. Rows older than the window are deleted, at most every
    ``prune_every`` seconds, by the process recording a failure. Times come from the
    servers' clocks, kept in step by NTP as signed terminal requests already require.
    """

    def __init__(self, sessions: sessionmaker[Session], *, limit: int, window: float,
                 address_limit: int, prune_every: float = PRUNE_SECONDS):
        self.sessions = sessions
        self.limit, self.window, self.address_limit = limit, window, address_limit
        self.prune_every = prune_every
        self._pruned_at = -prune_every  # monotonic time of the last prune

    def _wait(self, session: Session, condition: ColumnElement[bool], limit: int,
              now: dt.datetime) -> float:
        """Seconds until fewer than limit failures matching condition remain; 0 if now."""
        return seconds_until_below(session, LoginFailure.failed_at, condition, limit,
                                   self.window, now)

    def _retry_after(self, session: Session, username: str, client: str,
                     now: dt.datetime) -> int:
        wait = self._wait(session, LoginFailure.username_key == _username_key(username),
                          self.limit, now)
        if client:
            wait = max(wait, self._wait(session, LoginFailure.client == client[:64],
                                        self.address_limit, now))
        return retry_seconds(wait)

    def retry_after(self, username: str, client: str = "") -> int:
        """Seconds until username may try again from client; 0 when it may try now."""
        with self.sessions() as session:
            return self._retry_after(session, username, client, utcnow())

    def _count(self, session: Session, condition: ColumnElement[bool], now: dt.datetime) -> int:
        return session.scalar(select(func.count()).select_from(LoginFailure).where(
            condition, LoginFailure.failed_at > now - dt.timedelta(seconds=self.window))) or 0

    def _prune(self, session: Session, now: dt.datetime) -> None:
        if time.monotonic() - self._pruned_at >= self.prune_every:
            self._pruned_at = time.monotonic()
            session.execute(delete(LoginFailure).where(
                LoginFailure.failed_at <= now - dt.timedelta(seconds=self.window)))

    def begin(self, session: Session, username: str, client: str = "") -> tuple[int, User | None]:
        """Count a sign-in attempt as failed before its password is checked, on session
        (committed, so the request holds no connection while the password is hashed).

        Return the id of that failure (``succeeded`` removes it) and the user named, if
        any. Raise LoginThrottled, recording nothing, when this attempt is past the limit
        of its username or of its address. Attempts are counted one at a time per name and
        address (SQLite's write lock; advisory locks on PostgreSQL), so of any number made
        at once exactly ``limit`` get their password checked.
        """
        key, client, now = _username_key(username), client[:64], utcnow()
        if session.get_bind().dialect.name == "postgresql":
            for name in (f"user:{key}", f"client:{client}"):  # always in this order
                lock = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big",
                                      signed=True)
                session.execute(select(func.pg_advisory_xact_lock(lock)))
        failure = LoginFailure(username_key=key, client=client, failed_at=now)
        session.add(failure)
        session.flush()  # on SQLite this takes the write lock until the commit
        over = self._count(session, LoginFailure.username_key == key, now) > self.limit or (
            bool(client) and self._count(session, LoginFailure.client == client, now)
            > self.address_limit)
        if over:
            session.rollback()
            wait = self._retry_after(session, username, client, now)
            session.rollback()
            raise LoginThrottled(max(wait, 1))
        self._prune(session, now)
        # PostgreSQL text cannot hold NUL; such a name can never exist, so do not ask.
        user = (session.scalar(select(User).where(User.username == username))
                if "\x00" not in username else None)
        session.commit()
        return failure.id, user

    def forget(self, session: Session, failure_id: int) -> None:
        """Remove one recorded attempt whose password was never checked (committed)."""
        session.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))
        session.commit()

    def failed(self, username: str, client: str = "") -> None:
        """Record a failed attempt for username from client (committed at once)."""
        now = utcnow()
        with self.sessions() as session:
            session.add(LoginFailure(username_key=_username_key(username), client=client[:64],
                                     failed_at=now))
            self._prune(session, now)
            session.commit()

    def succeeded(self, username: str, session: Session | None = None) -> None:
        """Forget the failures of username after a good sign-in (on session, if given)."""
        if session is None:
            with self.sessions() as own:
                self.succeeded(username, own)
            return
        session.execute(delete(LoginFailure).where(
            LoginFailure.username_key == _username_key(username)))
        session.commit()


async def login_throttle(request: Request) -> LoginThrottle:
    """The application's login throttle, on its database (shared with the other processes)."""
    state = request.app.state
    if not hasattr(state, "login_throttle"):
        settings: ServerSettings = state.settings
        state.login_throttle = LoginThrottle(
            state.database.sessions, limit=settings.login_failures_allowed,
            window=settings.login_failure_window,
            address_limit=settings.login_failures_per_address)
    throttle: LoginThrottle = state.login_throttle
    return throttle


class LoginThrottled(Exception):
    """Too many failed sign-ins for a username or from an address; retry after some seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after
        self.message = (f"登录失败次数过多，请 {retry_after} 秒后再试。"
                        f"Too many failed sign-ins; try again in {retry_after} s.")


class SignInBusy(Exception):
    """Too many passwords waiting to be checked; the client should retry shortly."""

    retry_after = 5
    message = "登录请求过多，请稍后再试。Too many sign-ins at once; please try again shortly."


def hash_workers() -> int:
    """Password checks run at once: one fewer than this process's cores (at least one), so
    a burst of sign-ins always leaves a core for everything else."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


def _lower_priority() -> None:
    # On Linux the nice value belongs to the thread, and argon2's own threads inherit it.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except OSError:  # pragma: no cover - not permitted: run at the normal priority
        pass


class SignInGate:
    """Bounds what sign-ins take from the server while they wait.

    At most ``workers`` argon2 checks run at once, in threads of their own at a lower CPU
    priority (every other request goes first); a sign-in waiting for its turn holds no
    thread and no database connection, and gives up with SignInBusy after ``timeout``
    seconds. The short database steps of a sign-in run at
    most ``database_slots`` at a time, so a burst never takes the whole connection pool
    or the worker threads that other requests (``/api/v1/health``) need.
    """

    def __init__(self, workers: int, timeout: float, database_slots: int = 4):
        self.timeout = timeout
        self._turns = anyio.CapacityLimiter(workers)
        self._hashing = ThreadPoolExecutor(workers, thread_name_prefix="argon2",
                                           initializer=_lower_priority)
        self._database = anyio.CapacityLimiter(database_slots)

    async def database(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """function(*args) in a worker thread, a few sign-ins at a time."""
        return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs),
                                              limiter=self._database)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether password matches the hash; SignInBusy when no turn came in time."""
        turn = False
        with anyio.move_on_after(self.timeout):
            await self._turns.acquire()
            turn = True
        if not turn:
            raise SignInBusy("too many sign-ins waiting to be checked")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._hashing, verify_password, password_hash, password)
        finally:
            self._turns.release()


async def sign_in_gate(request: Request) -> SignInGate:
    """The application's sign-in gate (one per process)."""
    state = request.app.state
    if not hasattr(state, "sign_in_gate"):
        settings: ServerSettings = state.settings
        # SQLite takes one writer at a time: more would only sleep in its busy handler.
        slots = 1 if state.database.engine.dialect.name == "sqlite" else 4
        state.sign_in_gate = SignInGate(settings.login_hash_workers or hash_workers(),
                                        settings.login_queue_timeout, slots)
    gate: SignInGate = state.sign_in_gate
    return gate


async def sign_in_session(request: Request,
                          gate: Annotated[SignInGate, Depends(sign_in_gate)]
                          ) -> AsyncIterator[Session]:
    """The request's own database session for a sign-in, made without a worker thread (a
    session connects only when first used) and closed in one of the gate's slots, so a
    burst of sign-ins does not queue in front of every other request's threads."""
    session = request.app.state.database.sessions()
    try:
        yield session
    finally:
        await gate.database(session.close)


async def authenticate(session: Session, throttle: LoginThrottle, gate: SignInGate,
                       username: str, password: str, client: str = "") -> User | None:
    """The active user with these credentials, or None.

    The attempt is counted as a failure before the password is checked and the count is
    removed when it was right; no connection is held while argon2 runs. Raises
    LoginThrottled when the username or the client address has failed too often (counted
    by every process), SignInBusy when too many checks are waiting.
    """
    masked = mask_username(username)
    try:
        failure_id, user = await gate.database(throttle.begin, session, username, client)
    except LoginThrottled:
        log.warning("sign-in refused for %s from %s: throttled", masked, client or "?")
        raise
    try:
        valid = await gate.verify(user.password_hash if user else _DUMMY_HASH, password)
    except SignInBusy:
        await gate.database(throttle.forget, session, failure_id)
        log.warning("sign-in for %s from %s not checked: too many waiting", masked,
                    client or "?")
        raise
    if user is None or not valid or not user.active:
        log.warning("sign-in failed for %s from %s", masked, client or "?")
        return None
    await gate.database(throttle.succeeded, username, session)
    log.info("user %r (%s) signed in from %s", user.username, user.role, client or "?")
    return user


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
