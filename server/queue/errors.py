"""The one queue error: a code for programs, a message in Chinese and English for people."""

from __future__ import annotations

from server.errors import ServiceError

MESSAGES: dict[str, tuple[int, str, str]] = {
    "unknown_service": (404, "没有这项业务，请重新选择。", "No such service; please choose again."),
    "service_closed": (409, "该业务现在不在办理时间。", "This service is closed now."),
    "daily_cap": (409, "该业务今日号码已取完，请明天再来或拨打12348咨询。",
                  "Today's tickets for this service are all taken; please come back tomorrow "
                  "or call 12348."),
    "bad_priority": (422, "排队类型无效。", "Unknown queue type."),
    "bad_appointment": (422, "预约优先只能凭有效预约签到取号。",
                        "Appointment priority needs a check-in with a valid booking."),
    "unknown_window": (404, "没有这个窗口。", "No such window."),
    "unknown_ticket": (404, "没有这个号码。", "No such ticket."),
    "window_taken": (409, "该窗口已由其他工作人员登录。", "Another staff member runs this window."),
    "not_your_window": (403, "请先登录该窗口。", "Sign in to this window first."),
    "window_paused": (409, "窗口已暂停服务，请先恢复。", "The window is paused; resume it first."),
    "window_closed": (409, "窗口未开放。", "The window is closed."),
    "window_busy": (409, "请先办结、过号或挂起当前号码。",
                    "Finish, skip or hold the current ticket first."),
    "queue_empty": (409, "当前没有等候的号码。", "Nobody is waiting."),
    "not_served_here": (409, "该窗口不办理这项业务。", "This window does not handle that service."),
    "wrong_state": (409, "该号码当前状态不能执行此操作（可能已被其他窗口处理）。",
                    "The ticket's state does not allow this (another window may have acted)."),
    "was_no_show": (409, "该号码已过号。访客回来后，请在“今日过号”中回呼。",
                    "That ticket was marked absent; call it back from today's absent list."),
    "undo_expired": (409, "已超过撤销时间。访客回来后，请在“今日过号”中回呼。",
                     "Too late to undo; call the ticket back from today's absent list."),
    "reason_required": (422, "请填写暂停原因。", "Give a reason for the pause."),
    "transfer_target": (422, "请选择转移到的业务或窗口。", "Choose a service or window to "
                        "transfer to."),
    "bad_visitor": (422, "登记信息不完整或格式不对。", "The visitor registration is incomplete "
                    "or malformed."),
    "no_hall": (403, "您的账号未关联大厅。", "Your account belongs to no hall."),
    "unknown_help": (404, "没有这条求助。", "No such call for help."),
}


class QueueError(ServiceError):
    """A queue action refused; ``code`` is one of MESSAGES."""

    MESSAGES = MESSAGES
