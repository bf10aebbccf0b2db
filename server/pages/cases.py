"""Case pages: the console's 案件办理 list (filters, deadlines) and one case with its
audit trail and a form per step (受理, 需补正, 转办, 办结, 指派), for the staff and
supervisors of the hall that has it; and the visitor's progress page ``/case/<token>``
(from the receipt's QR code, no account) with name and phone masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from server.appointments.views import qr_svg
from server.cases import queries as case_queries
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases import views
from server.cases.errors import CaseError
from server.deps import PathId, get_session
from server.models import Hall, User
from server.pages.rendering import PageRoute, error_page, render, templates
from server.security import require_role

router = APIRouter(tags=["case pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Handler = Annotated[User, Depends(require_role("staff", "supervisor"))]
TextField = Annotated[str, Form(max_length=4000)]
DONE = {"accept": "已受理。", "needs_more": "已通知补正。", "transfer": "已转办。",
        "close": "已办结。", "assign": "已指派。"}
NOT_FOUND = "没有找到这个案件。请核对二维码或链接。"


def _in_hall(user: User) -> None:
    if user.hall_id is None:
        raise HTTPException(status_code=403, detail="no hall")


@router.get("/cases")
def cases_page(request: Request, session: DbSession, user: Handler, state: str = "active",
               kind: str = "", overdue: str = "", mine: str = "", q: str = "",
               page: int = 1, done: str = "") -> Response:
    """案件办理: the hall's cases, the nearest deadline first, with filters."""
    _in_hall(user)
    state = state if state in views.STATE_FILTERS else "active"
    kind = kind if kind in case_rules.KINDS else ""
    overdue = overdue if overdue in ("1", "0") else ""
    page = min(max(page, 1), 100_000)
    filters = views.Filters(state=state, kind=kind, mine=mine == "1", query=q[:40],
                            overdue={"1": True, "0": False}.get(overdue))
    rows, total = views.list_cases(session, user, filters, page)
    query = {"state": state, "kind": kind, "overdue": overdue, "mine": mine, "q": q[:40]}
    return render(request, "cases.html", user, nav="cases", rows=rows, total=total,
                  page=page, pages=max(1, -(-total // views.PAGE_SIZE)),
                  counts=views.counts(session, user), query=query,
                  state_filters=views.STATE_FILTERS, kinds=case_rules.KINDS,
                  today=case_rules.today(), done=DONE.get(done, ""))


def _detail(request: Request, session: Session, user: User, case_id: int, *,
            error: str = "", status: int = 200, form: dict[str, str] | None = None,
            done: str = "") -> Response:
    _in_hall(user)
    try:
        case = case_queries.load(session, case_id, user)
    except CaseError as exc:
        raise HTTPException(status_code=404) from exc
    view = views.case_view(session, case, user)
    halls = [h for h in session.query(Hall).order_by(Hall.code).all() if h.id != case.hall_id]
    return render(request, "case.html", user, status, nav="cases", case=view,
                  form=form or {}, error=error, done=done, step_names=case_rules.STEP_NAMES,
                  detail_names=case_rules.DETAIL_NAMES,
                  handlers=views.handlers(session, case) if "assign" in view["steps"] else [],
                  halls=halls if user.role == "supervisor" else [])


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: PathId, session: DbSession, user: Handler,
              done: str = "") -> Response:
    """One case: the application, the history with actors and notes, a form per step."""
    return _detail(request, session, user, case_id, done=DONE.get(done, ""))


@router.post("/cases/{case_id}/{step}")
def case_step(request: Request, case_id: PathId, step: str, session: DbSession,
              user: Handler, message: TextField = "", note: TextField = "",
              hall: Annotated[str, Form(max_length=40)] = "",
              department: Annotated[str, Form(max_length=200)] = "",
              assignee_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    """Take one step from the case page; back to the page with what happened."""
    if step not in DONE:
        raise HTTPException(status_code=404)
    form = {"step": step, "message": message, "note": note, "hall": hall,
            "department": department}
    try:
        case = case_queries.load(session, case_id, user, lock=True)
        assignee = int(assignee_id) if assignee_id.isdigit() else None
        case_steps.take_step(session, case, user, step, message=message, note=note,
                             hall_code=hall, department=department, assignee_id=assignee)
        session.commit()
    except CaseError as exc:
        session.rollback()
        if exc.code == "not_found":
            raise HTTPException(status_code=404) from exc
        return _detail(request, session, user, case_id, error=exc.message,
                       status=exc.status, form=form)
    if case.hall_id != user.hall_id:  # transferred away: this hall no longer sees it
        return RedirectResponse("/cases?done=transfer", status_code=303)
    return RedirectResponse(f"/cases/{case_id}?done={step}", status_code=303)


@router.get("/case/{token}")
def progress_page(request: Request, token: str, session: DbSession) -> Response:
    """The visitor's progress: the code, its QR code, the state and each step's message."""
    case = case_queries.by_token(session, token)
    if case is None:
        return error_page(request, 404, NOT_FOUND,
                          "No such case. Check the QR code or the link.")
    view: dict[str, Any] = views.progress_view(session, case)
    response = templates.TemplateResponse(
        request, "case_progress.html",
        {"case": view, "qr": qr_svg(str(request.url_for("progress_page", token=token)))})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
