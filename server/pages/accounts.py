"""Accounts on the web: IT lists, creates, resets and deactivates accounts (/accounts), and
every user changes their own password (/account/password).

Every change ends the account's sessions (server/security.py ``set_password``,
``revoke_sessions``) and is written to the ``hallkiosk.audit`` log with who did it. An IT
admin with a hall sees and manages that hall's accounts only; others answer 404.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.deps import PathId, get_session, get_settings
from server.fleet import queries as fleet_queries
from server.fleet.scope import FleetScope
from server.models import Hall, User
from server.pages.console import ItAdmin
from server.pages.rendering import PageRoute, redirect_with_notice, render
from server.security import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    create_user,
    current_user,
    revoke_sessions,
    set_password,
    start_session,
    verify_password,
)
from server.settings import ServerSettings

audit = logging.getLogger("hallkiosk.audit")
router = APIRouter(tags=["accounts"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
SignedIn = Annotated[User, Depends(current_user)]
Password = Annotated[str, Form(max_length=1024)]
ACCOUNT_ERRORS = {  # AccountError's English reasons, for people
    "the password must": f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。",
    "already exists": "该用户名已被使用，请换一个。",
    "the username must": "用户名需要1到80个字符。",
    "no hall": "没有这个大厅编码。",
    "unknown role": "请选择角色。",
}


def _chinese(error: AccountError) -> str:
    text = str(error)
    chinese = next((zh for key, zh in ACCOUNT_ERRORS.items() if key in text), "账号无法保存。")
    return f"{chinese} {text[:1].upper()}{text[1:]}."


def _accounts_page(request: Request, user: User, session: Session, *, error: str = "",
                   form: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    scope = FleetScope.of(user)
    accounts = session.scalars(select(User).where(scope.where(User.hall_id))
                               .order_by(User.active.desc(), User.username)).all()
    halls = fleet_queries.all_halls(session, scope)
    return render(request, "accounts.html", user, status, nav="accounts", error=error,
                  accounts=accounts, halls=halls,
                  hall_names={hall.id: hall.name for hall in halls},
                  form=form or {}, min_password=MIN_PASSWORD_LENGTH)


def _account(session: Session, user: User, account_id: int) -> User:
    account = session.get(User, account_id)
    if account is None or not FleetScope.of(user).covers(account.hall_id):
        raise HTTPException(status_code=404)
    return account


@router.get("/accounts")
def accounts(request: Request, user: ItAdmin, session: DbSession) -> Response:
    """Every account IT may manage: name, role, hall, active."""
    return _accounts_page(request, user, session)


@router.post("/accounts")
def create_account(request: Request, user: ItAdmin, session: DbSession,
                   username: Annotated[str, Form(max_length=80)] = "",
                   full_name: Annotated[str, Form(max_length=40)] = "",
                   role: Annotated[str, Form(max_length=20)] = "",
                   hall_code: Annotated[str, Form(max_length=40)] = "",
                   password: Password = "") -> Response:
    """Create an account with a role and a hall (an IT admin with a hall: that hall)."""
    form = {"username": username, "full_name": full_name, "role": role, "hall_code": hall_code}
    own_hall = session.get(Hall, user.hall_id) if user.hall_id is not None else None
    if own_hall is not None and hall_code != own_hall.code:
        hall_code = own_hall.code  # the only hall this admin may give
    try:
        created = create_user(session, username.strip(), password, role, hall_code or None,
                              full_name=full_name.strip())
    except AccountError as exc:
        session.rollback()
        return _accounts_page(request, user, session, error=_chinese(exc), form=form,
                              status=422)
    session.commit()
    audit.info("account %r (%s, hall %s) created by %r", created.username, role,
               hall_code or "-", user.username)
    return redirect_with_notice(request, "/accounts", "account_created")


@router.post("/accounts/{account_id}/password")
def reset_password(request: Request, account_id: PathId, user: ItAdmin, session: DbSession,
                   password: Password = "") -> Response:
    """Give the account a new password; its sessions end."""
    account = _account(session, user, account_id)
    try:
        set_password(session, account, password)
    except AccountError as exc:
        session.rollback()
        return _accounts_page(request, user, session, error=_chinese(exc), status=422)
    session.commit()
    audit.info("password of %r reset by %r", account.username, user.username)
    return redirect_with_notice(request, "/accounts", "password_reset")


@router.post("/accounts/{account_id}/active")
def set_active(request: Request, account_id: PathId, user: ItAdmin, session: DbSession,
               active: Annotated[bool, Form()] = False) -> Response:
    """Deactivate an account (its sessions end at once) or activate it again."""
    account = _account(session, user, account_id)
    if account.id == user.id and not active:
        return _accounts_page(request, user, session, status=409,
                              error="不能停用自己正在使用的账号。 You cannot deactivate yourself.")
    account.active = active
    revoke_sessions(account)
    session.commit()
    audit.info("account %r %s by %r", account.username,
               "activated" if active else "deactivated", user.username)
    return redirect_with_notice(request, "/accounts",
                                "account_activated" if active else "account_deactivated")


def _password_page(request: Request, user: User, error: str = "",
                   status: int = 200) -> HTMLResponse:
    return render(request, "password.html", user, status, nav="password", error=error,
                  min_password=MIN_PASSWORD_LENGTH)


@router.get("/account/password")
def password_form(request: Request, user: SignedIn) -> Response:
    """The form where the signed-in user changes their own password."""
    return _password_page(request, user)


@router.post("/account/password")
def change_password(request: Request, user: SignedIn, session: DbSession,
                    settings: Annotated[ServerSettings, Depends(get_settings)],
                    current: Password = "", new: Password = "",
                    repeat: Password = "") -> Response:
    """Check the current password, set the new one, end every other session and keep this
    browser signed in with a fresh one."""
    if not verify_password(user.password_hash, current):
        audit.warning("password change of %r refused: wrong current password", user.username)
        return _password_page(request, user, "当前密码不正确。 The current password is wrong.",
                              403)
    if new != repeat:
        return _password_page(request, user,
                              "两次输入的新密码不一致。 The new passwords do not match.", 422)
    try:
        set_password(session, user, new)
    except AccountError as exc:
        session.rollback()
        return _password_page(request, user, _chinese(exc), 422)
    session.commit()
    audit.info("user %r changed their password", user.username)
    response: RedirectResponse = redirect_with_notice(request, "/account/password",
                                                      "password_changed")
    start_session(response, settings, user)
    return response
