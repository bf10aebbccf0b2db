"""The follow-up workflow: 差评回访整改 and complaint handling, with 申诉复核.

States of a FollowUp: open (待回访) -> visited (已回访, the 回访 note recorded) -> closed
(已办结, with the 整改 result, an explanation or the reply to a complaint). While a bad
rating's item is not closed, the staff member it is bound to may appeal (申诉): the item
waits in "appealed" until a supervisor upholds the rating (the item goes back to the state
it was in) or overturns it (the item closes and the rating no longer counts in the staff
member's statistics). An overturned rating is recorded on its follow-up
(``appeal_decision == "overturned"``); ``counts_for_staff()`` is the filter for statistics.

Every step writes a FollowUpEvent; a step in the wrong state or by the wrong person raises
FollowUpError with a code and a Chinese message, and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from server.errors import ServiceError
from server.models import User, utcnow
from server.queue.hours import local_day
from server.ratings.models import Complaint, FollowUp, FollowUpEvent, Rating

STATES = {"open": "待回访", "visited": "已回访", "appealed": "申诉复核中", "closed": "已办结"}
KINDS = {"rating": "差评回访", "complaint": "投诉建议"}
EVENTS = {"opened": "创建", "assigned": "指派", "visited": "回访", "closed": "办结",
          "appealed": "申诉", "upheld": "复核：维持评价", "overturned": "复核：撤销评价",
          "commented": "访客补充留言"}
DECISIONS = {"upheld": "维持评价", "overturned": "撤销评价（不计入统计）"}
HANDLERS = ("staff", "supervisor")  # roles a work item can be assigned to
# Complaints about integrity (廉洁纪律) may accuse the window staff themselves: only
# supervisors see and handle them, so the accused is never assigned one.
SUPERVISORS_ONLY = ("integrity",)
NOTE_MAX = 2000


class FollowUpError(ServiceError):
    """A step refused: code for programs, a Chinese and an English message for people."""

    MESSAGES = {
        "not_found": (404, "没有找到该事项。", "No such item."),
        "wrong_state": (409, "该事项当前的状态不能执行此操作（可能已被他人处理），请刷新后查看。",
                        "The item is not in a state for this step (someone may have handled "
                        "it); reload the page."),
        "supervisor_only": (403, "只有本大厅的主管可以执行此操作。",
                            "Only a supervisor of this hall may do this."),
        "not_handler": (403, "只有被指派的人员或主管可以回访和办结。",
                        "Only the assignee or a supervisor may record the visit and close."),
        "own_rating": (403, "不能处理针对自己的评价，请由主管指派他人。",
                       "You cannot handle a rating of yourself; a supervisor assigns another."),
        "not_rated_staff": (403, "只有被评价的工作人员本人可以申诉。",
                            "Only the rated staff member may appeal."),
        "not_a_rating": (409, "投诉建议不能申诉，只有差评可以申诉。",
                         "Complaints cannot be appealed; only bad ratings can."),
        "already_appealed": (409, "该评价已经申诉并复核过，不能再次申诉。",
                             "This rating was already appealed and reviewed."),
        "bad_assignee": (422, "请选择本大厅的窗口人员或主管。",
                         "Choose a window staff member or supervisor of this hall."),
        "supervisors_only": (422, "廉洁纪律类投诉只能指派给主管。",
                             "An integrity complaint can only be assigned to a supervisor."),
        "visit_note_required": (422, "请填写回访记录。", "Write down the follow-up visit."),
        "resolution_required": (422, "请填写整改结果、情况说明或答复内容。",
                                "Write down the resolution, explanation or reply."),
        "reason_required": (422, "请填写申诉理由。", "Give the reason for the appeal."),
        "decision_note_required": (422, "请填写复核意见。", "Write down the review's opinion."),
        "bad_decision": (422, "请选择“维持评价”或“撤销评价”。",
                         "Choose to uphold or to overturn the rating."),
        "too_long": (422, f"填写的内容不能超过{NOTE_MAX}个字。",
                     f"At most {NOTE_MAX} characters."),
    }


def today() -> dt.date:
    """Today in the halls' local time (China Standard Time)."""
    return dt.date.fromisoformat(local_day(utcnow()))


def is_overdue(item: FollowUp, on: dt.date | None = None) -> bool:
    """Not closed and its due date passed before the day `on` (default today)."""
    return item.state != "closed" and item.due_on < (on or today())


def overdue_clause(on: dt.date | None = None) -> ColumnElement[bool]:
    """The SQL condition of is_overdue, for queries."""
    return and_(FollowUp.state != "closed", FollowUp.due_on < (on or today()))


def counts_for_staff() -> ColumnElement[bool]:
    """SQL condition on Rating: false for a rating overturned on appeal (申诉成立), which
    no longer counts in the staff member's statistics."""
    return ~exists(select(FollowUp.id).where(FollowUp.rating_id == Rating.id,
                                             FollowUp.appeal_decision == "overturned"))


def supervisors_only() -> ColumnElement[bool]:
    """SQL condition on FollowUp: an item only supervisors may see (an integrity complaint)."""
    return exists(select(Complaint.id).where(Complaint.id == FollowUp.complaint_id,
                                             Complaint.category.in_(SUPERVISORS_ONLY)))


def is_supervisors_only(session: Session, item: FollowUp) -> bool:
    """Whether only supervisors may see and handle item (an integrity complaint)."""
    if item.complaint_id is None:
        return False
    return session.scalar(select(Complaint.category).where(
        Complaint.id == item.complaint_id)) in SUPERVISORS_ONLY


def load(session: Session, item_id: int, user: User, *, lock: bool = False) -> FollowUp:
    """The work item of the user's hall (locked for update when lock), else not_found; an
    integrity complaint is not found for anyone but a supervisor."""
    query = select(FollowUp).where(FollowUp.id == item_id)
    if lock:
        query = query.with_for_update()
    item = session.scalar(query)
    if item is None or user.hall_id is None or item.hall_id != user.hall_id:
        raise FollowUpError("not_found")
    if user.role != "supervisor" and is_supervisors_only(session, item):
        raise FollowUpError("not_found")
    return item


def _text(value: str, missing: str) -> str:
    value = value.strip()
    if not value:
        raise FollowUpError(missing)
    if len(value) > NOTE_MAX:
        raise FollowUpError("too_long")
    return value


def _event(session: Session, item: FollowUp, kind: str, actor: User, note: str = "",
           **detail: object) -> FollowUpEvent:
    event = FollowUpEvent(follow_up_id=item.id, kind=kind, actor=actor.username, note=note,
                          detail={"user_id": actor.id, "role": actor.role, **detail})
    session.add(event)
    session.flush()
    return event


def _require_state(item: FollowUp, *states: str) -> None:
    if item.state not in states:
        raise FollowUpError("wrong_state")


def _require_supervisor(item: FollowUp, actor: User) -> None:
    if actor.role != "supervisor" or actor.hall_id != item.hall_id:
        raise FollowUpError("supervisor_only")
    if item.kind == "rating" and item.staff_id == actor.id:
        raise FollowUpError("own_rating")


def _require_handler(item: FollowUp, actor: User) -> None:
    if item.kind == "rating" and item.staff_id == actor.id:
        raise FollowUpError("own_rating")
    supervisor = actor.role == "supervisor" and actor.hall_id == item.hall_id
    if not supervisor and (item.assignee_id is None or item.assignee_id != actor.id):
        raise FollowUpError("not_handler")


def assign(session: Session, item: FollowUp, actor: User, assignee_id: int,
           note: str = "") -> FollowUpEvent:
    """指派: a supervisor gives the item to a staff member or supervisor of the hall (never
    to the staff member a bad rating is about; an integrity complaint to supervisors only)."""
    _require_supervisor(item, actor)
    _require_state(item, "open", "visited", "appealed")
    assignee = session.get(User, assignee_id)
    if (assignee is None or not assignee.active or assignee.role not in HANDLERS
            or assignee.hall_id != item.hall_id):
        raise FollowUpError("bad_assignee")
    if item.kind == "rating" and item.staff_id == assignee.id:
        raise FollowUpError("own_rating")
    if assignee.role != "supervisor" and is_supervisors_only(session, item):
        raise FollowUpError("supervisors_only")
    if len(note) > NOTE_MAX:
        raise FollowUpError("too_long")
    previous = item.assignee_id
    item.assignee_id = assignee.id
    return _event(session, item, "assigned", actor, note.strip(), assignee_id=assignee.id,
                  assignee=assignee.username, previous_assignee_id=previous)


def visit(session: Session, item: FollowUp, actor: User, note: str) -> FollowUpEvent:
    """回访: the assignee or a supervisor records the call-back or check (open -> visited)."""
    _require_handler(item, actor)
    _require_state(item, "open")
    note = _text(note, "visit_note_required")
    item.state, item.visit_note, item.visited_at = "visited", note, utcnow()
    _follow_case(session, item, "visited", actor)
    return _event(session, item, "visited", actor, note, state="visited")


def close(session: Session, item: FollowUp, actor: User, resolution: str) -> FollowUpEvent:
    """办结: the 整改 result or explanation, or the reply to a complaint (visited -> closed)."""
    _require_handler(item, actor)
    _require_state(item, "visited")
    resolution = _text(resolution, "resolution_required")
    item.state, item.resolution, item.closed_at = "closed", resolution, utcnow()
    _follow_case(session, item, "closed", actor, resolution)
    return _event(session, item, "closed", actor, resolution, state="closed")


def _follow_case(session: Session, item: FollowUp, step: str, actor: User,
                 message: str = "") -> None:
    """A complaint's case follows its work item (server/cases/complaints.py)."""
    if item.kind == "complaint":
        from server.cases.complaints import follow  # the cases build on this module

        follow(session, item, step, f"{actor.role}:{actor.username}", message)


def appeal(session: Session, item: FollowUp, actor: User, reason: str) -> FollowUpEvent:
    """申诉: the staff member a bad rating is bound to contests it, while not closed."""
    if item.kind != "rating":
        raise FollowUpError("not_a_rating")
    if item.staff_id is None or item.staff_id != actor.id:
        raise FollowUpError("not_rated_staff")
    _require_state(item, "open", "visited")
    if item.appeal_decision:
        raise FollowUpError("already_appealed")
    reason = _text(reason, "reason_required")
    previous = item.state
    item.state, item.appeal_reason = "appealed", reason
    return _event(session, item, "appealed", actor, reason, state="appealed", previous=previous)


def _state_before_appeal(session: Session, item: FollowUp) -> str:
    detail = session.scalar(select(FollowUpEvent.detail).where(
        FollowUpEvent.follow_up_id == item.id, FollowUpEvent.kind == "appealed",
    ).order_by(FollowUpEvent.id.desc()).limit(1))
    previous = (detail or {}).get("previous")
    return previous if previous in ("open", "visited") else "open"


def decide(session: Session, item: FollowUp, actor: User, decision: str,
           note: str) -> FollowUpEvent:
    """复核: a supervisor upholds the rating (the item goes back to where it was) or
    overturns it (the rating stops counting for the staff member; the item closes)."""
    _require_supervisor(item, actor)
    _require_state(item, "appealed")
    if decision not in DECISIONS:
        raise FollowUpError("bad_decision")
    note = _text(note, "decision_note_required")
    item.appeal_decision = decision
    if decision == "upheld":
        item.state = _state_before_appeal(session, item)
    else:
        item.state, item.resolution, item.closed_at = "closed", note, utcnow()
    return _event(session, item, decision, actor, note, state=item.state, decision=decision)


def allowed_steps(item: FollowUp, user: User) -> list[str]:
    """The steps user may take on item now (what the pages offer as forms)."""
    rated = item.kind == "rating" and item.staff_id == user.id
    supervisor = user.role == "supervisor" and user.hall_id == item.hall_id and not rated
    handler = not rated and (supervisor or (item.assignee_id is not None
                                            and item.assignee_id == user.id))
    steps = []
    if supervisor and item.state != "closed":
        steps.append("assign")
    if handler and item.state == "open":
        steps.append("visit")
    if handler and item.state == "visited":
        steps.append("close")
    if rated and item.state in ("open", "visited") and not item.appeal_decision:
        steps.append("appeal")
    if supervisor and item.state == "appealed":
        steps.append("decide")
    return steps
