"""服务台账 for the hall's supervisor: the entries the windows registered, listed, searched
and filtered a page at a time (``/ledger``), one entry with its ticket, rating and case
(``/ledger/<id>``), the filtered list as XLSX, and the monthly archive (立卷归档) as one
workbook per month. A supervisor sees their own hall only; anyone else is refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from server.deps import PathId, get_session
from server.fleet.queries import local_time
from server.ledger import export, views
from server.ledger.views import Filters
from server.models import Hall, User, utcnow
from server.pages.dashboard import (
    XLSX,
    RangeError,
    _download,
    _today,
    parse_month,
    parse_range,
)
from server.pages.rendering import PageRoute, error_page, render
from server.security import require_role

router = APIRouter(tags=["ledger"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
NO_HALL = "您的账号未关联大厅，无法查看服务台账。请联系运维管理员。"
EXPORT_MAX = 50_000  # rows of one list export; the monthly archive has no limit
TOO_MANY = (f"符合条件的台账超过 {EXPORT_MAX} 条，请缩小日期范围或增加筛选条件后再导出；"
            "按月归档请用“月度归档”。")


def _hall(session: Session, user: User) -> Hall:
    hall = session.get(Hall, user.hall_id) if user.hall_id else None
    if hall is None:
        raise HTTPException(status_code=403, detail="no hall")
    return hall


def _id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _filters(start: str | None, end: str | None, window: str, staff: str, service: str,
             result: str, q: str) -> tuple[Filters, str]:
    """The filters asked for, and why the range was replaced by the default if it was."""
    notice = ""
    try:
        first, last = parse_range(start, end, _today())
    except RangeError as error:
        notice, (first, last) = str(error), parse_range(None, None, _today())
    return Filters(first, last, _id(window), _id(staff), _id(service),
                   result if result in views.RESULT_FILTERS else "",
                   " ".join(q.split())[:views.QUERY_MAX]), notice


def _described(filters: Filters, options: views.Options) -> str:
    """The filters in words, for the export's heading."""
    parts = [f"期间：{filters.start.isoformat()} 至 {filters.end.isoformat()}"]
    for label, chosen, choices in (("窗口", filters.window_id, options.windows),
                                   ("接待人员", filters.staff_id, options.staff),
                                   ("业务类别", filters.service_id, options.services)):
        if chosen is not None:
            parts.append(f"{label}：{dict(choices).get(chosen, '—')}")
    if filters.result:
        parts.append(f"办理结果：{views.RESULT_FILTERS[filters.result]}")
    if filters.q:
        parts.append(f"搜索：{filters.q}")
    return " · ".join(parts)


@router.get("/ledger")
def ledger_page(request: Request, session: DbSession, user: Supervisor,
                start: str | None = None, end: str | None = None, window: str = "",
                staff: str = "", service: str = "", result: str = "", q: str = "",
                page: int = 1) -> Response:
    """The hall's ledger, newest first, filtered; 50 entries a page."""
    if user.hall_id is None:
        return render(request, "ledger.html", user, nav="ledger", entries=None, error=NO_HALL)
    hall = _hall(session, user)
    filters, notice = _filters(start, end, window[:12], staff[:12], service[:12], result[:12],
                               q[:1000])
    page = min(max(page, 1), 100_000)
    entries, total = views.page_of(session, hall.id, filters, page)
    today = _today()
    return render(request, "ledger.html", user, 400 if notice else 200, nav="ledger",
                  hall=hall, entries=entries, total=total, page=page,
                  pages=max(1, -(-total // views.PAGE_SIZE)), filters=filters,
                  query=filters.query(), options=views.options(session, hall.id),
                  result_filters=views.RESULT_FILTERS, error=notice,
                  month=(today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))


@router.get("/ledger/export.xlsx")
def ledger_export(request: Request, session: DbSession, user: Supervisor,
                  start: str | None = None, end: str | None = None, window: str = "",
                  staff: str = "", service: str = "", result: str = "",
                  q: str = "") -> Response:
    """The filtered list as XLSX (names and phones masked)."""
    hall = _hall(session, user)
    try:
        parse_range(start, end, _today())
    except RangeError as error:
        return error_page(request, 400, str(error))
    filters, _notice = _filters(start, end, window[:12], staff[:12], service[:12],
                                result[:12], q[:1000])
    if views.count(session, hall.id, filters) > EXPORT_MAX:
        return error_page(request, 400, TOO_MANY)
    entries = list(session.scalars(views.filtered(hall.id, filters)))
    rows = views.rows(session, entries, masked=True)
    content = export.list_xlsx(hall.name, _described(filters, views.options(session, hall.id)),
                               rows)
    name = f"服务台账-{hall.code}-{filters.start.isoformat()}-{filters.end.isoformat()}.xlsx"
    return _download(content, XLSX, name)


@router.get("/ledger/archive.xlsx")
def ledger_archive(request: Request, session: DbSession, user: Supervisor,
                   month: str | None = None) -> Response:
    """立卷归档: the month's ledger as one workbook (summary sheet and every entry)."""
    hall = _hall(session, user)
    try:
        first = parse_month(month, _today())
    except RangeError as error:
        return error_page(request, 400, str(error))
    following = (first + dt.timedelta(days=32)).replace(day=1)
    entries = views.month_entries(session, hall.id, first, following - dt.timedelta(days=1))
    rows = views.rows(session, entries, masked=True)
    content = export.archive_xlsx(hall.name, hall.code, first, rows,
                                  user.full_name or user.username, local_time(utcnow())[:16])
    return _download(content, XLSX, f"服务台账归档-{hall.code}-{first:%Y-%m}.xlsx")


@router.get("/ledger/{entry_id}")
def ledger_entry(request: Request, entry_id: PathId, session: DbSession,
                 user: Supervisor) -> Response:
    """One entry in full, with its ticket's record, the visitor's rating and the case."""
    hall = _hall(session, user)
    entry = views.entry_view(session, hall.id, entry_id)
    if entry is None:
        raise HTTPException(status_code=404)
    return render(request, "ledger_entry.html", user, nav="ledger", entry=entry)
