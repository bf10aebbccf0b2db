"""The supervisor dashboard (统计看板): the hall's figures for a range of days with charts,
CSV and XLSX downloads, and the monthly report (月度报告) as XLSX or a page to print."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from server.analytics import charts, export
from server.analytics.guides import guide_titles
from server.analytics.rows import Figures
from server.analytics.stats import figures as compute_figures
from server.deps import get_session, get_settings
from server.ledger import demand
from server.models import Hall, User, utcnow
from server.pages.rendering import PageRoute, error_page, render, templates
from server.queue.hours import local_now
from server.ratings.rules import LEVELS
from server.ratings.workflow import KINDS, STATES
from server.security import require_role
from server.settings import ServerSettings

router = APIRouter(tags=["dashboard"], route_class=PageRoute, include_in_schema=False)
templates.env.globals.update(DASHBOARD_LEVELS=list(LEVELS.values()), DASHBOARD_KINDS=KINDS,
                             DASHBOARD_STATES=STATES)
DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServerSettings, Depends(get_settings)]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years
# Days the dashboard can count: date arithmetic near year 1 or 9999 overflows, and no hall
# has activity outside these.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
OUT_OF_RANGE = (f"日期须在 {EARLIEST} 至 {LATEST} 之间。"
                f" Dates must be between {EARLIEST} and {LATEST}.")
NO_HALL = "您的账号未关联大厅，无法查看统计。请联系运维管理员。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RangeError(ValueError):
    """A date range that cannot be used, with the reason in Chinese."""


def _today() -> dt.date:
    return local_now(utcnow()).date()


def _within(day: dt.date) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise RangeError(OUT_OF_RANGE)
    return day


def parse_range(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The range asked for; the last 30 days when nothing is asked; RangeError if bad."""
    try:
        last = dt.date.fromisoformat(end) if end else today
        asked = dt.date.fromisoformat(start) if start else None
    except ValueError:
        raise RangeError("日期格式不正确，请按“年-月-日”填写，例如 2026-06-01。") from None
    last = _within(last)
    first = _within(asked) if asked else max(EARLIEST, last - dt.timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise RangeError("开始日期不能晚于结束日期。")
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeError(f"统计期间最长 {MAX_DAYS} 天，请缩短日期范围。")
    return first, last


def parse_month(month: str | None, today: dt.date) -> dt.date:
    """The first day of the month asked for (YYYY-MM); last month when none."""
    if not month:
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise RangeError("月份格式不正确，请按“年-月”填写，例如 2026-06。") from None
    return _within(first)


def _figures(session: Session, settings: ServerSettings, hall: Hall, start: dt.date,
             end: dt.date) -> Figures:
    result = compute_figures(session, hall, start, end, today=_today(),
                             titles=guide_titles(session, settings.storage_dir))
    session.commit()  # keep the roll-ups of the days that are over
    return result


def _download(content: bytes, media_type: str, filename: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


@router.get("/dashboard")
def dashboard(request: Request, session: DbSession, settings: Settings, user: Supervisor,
              start: str | None = None, end: str | None = None, by: str = "") -> Response:
    """The dashboard page for a range of days (default: the last 30 days); by: 需求研判's
    matters counted by "week" or "month" (default: by the range's length)."""
    hall = session.get(Hall, user.hall_id) if user.hall_id else None
    today = _today()
    if hall is None:
        return render(request, "dashboard.html", user, nav="dashboard", figures=None,
                      error=NO_HALL)
    notice = ""
    try:
        first, last = parse_range(start, end, today)
    except RangeError as error:  # show the default range, and say why
        notice, (first, last) = str(error), parse_range(None, None, today)
    started = time.perf_counter()
    result = _figures(session, settings, hall, first, last)
    matters = demand.matters(session, hall.id, first, last, by)
    return render(request, "dashboard.html", user, nav="dashboard", figures=result,
                  charts=charts.all_charts(result), error=notice, today=today,
                  matters=matters, matters_chart=charts.matters_over_time(matters),
                  query=f"start={first.isoformat()}&end={last.isoformat()}",
                  shortcuts=_shortcuts(today), month=parse_month(None, today),
                  elapsed=time.perf_counter() - started, status=400 if notice else 200)


def _shortcuts(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    month_start = today.replace(day=1)
    last_month = export.month_range(month_start - dt.timedelta(days=1))
    return [("近7天", today - dt.timedelta(days=6), today),
            ("近30天", today - dt.timedelta(days=29), today),
            ("本月", month_start, today), ("上月", *last_month),
            ("近一年", today - dt.timedelta(days=364), today)]


def _hall_or_error(request: Request, session: Session, user: User) -> Hall | Response:
    hall = session.get(Hall, user.hall_id) if user.hall_id else None
    return hall if hall is not None else error_page(request, 403, NO_HALL)


@router.get("/dashboard/export.{fmt}")
def export_range(request: Request, session: DbSession, settings: Settings, user: Supervisor,
                 fmt: str, start: str | None = None, end: str | None = None) -> Response:
    """The figures of a range as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        return error_page(request, 404)
    hall = _hall_or_error(request, session, user)
    if isinstance(hall, Response):
        return hall
    try:
        first, last = parse_range(start, end, _today())
    except RangeError as error:
        return error_page(request, 400, str(error))
    result = _figures(session, settings, hall, first, last)
    name = f"统计-{hall.code}-{first.isoformat()}-{last.isoformat()}"
    if fmt == "csv":
        return _download(export.to_csv(result), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(export.to_xlsx(result, "统计报表"), XLSX, f"{name}.xlsx")


def _month_figures(request: Request, session: Session, settings: ServerSettings, user: User,
                   month: str | None) -> tuple[Hall, dt.date, Figures] | Response:
    """The hall, first day and figures of the requested month, or the error page."""
    hall = _hall_or_error(request, session, user)
    if isinstance(hall, Response):
        return hall
    try:
        first = parse_month(month, _today())
    except RangeError as error:
        return error_page(request, 400, str(error))
    return hall, first, _figures(session, settings, hall, *export.month_range(first))


@router.get("/dashboard/report.xlsx")
def monthly_report(request: Request, session: DbSession, settings: Settings, user: Supervisor,
                   month: str | None = None) -> Response:
    """The monthly report (月度报告) of a calendar month as XLSX."""
    found = _month_figures(request, session, settings, user, month)
    if isinstance(found, Response):
        return found
    hall, first, result = found
    return _download(export.to_xlsx(result, export.month_title(first)), XLSX,
                     f"月度报告-{hall.code}-{first:%Y-%m}.xlsx")


@router.get("/dashboard/report")
def monthly_print(request: Request, session: DbSession, settings: Settings, user: Supervisor,
                  month: str | None = None) -> Response:
    """The monthly report as a page to print, with its charts."""
    found = _month_figures(request, session, settings, user, month)
    if isinstance(found, Response):
        return found
    _hall, first, result = found
    return render(request, "dashboard_report.html", user, nav="dashboard", figures=result,
                  charts=charts.all_charts(result), title=export.month_title(first),
                  sections=export.sections(result), month=first)
