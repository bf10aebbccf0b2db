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

from server.fleet import actions as fleet_actions
from server.fleet import queries as fleet_queries
from server.models import User
from server.security import ROLES

SERVER_DIR = Path(__file__).resolve().parent.parent  # server/, where templates and static live
ERRORS = {400: ("请求无效", "表单内容不完整或格式不对，请返回重试。"),
          403: ("没有权限", "您的账号角色不能访问此页面。"),
          404: ("未找到", "页面或终端不存在。"),
          413: ("文件太大", "上传的文件超过服务器允许的大小（max_upload_bytes），请联系运维人员。")}
CSRF_ERROR = "安全令牌（CSRF）缺失或无效，请刷新页面后重试。"
FORM_LIMIT_ERRORS = ("Too many fields", "Too many files", "Part exceeded maximum size")
FORM_LIMIT_ERROR = "表单的字段太多或某一项太长，服务器拒绝接收。Too many or too long form fields."
NOTICE_COOKIE = "hallkiosk_notice"  # what the last action did, shown once after its redirect
NOTICES = {"accepted": "终端已接入。", "rejected": "已拒绝该注册请求。", "revoked": "终端已吊销。",
           "command": "指令已加入队列，终端下次心跳时领取。",
           "staff_saved": "公示信息已保存，窗口评价器稍后显示。",
           "photo_saved": "照片已更新，窗口评价器稍后显示。", "photo_removed": "照片已删除。"}

templates = Jinja2Templates(directory=SERVER_DIR / "templates")


templates.env.filters.update(local_time=fleet_queries.local_time,
                             payload_text=fleet_queries.payload_text,
                             result_text=fleet_queries.result_text)
templates.env.globals.update(
    ROLES=ROLES, PROFILES=fleet_actions.PROFILES, COMMAND_KINDS=fleet_actions.COMMAND_KINDS,
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


def error_page(request: Request, status: int, text: str = "") -> HTMLResponse:
    """A Chinese error page for status (400, 403, 404 or 413)."""
    status = status if status in ERRORS else 400
    title, default = ERRORS[status]
    return render(request, "error.html", None, status, title=title, text=text or default)


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
