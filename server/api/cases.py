"""The cases API: 办事进度查询 for signed terminals, and the console's JSON steps.

A progress look-up answers one case by its code (and phone number, when given). A code
that does not exist and a code with another phone number are refused alike (404); the
failures are counted per client and per hall, and past the limit every look-up is
refused with 429, a real code too: refusals tell nothing about which codes exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from protocol.cases import CaseProgress, ProgressRequest
from protocol.queue import QueueRefusal
from server.appointments.views import refuse_while_guessing
from server.cases import export as case_export
from server.cases import queries as case_queries
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases.errors import CaseError
from server.cases.views import case_view, progress_view
from server.db import Database
from server.deps import PathId, get_session
from server.models import Hall, RateHit, Terminal, User
from server.rate_limits import RateLimited, admit_anonymous
from server.ratings.export import SIGNATURE_HEADER, TIMESTAMP_HEADER
from server.security import require_role
from server.settings import ServerSettings
from server.terminal_auth import current_terminal

log = logging.getLogger(__name__)
router = APIRouter(prefix="/cases", tags=["cases"])
DbSession = Annotated[Session, Depends(get_session)]
SignedTerminal = Annotated[Terminal, Depends(current_terminal)]
Handler = Annotated[User, Depends(require_role("staff", "supervisor"))]
GUESS = "case-code"  # the rate-limit action: failed look-ups of a case code
REFUSED: dict[int | str, dict[str, Any]] = {
    status: {"model": QueueRefusal, "description": description} for status, description
    in ((404, "no such case (or another phone number)"), (409, "wrong state"),
        (422, "malformed"), (429, "too many failed code look-ups"))}
_ = RateHit  # the look-up failures are rows of rate_hit


def _hall_code(session: Session, terminal: Terminal) -> str:
    hall = session.get(Hall, terminal.hall_id) if terminal.hall_id else None
    return hall.code if hall is not None else "-"


class CaseEventView(BaseModel):
    """One step of a case as staff see it."""

    kind: str
    state: str
    state_name: str
    at: str | None
    message: str = ""
    actor: str = ""
    note: str = ""


class CaseDetail(BaseModel):
    """GET /api/v1/cases/{id}: a case of the user's hall with its audit trail."""

    id: int
    code: str
    kind: str
    kind_name: str
    state: str
    state_name: str
    name: str
    phone: str
    matter: str
    details: dict[str, Any]
    due_on: dt.date
    overdue: bool
    hall: str
    origin_hall: str
    transferred_to: str
    assignee: str
    source: str
    events: list[CaseEventView]
    steps: list[str]
    path: str


class StepDone(BaseModel):
    """The case after a step."""

    id: int
    state: str
    state_name: str
    due_on: dt.date


class ResultsReply(BaseModel):
    """Each reported result's outcome: applied, already or unknown."""

    results: dict[str, str]


@router.post("/progress", responses=REFUSED)
def progress(body: ProgressRequest, request: Request, session: DbSession,
             terminal: SignedTerminal) -> CaseProgress:
    """办事进度查询: the case's state and the message of each step, masked."""
    hall_code = _hall_code(session, terminal)
    refuse_while_guessing(request, session, hall_code, GUESS)
    try:
        case = case_queries.lookup(session, body.code, body.phone)
    except CaseError:
        session.rollback()
        try:
            admit_anonymous(request, session, GUESS, hall_code)
        except RateLimited:
            pass  # the next look-up is refused by refuse_while_guessing
        log.info("hall %s: case look-up refused", hall_code)
        raise
    return CaseProgress.model_validate(progress_view(session, case))


@router.post("/results", responses={200: {"model": ResultsReply}})
async def results(request: Request) -> JSONResponse:
    """A 12348 platform reports what became of exported call-back cases: the body is a
    ``hallkiosk.case-results`` document signed like the export (X-Hallkiosk-Timestamp,
    X-Hallkiosk-Signature with the exporter's secret). Answers each result's outcome."""
    body = await request.body()
    settings: ServerSettings = request.app.state.settings
    try:
        batch = case_export.ResultBatch.model_validate_json(body)
    except ValidationError:
        return JSONResponse({"error": "malformed", "message": "结果格式不正确。"}, 422)
    config = next((c for c in settings.exporters if c.name == batch.exporter and c.cases),
                  None)
    if config is None or not case_export.verify(
            config, request.headers.get(TIMESTAMP_HEADER, ""), body,
            request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("case results refused: unknown exporter or bad signature")
        return JSONResponse({"error": "bad_signature", "message": "签名无效。"}, 401)

    def apply() -> dict[str, str]:
        database: Database = request.app.state.database
        with database.sessions() as session:
            outcome = case_export.apply_results(session, config, batch)
            session.commit()
            return outcome

    return JSONResponse({"results": await run_in_threadpool(apply)})


class StepBody(BaseModel):
    """POST /api/v1/cases/{id}/{step}: a step from the console (受理, 需补正, 转办, 办结,
    指派)."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field("", max_length=2000)
    note: str = Field("", max_length=4000)
    hall: str = Field("", max_length=40)
    department: str = Field("", max_length=200)
    assignee_id: int | None = Field(None, ge=1, le=2**31 - 1)


@router.get("/{case_id}", responses=REFUSED)
def case_detail(case_id: PathId, session: DbSession, user: Handler) -> CaseDetail:
    """One case of the user's hall with its audit trail; 404 for another hall's."""
    return CaseDetail.model_validate(case_view(session, case_queries.load(session, case_id, user),
                                               user))


@router.post("/{case_id}/{step}", responses=REFUSED)
def case_step(case_id: PathId, step: str, body: StepBody, session: DbSession,
              user: Handler) -> StepDone:
    """Take one step on a case of the user's hall."""
    if step not in (*case_rules.STEPS, "assign"):
        raise CaseError("wrong_state")
    try:
        case = case_queries.load(session, case_id, user, lock=True)
        case_steps.take_step(session, case, user, step, message=body.message, note=body.note,
                             hall_code=body.hall, department=body.department,
                             assignee_id=body.assignee_id)
        session.commit()
    except CaseError:
        session.rollback()
        raise
    return StepDone(id=case.id, state=case.state, state_name=case_rules.STATES[case.state][0],
                    due_on=case.due_on)
