"""A hall's bookable services, set from a list (YAML/JSON or the supervisor's API):
applying it again updates services in place by code and deactivates those left out
(their bookings stay)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.hours import HoursError, validate_hours
from server.appointments.errors import AppointmentError
from server.appointments.models import BookableService
from server.models import Hall, Service


class BookableSpec(BaseModel):
    """One bookable service: its slots per weekday (one range per slot) and seats each."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=100)
    place: str = Field("", max_length=100)
    queue_service: str = Field(min_length=1, max_length=40)
    slots: dict[str, list[str]] = Field(min_length=1)
    capacity: int = Field(1, ge=1, le=500)
    days_ahead: int = Field(14, ge=0, le=90)
    early_minutes: int = Field(30, ge=0, le=240)
    late_minutes: int = Field(15, ge=0, le=240)

    @field_validator("slots")
    @classmethod
    def _slots(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        try:
            return validate_hours(value)
        except HoursError as error:
            raise ValueError(str(error)) from error


def parse_setup(items: list[dict[str, Any]]) -> list[BookableSpec]:
    """The list checked; AppointmentError("bad_setup") names the first problem."""
    try:
        specs = [BookableSpec.model_validate(item) for item in items]
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AppointmentError("bad_setup", reason=f"{where}: {first['msg']}") from error
    codes = [spec.code for spec in specs]
    if len(set(codes)) != len(codes):
        raise AppointmentError("bad_setup", reason="duplicate code")
    return specs


def apply_bookable(session: Session, hall: Hall, specs: list[BookableSpec]) -> None:
    """Create or update the hall's bookable services (flushed, not committed)."""
    queue_codes = set(session.scalars(select(Service.code).where(Service.hall_id == hall.id)))
    for spec in specs:
        if spec.queue_service not in queue_codes:
            raise AppointmentError("bad_setup",
                                   reason=f"{spec.code}: no queue service {spec.queue_service}")
    existing = {s.code: s for s in session.scalars(
        select(BookableService).where(BookableService.hall_id == hall.id))}
    for spec in specs:
        service = existing.pop(spec.code, None) or BookableService(hall_id=hall.id,
                                                                   code=spec.code)
        for field, value in spec.model_dump().items():
            setattr(service, field, value)
        service.active = True
        session.add(service)
    for left_out in existing.values():
        left_out.active = False
    session.flush()
