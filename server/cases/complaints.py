"""Complaints (投诉建议) as cases: every complaint gets a case of kind complaint with its
code, so the visitor can follow it like any other case. The complaint is still worked in
差评回访与投诉 (server/ratings/workflow.py); its steps move the case: 回访 -> 已受理,
办结 -> 已办结 with the reply as the visitor's message (the 回访 note stays internal).
An integrity complaint's case is seen by supervisors only, as its work item is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.cases.models import Case
from server.models import Hall
from server.ratings.complaints import CATEGORIES
from server.ratings.models import Complaint, FollowUp
from server.ratings.workflow import SUPERVISORS_ONLY


def open_for_complaint(session: Session, complaint: Complaint) -> Case:
    """The complaint's case (flushed, not committed), dated when the visitor complained."""
    hall = session.get(Hall, complaint.hall_id)
    assert hall is not None  # the foreign key
    label = CATEGORIES.get(complaint.category, (complaint.category, ""))[0]
    case, _created = case_steps.create(
        session, hall, "complaint", phone=complaint.phone, matter=label,
        details={"category": label, "content": complaint.content},
        source=complaint.source, complaint_id=complaint.id, at=complaint.created_at,
        received_at=complaint.received_at)
    case.supervisors_only = complaint.category in SUPERVISORS_ONLY
    session.flush()
    return case


def follow(session: Session, item: FollowUp, step: str, actor: str, message: str = "") -> None:
    """Move the case of the complaint a work item is about by the item's step."""
    if item.complaint_id is None:
        return
    case = session.scalar(select(Case).where(Case.complaint_id == item.complaint_id))
    if case is None:  # a complaint stored before cases existed
        return
    if step == "visited" and case.state == "submitted":
        case.state = "accepted"
        case_steps._event(session, case, "accepted", actor, "您的投诉建议已受理，正在处理。")
    elif step == "closed" and case.state != "closed":
        if case.state == "submitted":
            case.state = "accepted"
            case_steps._event(session, case, "accepted", actor,
                              case_rules.DEFAULT_MESSAGES["accepted"])
        case.state, case.closed_at = "closed", item.closed_at
        case_steps._event(session, case, "closed", actor,
                          message or case_rules.DEFAULT_MESSAGES["closed"])
