"""The web console: sign-in pages and the fleet console for IT (server-rendered, Chinese first).

An IT admin with a hall sees and acts on that hall only (server/fleet/scope.py); a
terminal outside their hall answers 404, as one that does not exist.
"""

from __future__ import annotations

import base64
import io
import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from server.deps import FormId, PathId, get_session, get_settings
from server.fleet import actions as fleet_actions
from server.fleet import queries as fleet_queries
from server.fleet.actions import FleetActionError, FleetNotFound
from server.fleet.scope import FleetScope
from server.models import Hall, User, utcnow
from server.pages.rendering import SERVER_DIR, PageRoute, redirect_with_notice, render
from server.security import (
    end_session,
    optional_user,
    require_role,
    revoke_sessions,
    start_session,
)
from server.settings import ServerSettings
from server.sign_in import (
    LoginThrottle,
    LoginThrottled,
    SignInBusy,
    SignInGate,
    authenticate,
    login_throttle,
    sign_in_gate,
    sign_in_session,
)

log = logging.getLogger(__name__)
STATIC_DIR = SERVER_DIR / "static"
LOGIN_COOKIE = "hallkiosk_login"  # double-submit token of the sign-in form

router = APIRouter(tags=["console"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServerSettings, Depends(get_settings)]
MaybeUser = Annotated[User | None, Depends(optional_user)]


def _it_admin(request: Request, session: DbSession,
              user: Annotated[User, Depends(require_role("it_admin"))]) -> User:
    # The badge in the header: requests this admin may decide.
    request.state.pending_total = fleet_queries.pending_count(session, FleetScope.of(user))
    return user


def _unless_unseen(exc: FleetActionError) -> None:
    # A terminal that does not exist, or not in the admin's hall: the same 404 for both.
    if isinstance(exc, FleetNotFound):
        raise HTTPException(status_code=404) from None


ItAdmin = Annotated[User, Depends(_it_admin)]


def _safe_next(target: str) -> str:
    # Only local paths, so the sign-in form cannot send anyone to another site.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get("/static/{filename}")
def static_file(filename: str) -> FileResponse:
    """A stylesheet or image of the console."""
    path = STATIC_DIR / filename
    if "/" in filename or filename.startswith(".") or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/")
def home(request: Request, user: MaybeUser) -> Response:
    """The start page: IT to the fleet, hall staff to the queue console, editors to content."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role == "it_admin":
        return RedirectResponse("/fleet", status_code=303)
    if user.role in ("staff", "supervisor") and user.hall_id is not None:
        return RedirectResponse("/queue", status_code=303)
    if user.role == "editor":
        return RedirectResponse("/content", status_code=303)
    return render(request, "home.html", user)


def _login_page(request: Request, error: str = "", next_url: str = "/",
                username: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status, error=error, next_url=next_url,
                      username=username, login_token=token)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True,
                        samesite="strict", secure=request.app.state.settings.secure_cookies)
    return response


@router.get("/login")
def login_form(request: Request, user: MaybeUser, next: str = "/") -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login")
async def login(request: Request, settings: Settings,
                session: Annotated[Session, Depends(sign_in_session)],
                throttle: Annotated[LoginThrottle, Depends(login_throttle)],
                gate: Annotated[SignInGate, Depends(sign_in_gate)],
                username: Annotated[str, Form(max_length=80)] = "",
                password: Annotated[str, Form(max_length=1024)] = "",
                login_token: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/") -> Response:
    """Check the credentials, start a session and go on to the page asked for."""
    next_url = _safe_next(next)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), login_token.encode()):
        return _login_page(request, "页面已过期，请重新输入后登录。", next_url, username, 400)
    if not username or not password:
        return _login_page(request, "请输入用户名和密码。", next_url, username, 400)
    client = request.client.host if request.client else ""
    try:
        user = await authenticate(session, throttle, gate, username, password, client)
    except LoginThrottled as exc:
        return _login_page(request, exc.message, next_url, username, 429)
    except SignInBusy as exc:
        busy = _login_page(request, exc.message, next_url, username, 503)
        busy.headers["Retry-After"] = str(exc.retry_after)
        return busy
    if user is None:
        return _login_page(request, "用户名或密码错误。", next_url, username, 401)
    response = RedirectResponse(next_url, status_code=303)
    start_session(response, settings, user)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_form(request: Request, user: MaybeUser) -> Response:
    """A page with the sign-out button (signing out is a POST with the CSRF token)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", user)


@router.post("/logout")
def logout(user: MaybeUser, session: DbSession, settings: Settings) -> Response:
    """End the user's sessions (this browser's and any other)."""
    if user is not None:
        revoke_sessions(user)
        session.commit()
        log.info("user %r signed out", user.username)
    response = RedirectResponse("/login", status_code=303)
    end_session(response, settings)
    return response


@router.get("/fleet")
def fleet(request: Request, user: ItAdmin, session: DbSession, settings: Settings) -> Response:
    """Terminals by hall: online or offline, open alerts."""
    groups = fleet_queries.fleet_overview(session, settings, FleetScope.of(user))
    rows = [row for group in groups for row in group.rows]
    return render(request, "fleet.html", user, groups=groups, total=len(rows),
                  online=sum(row.online for row in rows),
                  alert_total=sum(len(row.alerts) for row in rows),
                  offline_seconds=settings.heartbeat_interval * settings.offline_after_missed)


def _pending_page(request: Request, user: User, session: Session, error: str = "",
                  status: int = 200) -> HTMLResponse:
    scope = FleetScope.of(user)
    return render(request, "pending.html", user, status, error=error,
                  terminals=fleet_queries.pending_terminals(session, scope),
                  halls=fleet_queries.all_halls(session, scope))


@router.get("/fleet/pending")
def pending(request: Request, user: ItAdmin, session: DbSession) -> Response:
    """Enrolment requests waiting for IT, with accept and reject forms."""
    return _pending_page(request, user, session)


@router.post("/fleet/pending/{terminal_id}/accept")
def accept(request: Request, terminal_id: PathId, user: ItAdmin, session: DbSession,
           hall_id: FormId, profile: Annotated[str, Form()],
           name: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Accept a pending terminal into a hall and profile."""
    try:
        fleet_actions.accept_terminal(session, terminal_id, hall_id, profile, name,
                                      by=user.username, scope=FleetScope.of(user))
    except FleetActionError as exc:
        session.rollback()
        _unless_unseen(exc)
        return _pending_page(request, user, session, str(exc), 409)
    session.commit()
    return redirect_with_notice(request, "/fleet/pending", "accepted")


@router.post("/fleet/pending/{terminal_id}/reject")
def reject(request: Request, terminal_id: PathId, user: ItAdmin, session: DbSession) -> Response:
    """Reject a pending enrolment request."""
    try:
        fleet_actions.reject_terminal(session, terminal_id, by=user.username,
                                      scope=FleetScope.of(user))
    except FleetActionError as exc:
        session.rollback()
        _unless_unseen(exc)
        return _pending_page(request, user, session, str(exc), 409)
    session.commit()
    return redirect_with_notice(request, "/fleet/pending", "rejected")


def _terminal_page(request: Request, user: User, session: Session, terminal_id: int,
                   error: str = "", status: int = 200) -> HTMLResponse:
    terminal = FleetScope.of(user).terminal(session, terminal_id)
    if terminal is None or terminal.status == "rejected":
        raise HTTPException(status_code=404)
    settings: ServerSettings = request.app.state.settings
    return render(
        request, "terminal.html", user, status, terminal=terminal, error=error,
        hall=session.get(Hall, terminal.hall_id) if terminal.hall_id else None,
        online=fleet_queries.is_online(terminal, settings, utcnow()),
        health=fleet_queries.health_fields(terminal.health or {}),
        alerts=fleet_queries.open_alerts(session, [terminal.id]).get(terminal.id, []),
        config=fleet_queries.config_fields(session, terminal),
        commands=fleet_queries.terminal_commands(session, terminal.id))


@router.get("/fleet/terminals/{terminal_id}")
def terminal_detail(request: Request, terminal_id: PathId, user: ItAdmin,
                    session: DbSession) -> Response:
    """One terminal: health, versions, screenshot, config, commands."""
    return _terminal_page(request, user, session, terminal_id)


@router.get("/fleet/terminals/{terminal_id}/screenshot.png")
def screenshot(terminal_id: PathId, user: ItAdmin, session: DbSession) -> Response:
    """The last screenshot the terminal uploaded."""
    terminal = FleetScope.of(user).terminal(session, terminal_id)
    if terminal is None or not terminal.screenshot:
        raise HTTPException(status_code=404)
    kind = "image/jpeg" if terminal.screenshot.startswith(b"\xff\xd8") else "image/png"
    return Response(terminal.screenshot, media_type=kind, headers={"Cache-Control": "no-store"})


@router.post("/fleet/terminals/{terminal_id}/commands")
def send_command(request: Request, terminal_id: PathId, user: ItAdmin, session: DbSession,
                 kind: Annotated[str, Form()], text: Annotated[str, Form()] = "",
                 level: Annotated[str, Form()] = "",
                 expires_minutes: Annotated[int, Form()] = 10) -> Response:
    """Queue a command for the terminal."""
    try:
        payload = fleet_actions.command_payload(kind, text, level)
        fleet_actions.queue_command(session, terminal_id, kind, payload, expires_minutes,
                                    by=user.username, scope=FleetScope.of(user))
    except FleetActionError as exc:
        session.rollback()
        _unless_unseen(exc)
        return _terminal_page(request, user, session, terminal_id, str(exc), 400)
    session.commit()
    return redirect_with_notice(request, f"/fleet/terminals/{terminal_id}", "command")


@router.post("/fleet/terminals/{terminal_id}/revoke")
def revoke(request: Request, terminal_id: PathId, user: ItAdmin, session: DbSession,
           confirm: Annotated[str, Form()] = "") -> Response:
    """Revoke the terminal (the form asks for confirmation)."""
    try:
        if confirm != "yes":
            raise FleetActionError("请勾选确认后再吊销。")
        fleet_actions.revoke_terminal(session, terminal_id, by=user.username,
                                      scope=FleetScope.of(user))
    except FleetActionError as exc:
        session.rollback()
        _unless_unseen(exc)
        return _terminal_page(request, user, session, terminal_id, str(exc), 400)
    session.commit()
    return redirect_with_notice(request, f"/fleet/terminals/{terminal_id}", "revoked")


def _tokens_page(request: Request, user: User, session: Session, **context: Any) -> Response:
    settings: ServerSettings = request.app.state.settings
    context.setdefault("error", "")
    scope = FleetScope.of(user)
    return render(request, "tokens.html", user, context.pop("status", 200),
                  halls=fleet_queries.all_halls(session, scope),
                  tokens=fleet_queries.token_rows(session, scope),
                  token_hours=settings.enrolment_token_hours, **context)


@router.get("/fleet/tokens")
def tokens(request: Request, user: ItAdmin, session: DbSession) -> Response:
    """Enrolment tokens and the form to create one."""
    return _tokens_page(request, user, session)


def _qr_data_uri(text: str) -> str:
    from devices.qr import qr_image  # uncached on purpose: the token is a secret

    buffer = io.BytesIO()
    qr_image(text, box_size=8, border=2).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@router.post("/fleet/tokens")
def create_token(request: Request, user: ItAdmin, session: DbSession, settings: Settings,
                 hall_id: FormId, profile: Annotated[str, Form()]) -> Response:
    """Create a one-time enrolment token; its text is shown on this response only."""
    try:
        text, token = fleet_actions.create_enrolment_token(
            session, hall_id, profile, settings.enrolment_token_hours, by=user.username,
            scope=FleetScope.of(user))
    except FleetActionError as exc:
        session.rollback()
        return _tokens_page(request, user, session, error=str(exc), status=400)
    session.commit()
    return _tokens_page(request, user, session, new_token=text, new_token_row=token,
                        new_token_hall=session.get(Hall, token.hall_id), qr=_qr_data_uri(text))
