"""Server-rendered pages: Jinja2 templates, and routes whose refusals are pages, not JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.db import Database
from server.fleet import actions as fleet_actions
from server.fleet import queries as fleet_queries
from server.models import User
from server.pages.language import VISITOR_PATHS, language_context, visitor_language
from server.security import ROLES, read_session

SERVER_DIR = Path(__file__).resolve().parent.parent  # server/, where templates and static live
# status: (title, title in English, text, text in English)
ERRORS = {400: ("请求无效", "Bad request", "表单内容不完整或格式不对，请返回重试。",
                "The form is incomplete or malformed; go back and try again."),
          403: ("没有权限", "Not allowed", "您的账号角色不能访问此页面。",
                "Your account's role cannot open this page."),
          404: ("页面不存在", "Page not found", "没有找到这个页面，地址可能有误或已被删除。",
                "This page does not exist; the address may be mistyped or removed."),
          410: ("页面已失效", "Page expired", "这个页面已过期或已停用，不能再打开。",
                "This page has expired or was withdrawn."),
          413: ("文件太大", "File too large",
                "上传的文件超过服务器允许的大小（max_upload_bytes），请联系运维人员。",
                "The upload is larger than the server accepts; ask IT.")}
CSRF_ERROR = "安全令牌（CSRF）缺失或无效，请刷新页面后重试。"
FORM_LIMIT_ERRORS = ("Too many fields", "Too many files", "Part exceeded maximum size")
FORM_LIMIT_ERROR = "表单的字段太多或某一项太长，服务器拒绝接收。Too many or too long form fields."
NOTICE_COOKIE = "hallkiosk_notice"  # what the last action did, shown once after its redirect
NOTICES = {"accepted": "终端已接入。", "rejected": "已拒绝该注册请求。", "revoked": "终端已吊销。",
           "command": "指令已加入队列，终端下次心跳时领取。",
           "staff_saved": "公示信息已保存，窗口评价器稍后显示。",
           "photo_saved": "照片已更新，窗口评价器稍后显示。", "photo_removed": "照片已删除。",
           "account_created": "账号已创建。 Account created.",
           "password_reset": "密码已重置，该账号的登录已全部退出。 "
                             "Password reset; signed out everywhere.",
           "account_deactivated": "账号已停用。 Account deactivated.",
           "account_activated": "账号已启用。 Account activated.",
           "password_changed": "密码已修改，其他设备上的登录已退出。 "
                               "Password changed; other sessions ended."}

# One product name per role (page title suffix, brand, English): the same name on every page
# a person uses, and a neutral one on the sign-in page everyone shares.
PRODUCTS = {"": ("公共法律服务", "公共法律服务中心", "staff sign-in"),
            "staff": ("窗口服务", "公共法律服务大厅 窗口服务", "window console"),
            "supervisor": ("大厅管理", "公共法律服务大厅 大厅管理", "hall console"),
            "it_admin": ("终端运维", "公共法律服务终端运维", "fleet console"),
            "editor": ("内容管理", "公共法律服务内容管理", "content console")}

# Visitor pages (VISITOR_PATHS, no account): their refusals use the visitor frame, never the
# staff header, in the visitor's language (server/pages/language.py).
templates = Jinja2Templates(directory=SERVER_DIR / "templates",
                            context_processors=[language_context])


templates.env.filters.update(local_time=fleet_queries.local_time,
                             payload_text=fleet_queries.payload_text,
                             result_text=fleet_queries.result_text)
templates.env.globals.update(
    ROLES=ROLES, PRODUCTS=PRODUCTS, PROFILES=fleet_actions.PROFILES,
    COMMAND_KINDS=fleet_actions.COMMAND_KINDS,
    COMMAND_STATES=fleet_queries.COMMAND_STATES, LOG_LEVELS=fleet_actions.LOG_LEVELS,
    HALL_LEVELS=fleet_actions.HALL_LEVELS,
    ALERT_KINDS={"printer": "打印机", "disk": "磁盘", "sync": "内容同步", "offline": "离线"})


def render(request: Request, name: str, user: User | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """A page from its template, with the user, the CSRF token and the pending count."""
    notice = request.cookies.get(NOTICE_COOKIE)
    context.update(user=user, csrf_token=getattr(request.state, "csrf_token", ""),
                   pending_total=getattr(request.state, "pending_total", None))
    context.setdefault("done", NOTICES.get(notice or "", ""))
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def redirect_with_notice(request: Request, url: str, notice: str) -> RedirectResponse:
    """A 303 redirect to url whose page shows the notice once (one of NOTICES)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(NOTICE_COOKIE, notice, max_age=60, path="/", httponly=True,
                        samesite="lax", secure=request.app.state.settings.secure_cookies)
    return response


def error_page(request: Request, status: int, text: str = "",
               text_en: str = "") -> HTMLResponse:
    """An error page for status (400, 403, 404, 410 or 413) in Chinese and English: in the
    visitor frame on visitor pages, in the console frame elsewhere."""
    status = status if status in ERRORS else 400
    title, title_en, default, default_en = ERRORS[status]
    if request.url.path.startswith(VISITOR_PATHS):
        return visitor_error_page(request, status, text, text_en)
    return render(request, "error.html", _signed_in(request), status, title=title,
                  title_en=title_en,
                  text=text or default, text_en=text_en if text else default_en,
                  code=status)


def _signed_in(request: Request) -> User | None:
    # The person on an error page, so it keeps their own menu and product name; read
    # without the request's dependencies, which may be what failed.
    data = read_session(request, request.app.state.settings)
    if data is None:
        return None
    database: Database = request.app.state.database
    with database.sessions() as session:
        user = session.get(User, data.user_id)
        if user is None or not user.active or user.session_version != data.version:
            return None
        session.expunge(user)
    request.state.csrf_token = data.csrf_token
    return user


def visitor_error_page(request: Request, status: int, text: str = "", text_en: str = "",
                       hall_name: str = "") -> HTMLResponse:
    """A page a visitor's phone could not open, in the visitor frame (no staff menu), in the
    visitor's language (the Chinese text where no English is given)."""
    status = status if status in ERRORS else 404
    title, title_en, default, default_en = ERRORS[status]
    request.state.visitor_page = True
    if visitor_language(request) == "en":
        title, text = title_en, (text_en or text) if text else default_en
    else:
        text = text or default
    response = templates.TemplateResponse(
        request, "visitor_error.html", {"title": title, "text": text, "hall_name": hall_name},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_page(request: Request) -> bool:
    """Whether a refusal should be an HTML page: a browser asking outside the JSON API."""
    path = request.url.path
    return (not path.startswith(("/api/", "/docs", "/openapi.json", "/redoc"))
            and "text/html" in request.headers.get("accept", ""))


class PageRoute(APIRoute):
    """A route for browsers: 401 becomes the sign-in redirect, other refusals error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, turning HTTP errors into pages."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:  # also Starlette's own, e.g. a form's limits
                if exc.status_code == 401:
                    target = request.url.path if request.method == "GET" else "/"
                    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                csrf = exc.status_code == 403 and "CSRF" in str(exc.detail)
                form = exc.status_code == 400 and str(exc.detail).startswith(FORM_LIMIT_ERRORS)
                return error_page(request, exc.status_code, CSRF_ERROR if csrf
                                  else FORM_LIMIT_ERROR if form else "")
            except RequestValidationError:
                # A malformed form is the sender's fault; a malformed path is a page not found.
                return error_page(request, 400 if request.method == "POST" else 404)

        return page_handler
