"""Signing in: failed attempts limited per username and per address, and the password
checks run on a few low-priority threads so a burst of sign-ins cannot starve the rest.

A refused sign-in says when to try again (LoginThrottled); a busy gate answers at once
(SignInBusy). Accounts, passwords and sessions themselves are in server/security.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.models import LoginFailure, User, utcnow
from server.rate_limits import retry_seconds, seconds_until_below
from server.security import _DUMMY_HASH, verify_password
from server.settings import ServerSettings

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
PRUNE_SECONDS = 10.0  # how often a process deletes failed sign-ins older than the window


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
