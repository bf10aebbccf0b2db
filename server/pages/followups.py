"""Follow-up web pages: the supervisor's list and item pages (差评回访与投诉), the staff
member's 我的评价 with the 申诉 form, and the public complaint form ``/complain/{hall}``.

Forms post here with the session's CSRF token; each step runs the same workflow as the
API. A refused step shows the page again with the reason and what was typed kept.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.followups import submit_online
from server.cases.models import Case
from server.cases.views import progress_view
from server.deps import PathId, get_session
from server.fleet.queries import local_time
from server.models import Hall, User
from server.pages.language import in_language
from server.pages.rendering import PageRoute, render, templates
from server.rate_limits import RateLimited
from server.ratings import followup_views as views
from server.ratings import workflow
from server.ratings.complaints import CATEGORIES, CONTENT_MAX, ComplaintError
from server.ratings.rules import LEVELS, LEVELS_EN
from server.ratings.workflow import FollowUpError
from server.security import require_role

router = APIRouter(tags=["follow-up pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Handler = Annotated[User, Depends(require_role("staff", "supervisor"))]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
TextField = Annotated[str, Form(max_length=10_000)]
DONE = {"assign": "已指派。", "visit": "回访记录已保存。", "close": "已办结。",
        "appeal": "申诉已提交，等待主管复核。", "decide": "复核意见已保存。"}
STEPS = tuple(DONE)
FIELDS = {"bad_category": "category", "bad_phone": "phone", "content_required": "content",
          "content_too_long": "content"}  # the complaint form field an error is about
STATE_FILTERS = {"active": "未办结", "open": "待回访", "visited": "已回访",
                 "appealed": "申诉复核中", "closed": "已办结", "": "全部"}

templates.env.globals.update(FOLLOW_UP_STATES=workflow.STATES, FOLLOW_UP_KINDS=workflow.KINDS,
                             DECISIONS=workflow.DECISIONS, RATING_LEVELS=LEVELS,
                             RATING_LEVELS_EN=LEVELS_EN,
                             COMPLAINT_CATEGORIES=CATEGORIES)


def _iso_local(value: str | None) -> str:
    """An ISO UTC time from a view, as China Standard Time for the page."""
    return local_time(dt.datetime.fromisoformat(value))[:16] if value else "—"


templates.env.filters.update(iso_local=_iso_local)


def _in_hall(user: User) -> None:
    if user.hall_id is None:
        raise HTTPException(status_code=403, detail="no hall")


@router.get("/followups")
def followups_page(request: Request, session: DbSession, user: Supervisor, state: str = "active",
                   kind: str = "", overdue: str = "", page: int = 1) -> Response:
    """差评回访与投诉: the hall's work items, overdue ones marked, with filters."""
    _in_hall(user)
    state = state if state in STATE_FILTERS else "active"
    kind = kind if kind in workflow.KINDS else ""
    overdue = overdue if overdue in ("1", "0") else ""
    page = min(max(page, 1), 100_000)
    filters = views.Filters(state=state or None, kind=kind or None,
                            overdue={"1": True, "0": False}.get(overdue))
    items, total = views.list_items(session, user, filters, page)
    return render(request, "followups.html", user, nav="followups", items=items, total=total,
                  page=page, pages=max(1, -(-total // views.PAGE_SIZE)),
                  counts=views.counts(session, user), state=state, kind=kind,
                  overdue=overdue, state_filters=STATE_FILTERS, today=workflow.today())


def _detail(request: Request, session: Session, user: User, item_id: int, *, error: str = "",
            status: int = 200, form: dict[str, str] | None = None, done: str = "") -> Response:
    _in_hall(user)
    try:
        item = workflow.load(session, item_id, user)
    except FollowUpError as exc:
        raise HTTPException(status_code=404) from exc
    if user.role != "supervisor" and user.id not in (item.assignee_id, item.staff_id):
        raise HTTPException(status_code=404)
    view = views.item_view(session, item, user)
    context: dict[str, Any] = {"item": view, "form": form or {}, "error": error,
                               "nav": "followups" if user.role == "supervisor" else "mine",
                               "handlers": views.handlers(session, item)
                               if "assign" in view["steps"] else []}
    if done:
        context["done"] = done
    return render(request, "followup.html", user, status, **context)


@router.get("/followups/{item_id}")
def followup_page(request: Request, item_id: PathId, session: DbSession, user: Handler,
                  done: str = "") -> Response:
    """One item: the rating or complaint, the timeline, and a form for each allowed step."""
    return _detail(request, session, user, item_id, done=DONE.get(done, ""))


@router.post("/followups/{item_id}/{step}")
def followup_step(request: Request, item_id: PathId, step: str, session: DbSession,
                  user: Handler, text: TextField = "", assignee_id: Annotated[str, Form()] = "",
                  decision: Annotated[str, Form()] = "") -> Response:
    """Take one step from the item page; back to the page with what happened."""
    if step not in STEPS:
        raise HTTPException(status_code=404)
    form = {"step": step, "text": text, "assignee_id": assignee_id, "decision": decision}
    try:
        item = workflow.load(session, item_id, user, lock=True)
        if step == "assign":
            if not assignee_id.isdigit() or int(assignee_id) > 2**31 - 1:
                raise FollowUpError("bad_assignee")
            workflow.assign(session, item, user, int(assignee_id), text)
        elif step == "decide":
            workflow.decide(session, item, user, decision, text)
        else:
            getattr(workflow, step)(session, item, user, text)
        session.commit()
    except FollowUpError as exc:
        session.rollback()
        if exc.code == "not_found":
            raise HTTPException(status_code=404) from exc
        return _detail(request, session, user, item_id, error=exc.message, status=exc.status,
                       form=form)
    return RedirectResponse(f"/followups/{item_id}?done={step}", status_code=303)


def _mine(request: Request, session: Session, user: User, *, error: str = "", status: int = 200,
          form: dict[str, str] | None = None, done: str = "", page: int = 1,
          bad_only: bool = False) -> Response:
    _in_hall(user)
    ratings, total, bad_total = views.my_ratings(session, user, page, bad_only)
    shown = bad_total if bad_only else total
    form = form or {}
    appealable = {str(r["follow_up"]["id"]) for r in ratings
                  if r["follow_up"] and r["follow_up"]["can_appeal"]}
    context: dict[str, Any] = {"ratings": ratings, "assigned": views.assigned_to(session, user),
                               "form": form, "error": error, "nav": "mine",
                               "total": total, "bad_total": bad_total, "bad_only": bad_only,
                               "page": page, "pages": max(1, -(-shown // views.PAGE_SIZE)),
                               # typed for an appeal no longer possible: shown, not lost
                               "unsaved": form.get("text", "").strip()
                               if form.get("item_id") not in appealable else ""}
    if done:
        context["done"] = done
    return render(request, "followup_mine.html", user, status, **context)


@router.get("/my-ratings")
def my_ratings_page(request: Request, session: DbSession, user: Handler, done: str = "",
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    bad: Annotated[bool, Query()] = False) -> Response:
    """我的评价: the ratings bound to me a page at a time (bad: 差评 only), an 申诉 form on
    bad ones, items assigned to me."""
    return _mine(request, session, user, done=DONE.get(done, ""), page=page, bad_only=bad)


@router.post("/my-ratings/{item_id}/appeal")
def my_rating_appeal(request: Request, item_id: PathId, session: DbSession, user: Handler,
                     text: TextField = "") -> Response:
    """申诉 a bad rating from 我的评价."""
    try:
        item = workflow.load(session, item_id, user, lock=True)
        workflow.appeal(session, item, user, text)
        session.commit()
    except FollowUpError as exc:
        session.rollback()
        return _mine(request, session, user, error=exc.message, status=exc.status,
                     form={"item_id": str(item_id), "text": text})
    return RedirectResponse("/my-ratings?done=appeal", status_code=303)


# -- the public complaint form ------------------------------------------------------------


def _complain_page(request: Request, hall: Hall, *, status: int = 200, error: str = "",
                   error_field: str = "", form: dict[str, str] | None = None,
                   sent: Any = None, case: Any = None) -> HTMLResponse:
    values = {"category": "", "phone": "", "content": "",
              "key": "web-" + secrets.token_urlsafe(18)} | (form or {})
    response = templates.TemplateResponse(
        request, "complain.html", {"hall": hall, "error": error, "error_field": error_field,
                                   "form": values, "sent": sent, "content_max": CONTENT_MAX,
                                   "case": case},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _hall(session: Session, code: str) -> Hall:
    hall = session.scalar(select(Hall).where(Hall.code == code)) if len(code) <= 40 else None
    if hall is None:
        raise HTTPException(status_code=404)
    return hall


@router.get("/complain/{hall_code}")
def complain_form(request: Request, hall_code: str, session: DbSession) -> Response:
    """投诉建议: the form a visitor reaches from the hall's QR code (no account)."""
    return _complain_page(request, _hall(session, hall_code))


@router.post("/complain/{hall_code}")
def complain_submit(request: Request, hall_code: str, session: DbSession,
                    category: Annotated[str, Form(max_length=40)] = "",
                    phone: Annotated[str, Form(max_length=40)] = "",
                    content: TextField = "",
                    key: Annotated[str, Form(max_length=80)] = "") -> Response:
    """Store the complaint; the page's key makes a resubmission (refresh, double tap) land
    on the same complaint."""
    hall = _hall(session, hall_code)
    form = {"category": category, "phone": phone, "content": content, "key": key}
    try:
        complaint, created = submit_online(request, session, hall_code, category, phone,
                                           content, key or None)
    except ComplaintError as exc:
        session.rollback()
        return _complain_page(request, hall, status=422, form=form,
                              error=in_language(request, exc.message_zh, exc.message_en),
                              error_field=FIELDS.get(exc.code, ""))
    except RateLimited as exc:  # the form again, what was typed kept, to send later
        session.rollback()
        response = _complain_page(request, hall, status=429, form=form,
                                  error=in_language(request, exc.message_zh, exc.message_en))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    # Its case code and progress page only to whoever just made it (not on a replayed key).
    case = session.scalar(select(Case).where(Case.complaint_id == complaint.id)) \
        if created else None
    return _complain_page(request, hall, form=form, sent=complaint,
                          case=progress_view(session, case) if case is not None else None)
