"""The refusals of booking, cancelling and checking in, in Chinese and English."""

from __future__ import annotations

from server.errors import ServiceError

MESSAGES: dict[str, tuple[int, str, str]] = {
    "unknown_service": (404, "没有这项预约业务，请重新选择。",
                        "No such bookable service; please choose again."),
    "bad_name": (422, "请填写姓名（最多40个字）。", "Give your name (at most 40 characters)."),
    "bad_phone": (422, "请输入正确的手机号码或带区号的固定电话。",
                  "Give a mobile number or a landline with its area code."),
    "bad_matter": (422, "请简要填写要办理的事项（最多200个字）。",
                   "Describe your matter briefly (at most 200 characters)."),
    "no_such_slot": (422, "该时段不可预约（非办理时间、节假日或已过时间），请重新选择。",
                     "That slot cannot be booked (not a service time, a holiday, or past); "
                     "please choose another."),
    "slot_full": (409, "该时段已约满，请选择其他时段。",
                  "That slot is fully booked; please choose another."),
    "already_booked": (409, "您已预约了当天的这项业务，无需重复预约。",
                       "You already have a booking for this service on that day."),
    "not_found": (404, "没有找到这个预约。请核对预约码（和手机号码）。",
                  "No such booking; check the code (and the phone number)."),
    "other_hall": (409, "这个预约是在“{hall}”办理的，请到该大厅签到。",
                   "This booking is for {hall}; please check in there."),
    "cancelled": (409, "这个预约已经取消，不能签到。",
                  "This booking was cancelled and cannot be checked in."),
    "used": (409, "这个预约已经签到过了，请留意叫号。",
             "This booking has already been checked in; please wait to be called."),
    "not_today": (409, "您预约的是{day} {start}，请在当天来签到。",
                  "Your booking is for {day} at {start}; please check in on that day."),
    "too_early": (409, "您预约的是{start}，请于{opens}以后签到。",
                  "Your booking is at {start}; check-in opens at {opens}."),
    "expired": (409, "这个预约已过期（{day} {start}–{end}），请重新预约或直接取号。",
                "This booking has expired ({day} {start}–{end}); book again or take a ticket."),
    "not_cancellable": (409, "这个预约已签到或已过期，不能取消。",
                        "This booking was used or has expired and cannot be cancelled."),
    "bad_setup": (422, "预约设置有误：{reason}", "The appointment set-up is wrong: {reason}"),
}


class AppointmentError(ServiceError):
    """A booking, cancellation or check-in refused; ``code`` is one of MESSAGES."""

    MESSAGES = MESSAGES
