"""The visitor's booking pages (no account): ``/book/<hall>`` to choose a service and a
slot and book it with name, phone and matter; ``/a/<token>`` the booking with its code
and QR code, where it can be cancelled. Names and numbers are shown masked."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.appointments import service as appointments
from server.appointments.errors import AppointmentError
from server.appointments.models import Booking
from server.appointments.views import booking_view, qr_svg
from server.deps import get_session
from server.models import Hall
from server.pages.language import in_language
from server.pages.rendering import PageRoute, error_page, templates
from server.rate_limits import RateLimited, admit_anonymous

router = APIRouter(tags=["appointment pages"], route_class=PageRoute, include_in_schema=False)
DbSession = Annotated[Session, Depends(get_session)]
Short = Annotated[str, Form(max_length=200)]
FIELDS = {"bad_name": "name", "bad_phone": "phone", "bad_matter": "matter",
          "no_such_slot": "slot", "slot_full": "slot"}
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NOT_FOUND = ("没有找到这个预约。请核对二维码或链接。",
             "No booking has this address. Check the QR code or the link.")


def _hall(session: Session, code: str) -> Hall:
    hall = session.scalar(select(Hall).where(Hall.code == code)) if len(code) <= 40 else None
    if hall is None:
        raise HTTPException(status_code=404)
    return hall


def _day_label(request: Request, day: dt.date) -> str:
    return in_language(request, f"{day.month}月{day.day}日 周{WEEKDAYS_ZH[day.weekday()]}",
                       f"{WEEKDAYS_EN[day.weekday()]} {day:%d %b}".replace(" 0", " "))


def _book_page(request: Request, session: Session, hall: Hall, service_code: str, *,
               status: int = 200, error: str = "", error_field: str = "",
               form: dict[str, str] | None = None) -> HTMLResponse:
    services = appointments.hall_services(session, hall)
    chosen = next((s for s in services if s.code == service_code), None)
    days = []
    if chosen is not None:
        slots = appointments.open_slots(session, chosen)
        days = [(_day_label(request, day), list(group))
                for day, group in itertools.groupby(slots, key=lambda slot: slot.day)]
    values = {"slot": "", "name": "", "phone": "", "matter": ""} | (form or {})
    response = templates.TemplateResponse(
        request, "book.html", {"hall": hall, "services": services, "chosen": chosen,
                               "days": days, "error": error, "error_field": error_field,
                               "form": values}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/book/{hall_code}")
def book_form(request: Request, hall_code: str, session: DbSession,
              service: str = "") -> Response:
    """预约: the hall's bookable services, then one service's free slots and the form."""
    return _book_page(request, session, _hall(session, hall_code), service[:40])


@router.post("/book/{hall_code}")
def book_submit(request: Request, hall_code: str, session: DbSession,
                service: Annotated[str, Form(max_length=40)] = "",
                slot: Annotated[str, Form(max_length=20)] = "",
                name: Short = "", phone: Short = "", matter: Short = "") -> Response:
    """Book the chosen slot; the visitor lands on the booking's own page."""
    hall = _hall(session, hall_code)
    form = {"slot": slot, "name": name, "phone": phone, "matter": matter}
    try:
        day_text, _, start = slot.partition(" ")
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            raise AppointmentError("no_such_slot") from None
        admit_anonymous(request, session, "booking", hall.code)
        booking = appointments.book(session, hall, service, day, start, name=name,
                                    phone=phone, matter=matter)
        session.commit()
    except AppointmentError as exc:
        session.rollback()
        return _book_page(request, session, hall, service, status=exc.status,
                          error=in_language(request, exc.message_zh, exc.message_en),
                          error_field=FIELDS.get(exc.code, ""), form=form)
    except RateLimited as exc:  # the form again, what was typed kept
        session.rollback()
        response = _book_page(request, session, hall, service, status=429, form=form,
                              error=in_language(request, exc.message_zh, exc.message_en))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return RedirectResponse(f"/a/{booking.token}", status_code=303)


@router.get("/a/{token}")
def booking_page(request: Request, token: str, session: DbSession,
                 done: str = "") -> Response:
    """The booking: code, QR code (this page's address), service and time, masked name and
    phone, and the cancel button while it can be cancelled."""
    booking = appointments.by_token(session, token)
    if booking is None:
        return error_page(request, 404, *NOT_FOUND)
    return _booking_response(request, session, booking, done=done[:10])


def _booking_response(request: Request, session: Session, booking: Booking, *,
                      done: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    hall = session.get(Hall, booking.hall_id)
    view = booking_view(session, booking)
    response = templates.TemplateResponse(
        request, "booking.html", {"hall": hall, "booking": view, "done": done, "error": error,
                                  "day_label": _day_label(request, booking.day),
                                  "qr": qr_svg(str(request.url_for("booking_page",
                                                                   token=booking.token)))},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/a/{token}/cancel")
def booking_cancel(request: Request, token: str, session: DbSession) -> Response:
    """取消预约: the seat is free again."""
    booking = appointments.by_token(session, token)
    if booking is None:
        return error_page(request, 404, *NOT_FOUND)
    try:
        appointments.cancel(session, booking)
        session.commit()
    except AppointmentError as exc:
        session.rollback()
        return _booking_response(request, session, booking, status=exc.status,
                                 error=in_language(request, exc.message_zh, exc.message_en))
    return RedirectResponse(f"/a/{token}?done=cancel", status_code=303)
