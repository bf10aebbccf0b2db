"""The follow-up API: bad-rating follow-ups and complaints of the user's hall, their steps
(指派, 回访, 办结, 申诉, 复核), the holiday calendar, and the public online complaint form.

Staff and supervisors use their session with the CSRF header, like the queue API.
Refusals are JSON ``{"error": code, "message": 中文}``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.text import RefusesNul
from server.api.followup_models import (
    ApiRefusal,
    CalendarCleared,
    CalendarDay,
    CalendarImported,
    CalendarYear,
    ComplaintStored,
    ItemList,
    ItemView,
    MyRatings,
)
from server.deps import MAX_ID, PathId, get_session
from server.models import Hall, User
from server.rate_limits import admit_anonymous
from server.ratings import calendar, workflow
from server.ratings import followup_views as views
from server.ratings.complaints import CATEGORIES, ComplaintError, submit
from server.ratings.models import CalendarDay as CalendarRow
from server.ratings.models import FollowUp
from server.ratings.workflow import FollowUpError
from server.security import require_role

log = logging.getLogger(__name__)
router = APIRouter(tags=["follow-ups"])
DbSession = Annotated[Session, Depends(get_session)]
Handler = Annotated[User, Depends(require_role("staff", "supervisor"))]
def _province_it_admin(user: Annotated[User, Depends(require_role("it_admin"))]) -> User:
    """An IT admin for the whole province: the holiday calendar is the same in every hall,
    so an admin limited to one hall may read it but not change it."""
    if user.hall_id is not None:
        log.warning("it_admin %r of hall #%s refused: the calendar is province-wide",
                    user.username, user.hall_id)
        raise HTTPException(status_code=403, detail="节假日日历由省级运维管理员维护。")
    return user


ItAdmin = Annotated[User, Depends(_province_it_admin)]
ItemId = PathId
TEXT_CAP = 10_000  # beyond the workflow's own limit, which answers in Chinese
StateFilter = Literal["open", "visited", "appealed", "closed", "active"]


class OnlineComplaintError(ComplaintError):
    """ComplaintError, plus what only the online form requires."""

    MESSAGES = {**ComplaintError.MESSAGES,
                "content_required": (422, "请填写投诉或建议的内容。", "Write the complaint.")}


class _Body(RefusesNul):
    model_config = ConfigDict(extra="forbid")


class Assign(_Body):
    """指派: to whom, with an optional note."""

    assignee_id: int = Field(ge=1, le=MAX_ID)
    note: str = Field("", max_length=TEXT_CAP)


class Note(_Body):
    """The text of a step: the 回访 record, the 整改 result, the 申诉 reason."""

    text: str = Field("", max_length=TEXT_CAP)


class Decision(_Body):
    """复核: upheld or overturned, with the supervisor's opinion."""

    decision: str = Field(max_length=20)
    note: str = Field("", max_length=TEXT_CAP)


class CalendarEntry(_Body):
    """A holiday (off) or an adjusted working weekend day."""

    off: bool
    name: str = Field("", max_length=100)


class OnlineComplaint(_Body):
    """A complaint or suggestion written on the phone (the hall's QR code)."""

    category: str = Field(max_length=40)
    phone: str = Field("", max_length=40)
    content: str = Field(max_length=TEXT_CAP)
    idempotency_key: str | None = Field(None, max_length=80)


def refusal(status: int, code: str, message: str) -> JSONResponse:
    """The API's refusal: {"error", "message"} with status."""
    return JSONResponse(status_code=status, content={"error": code, "message": message})


def _refused(error: FollowUpError) -> JSONResponse:
    return JSONResponse(status_code=error.status, content=error.as_json())


def _step(session: Session, user: User, item_id: int, run: Callable[[FollowUp], object]
          ) -> ItemView | JSONResponse:
    """Run one workflow step on the locked item in a transaction; answer with the item."""
    try:
        item = workflow.load(session, item_id, user, lock=True)
        run(item)
        session.commit()
    except FollowUpError as error:
        session.rollback()
        return _refused(error)
    return ItemView.model_validate(views.item_view(session, item, user))


# Refusals: {"error", "message"} with the status.
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiRefusal} for status in (403, 404, 409, 422)}


@router.get("/followups", response_model=ItemList, responses=REFUSED)
def list_followups(session: DbSession, user: Handler,
                   state: StateFilter | None = None,
                   kind: Annotated[Literal["rating", "complaint"] | None, Query()] = None,
                   overdue: bool | None = None,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1
                   ) -> ItemList | JSONResponse:
    """The work items of the user's hall (a staff member: assigned to or about them)."""
    if user.hall_id is None:
        return refusal(403, "no_hall", "您的账号未关联大厅。")
    filters = views.Filters(state=state, kind=kind, overdue=overdue)
    items, total = views.list_items(session, user, filters, page)
    return ItemList.model_validate({
        "items": items, "total": total, "page": page, "page_size": views.PAGE_SIZE,
        "counts": views.counts(session, user), "today": workflow.today().isoformat()})


@router.get("/followups/my-ratings")
def my_ratings(session: DbSession, user: Handler,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1,
               bad: Annotated[bool, Query()] = False) -> MyRatings:
    """One page of the ratings bound to the signed-in staff member (bad: only 差评), with
    the appeal state of bad ones."""
    ratings, total, bad_total = views.my_ratings(session, user, page, bad)
    return MyRatings.model_validate({"ratings": ratings, "total": total, "bad_total": bad_total,
                                     "page": page, "page_size": views.PAGE_SIZE})


@router.get("/followups/{item_id}", response_model=ItemView, responses=REFUSED)
def followup_detail(item_id: ItemId, session: DbSession, user: Handler
                    ) -> ItemView | JSONResponse:
    """One item: its rating or complaint, ticket, service, window, staff and audit trail."""
    try:
        item = workflow.load(session, item_id, user)
    except FollowUpError as error:
        return _refused(error)
    if user.role != "supervisor" and user.id not in (item.assignee_id, item.staff_id):
        return _refused(FollowUpError("not_found"))
    view = views.item_view(session, item, user)
    if "assign" in view["steps"]:
        view["handlers"] = views.handlers(session, item)
    return ItemView.model_validate(view)


@router.post("/followups/{item_id}/assign", response_model=ItemView, responses=REFUSED)
def assign(item_id: ItemId, body: Assign, session: DbSession, user: Handler
          ) -> ItemView | JSONResponse:
    """指派 the item to a staff member or supervisor of the hall (supervisors)."""
    return _step(session, user, item_id, lambda item: workflow.assign(
        session, item, user, body.assignee_id, body.note))


@router.post("/followups/{item_id}/visit", response_model=ItemView, responses=REFUSED)
def visit(item_id: ItemId, body: Note, session: DbSession, user: Handler
          ) -> ItemView | JSONResponse:
    """Record the 回访 (the assignee or a supervisor)."""
    return _step(session, user, item_id,
                 lambda item: workflow.visit(session, item, user, body.text))


@router.post("/followups/{item_id}/close", response_model=ItemView, responses=REFUSED)
def close(item_id: ItemId, body: Note, session: DbSession, user: Handler
          ) -> ItemView | JSONResponse:
    """办结 with the 整改 result, an explanation or the reply to a complaint."""
    return _step(session, user, item_id,
                 lambda item: workflow.close(session, item, user, body.text))


@router.post("/followups/{item_id}/appeal", response_model=ItemView, responses=REFUSED)
def appeal(item_id: ItemId, body: Note, session: DbSession, user: Handler
          ) -> ItemView | JSONResponse:
    """申诉 by the staff member the bad rating is bound to."""
    return _step(session, user, item_id,
                 lambda item: workflow.appeal(session, item, user, body.text))


@router.post("/followups/{item_id}/decide", response_model=ItemView, responses=REFUSED)
def decide(item_id: ItemId, body: Decision, session: DbSession, user: Handler
          ) -> ItemView | JSONResponse:
    """复核 an appeal: upheld or overturned (supervisors)."""
    return _step(session, user, item_id, lambda item: workflow.decide(
        session, item, user, body.decision, body.note))


# -- the holiday calendar (province-wide, so IT manages it) ------------------------------


def _entry(entry: CalendarRow) -> CalendarDay:
    return CalendarDay(day=entry.day.isoformat(), off=entry.off, name=entry.name)


@router.get("/calendar")
def calendar_days(session: DbSession,
                  user: Annotated[User, Depends(require_role("staff", "supervisor",
                                                             "it_admin"))],
                  year: Annotated[int, Query(ge=2000, le=2100)]) -> CalendarYear:
    """The holidays and adjusted working days of a year."""
    entries = calendar.days_between(session, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return CalendarYear(year=year, days=[_entry(entry) for entry in entries])


@router.put("/calendar/{day}", response_model=CalendarDay, responses=REFUSED)
def calendar_set(day: dt.date, body: CalendarEntry, session: DbSession, user: ItAdmin
                 ) -> CalendarDay | JSONResponse:
    """Mark a day as a holiday or an adjusted working day."""
    try:
        entry = calendar.set_day(session, day, body.off, body.name)
        session.commit()
    except calendar.CalendarError as error:
        session.rollback()
        return refusal(422, "bad_calendar", str(error))
    return _entry(entry)


@router.delete("/calendar/{day}", response_model=CalendarCleared, responses=REFUSED)
def calendar_clear(day: dt.date, session: DbSession, user: ItAdmin
                   ) -> CalendarCleared | JSONResponse:
    """Make a day ordinary again."""
    if not calendar.clear_day(session, day):
        return refusal(404, "not_found", "该日期没有设置。")
    session.commit()
    return CalendarCleared(day=day.isoformat(), cleared=True)


@router.post("/calendar/import", response_model=CalendarImported, responses=REFUSED)
def calendar_import(session: DbSession, user: ItAdmin,
                    text: Annotated[str | None, Body(media_type="text/plain",
                                                     max_length=200_000)] = None
                    ) -> CalendarImported | JSONResponse:
    """Import a calendar YAML sent as the body, or the national list shipped with the server."""
    try:
        written = calendar.import_calendar(session, text if text else calendar.SHIPPED)
        session.commit()
    except calendar.CalendarError as error:
        session.rollback()
        return refusal(422, "bad_calendar", str(error))
    return CalendarImported(days=written)


# -- the public online complaint (no account) --------------------------------------------


def submit_online(request: Request, session: Session, hall_code: str, category: str,
                  phone: str, content: str, idempotency_key: str | None) -> tuple[Any, bool]:
    """Store an online complaint for the hall: (complaint, created); raises ComplaintError,
    RateLimited (too many from the address or for the hall), or LookupError for an unknown
    hall. Empty text is refused: online it is all there is."""
    hall = session.scalar(select(Hall).where(Hall.code == hall_code)) if len(
        hall_code) <= 40 else None
    if hall is None:
        raise LookupError(hall_code)
    if category not in CATEGORIES:  # the form's first field: its error comes first
        raise ComplaintError("bad_category")
    if not content.strip():
        raise OnlineComplaintError("content_required")
    admit_anonymous(request, session, "complaint", hall.code)  # before it opens a work item
    complaint, created = submit(session, hall, category=category, phone=phone, content=content,
                                source="online", idempotency_key=idempotency_key or None,
                                follow_up_days=request.app.state.settings.follow_up_days)
    session.commit()
    return complaint, created


@router.post("/complaints/{hall_code}", status_code=201, response_model=ComplaintStored,
             responses={200: {"model": ComplaintStored,
                              "description": "the complaint this idempotency key stored"},
                        **REFUSED})
def online_complaint(hall_code: str, body: OnlineComplaint, request: Request,
                     response: Response, session: DbSession) -> ComplaintStored | JSONResponse:
    """A visitor's complaint or suggestion from the phone; the same idempotency key returns
    the complaint already stored (200). Too many from one address or for one hall: 429."""
    try:
        complaint, created = submit_online(request, session, hall_code, body.category,
                                           body.phone, body.content, body.idempotency_key)
    except LookupError:
        return refusal(404, "unknown_hall", "没有找到这个服务大厅，请核对二维码。")
    except ComplaintError as error:
        session.rollback()
        return refusal(422, error.code, error.message)
    if not created:
        response.status_code = 200
    return ComplaintStored(id=complaint.id, category=complaint.category,
                           category_name=CATEGORIES[complaint.category][0], kind=complaint.kind)
