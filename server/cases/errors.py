"""The refusals of case steps and look-ups, in Chinese and English."""

from __future__ import annotations

from server.errors import ServiceError

MESSAGE_MAX = 500
NOTE_MAX = 2000

MESSAGES: dict[str, tuple[int, str, str]] = {
    "not_found": (404, "没有找到这个案件。请核对案件编号（和手机号码）。",
                  "No such case; check the case code (and the phone number)."),
    "bad_kind": (422, "案件类型无效。", "Unknown case kind."),
    "bad_name": (422, "请填写姓名（最多40个字）。", "Give your name (at most 40 characters)."),
    "bad_phone": (422, "请输入正确的手机号码或带区号的固定电话。",
                  "Give a mobile number or a landline with its area code."),
    "bad_matter": (422, "请简要填写事项（最多200个字）。",
                   "Describe the matter briefly (at most 200 characters)."),
    "bad_details": (422, "申请内容有误：{reason}", "The application is wrong: {reason}"),
    "bad_code": (422, "案件编号格式不对。", "Malformed case code."),
    "wrong_state": (409, "案件当前的状态不能执行此操作（可能已被他人处理），请刷新后查看。",
                    "The case is not in a state for this step (someone may have handled it); "
                    "reload the page."),
    "supervisor_only": (403, "只有本大厅的主管可以执行此操作。",
                        "Only a supervisor of this hall may do this."),
    "bad_assignee": (422, "请选择本大厅的窗口人员或主管。",
                     "Choose a window staff member or supervisor of this hall."),
    "unknown_hall": (422, "没有这个大厅：{hall}。请核对转办去向。",
                     "There is no hall {hall}; check where to transfer to."),
    "same_hall": (422, "不能转办给本大厅。", "A case cannot be transferred to its own hall."),
    "target_required": (422, "请填写转办去向（大厅或部门）。",
                        "Give the hall or department to transfer to."),
    "message_required": (422, "请填写给群众的说明。", "Write the message for the visitor."),
    "too_long": (422, f"说明不能超过{MESSAGE_MAX}个字，备注不能超过{NOTE_MAX}个字。",
                 f"A message has at most {MESSAGE_MAX} characters, a note {NOTE_MAX}."),
    "handled_elsewhere": (409, "投诉建议在“差评回访与投诉”中办理。",
                          "Complaints are handled under Follow-ups."),
    "bad_result": (422, "办理结果无效：{reason}", "The reported result is wrong: {reason}"),
}


class CaseError(ServiceError):
    """A case step or look-up refused; ``code`` is one of MESSAGES."""

    MESSAGES = MESSAGES
