"""Sign in and out through the API: the content CLI and scripts use these routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from server.deps import get_session, get_settings
from server.models import User
from server.security import (
    current_user,
    end_session,
    optional_user,
    read_session,
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

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    """A username and password."""

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    """Who is signed in, and the token to send with unsafe requests (X-CSRF-Token)."""

    username: str
    role: str
    csrf_token: str


@router.post("/session", responses={401: {"description": "wrong username or password"},
                                    429: {"description": "too many failed attempts"},
                                    503: {"description": "too many sign-ins at once"}})
async def sign_in(
    credentials: Credentials,
    request: Request,
    response: Response,
    session: Annotated[Session, Depends(sign_in_session)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
    gate: Annotated[SignInGate, Depends(sign_in_gate)],
) -> SessionInfo:
    """Sign in; sets the session cookie and returns the CSRF token."""
    client = request.client.host if request.client else ""
    try:
        user = await authenticate(session, throttle, gate, credentials.username,
                                  credentials.password, client)
    except LoginThrottled as exc:
        raise HTTPException(status_code=429, detail=exc.message,
                            headers={"Retry-After": str(exc.retry_after)}) from None
    except SignInBusy as exc:
        raise HTTPException(status_code=503, detail=exc.message,
                            headers={"Retry-After": str(exc.retry_after)}) from None
    if user is None:
        raise HTTPException(status_code=401, detail="用户名或密码错误。Wrong username or password.")
    csrf_token = start_session(response, settings, user)
    return SessionInfo(username=user.username, role=user.role, csrf_token=csrf_token)


@router.get("/session", responses={401: {"description": "not signed in"}})
def session_info(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> SessionInfo:
    """The signed-in user and the session's CSRF token."""
    data = read_session(request, settings)
    assert data is not None  # current_user has checked the session
    return SessionInfo(username=user.username, role=user.role, csrf_token=data.csrf_token)


@router.delete("/session", status_code=204, responses={403: {"description": "no CSRF token"}})
def sign_out(
    user: Annotated[User | None, Depends(optional_user)],
    session: Annotated[Session, Depends(get_session)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> Response:
    """Sign out (needs the CSRF token when signed in): ends the user's sessions, removes the
    cookie."""
    if user is not None:  # resolving it checked the CSRF token of a live session
        revoke_sessions(user)
        session.commit()
    response = Response(status_code=204)
    end_session(response, settings)
    return response
