"""A hall's queue set-up (services and windows) from a YAML file or a dict.

    services:
      - {code: legal-aid, name: 法律援助, name_en: Legal aid, prefix: A, daily_cap: 200,
         target_wait: 30, hours: {mon: ["09:00-12:00", "13:30-17:00"], ...}}
    windows:
      - {number: 1, name: 法律援助窗口, services: [legal-aid]}

Applying it again updates services and windows in place (tickets keep their
service); services no longer listed are deactivated, not deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Hall, Service, Window
from server.queue.hours import HoursError, validate_hours


class SetupError(ValueError):
    """A queue set-up that cannot be applied; the message names each problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceSpec(_Model):
    """One service of the hall."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=100)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    daily_cap: int = Field(300, ge=1, le=999)  # three digits on the ticket
    target_wait: int = Field(30, ge=1, le=600)
    hours: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        try:
            return validate_hours(value)
        except HoursError as error:
            raise ValueError(str(error)) from error


class WindowSpec(_Model):
    """One window and the services it handles."""

    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=100)
    services: list[str] = Field(min_length=1)


class QueueSetup(_Model):
    """Services and windows of one hall."""

    services: list[ServiceSpec] = Field(min_length=1)
    windows: list[WindowSpec] = Field(min_length=1)


def load_setup(source: Path | dict[str, Any]) -> QueueSetup:
    """Read and check a set-up; SetupError lists every problem with its place."""
    try:
        data = yaml.safe_load(source.read_text("utf-8")) if isinstance(source, Path) else source
        setup = QueueSetup.model_validate(data)
    except (OSError, yaml.YAMLError) as error:
        raise SetupError(f"{source}: {error}") from error
    except ValidationError as error:
        problems = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
                             for e in error.errors())
        raise SetupError(problems) from error
    codes = [s.code for s in setup.services]
    prefixes = [s.prefix for s in setup.services]
    numbers = [str(w.number) for w in setup.windows]
    for label, values in (("service code", codes), ("prefix", prefixes),
                          ("window number", numbers)):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise SetupError(f"{label} used more than once: {', '.join(twice)}")
    for window in setup.windows:
        unknown = set(window.services) - set(codes)
        if unknown:
            raise SetupError(f"window {window.number}: unknown service(s) "
                             f"{', '.join(sorted(unknown))}")
    return setup


def apply_setup(session: Session, hall: Hall, setup: QueueSetup) -> None:
    """Create or update the hall's services and windows (not committed)."""
    existing = {s.code: s for s in session.scalars(select(Service).where(
        Service.hall_id == hall.id))}
    by_code: dict[str, Service] = {}
    for spec in setup.services:
        service = existing.get(spec.code) or Service(hall_id=hall.id, code=spec.code)
        for field, value in spec.model_dump().items():
            setattr(service, field, value)
        service.active = True
        session.add(service)
        by_code[spec.code] = service
    for code, service in existing.items():
        if code not in by_code:
            service.active = False
    session.flush()
    windows = {w.number: w for w in session.scalars(select(Window).where(
        Window.hall_id == hall.id))}
    for window_spec in setup.windows:
        window = windows.get(window_spec.number) or Window(
            hall_id=hall.id, number=window_spec.number, state="closed", pause_reason="")
        window.name = window_spec.name
        window.services = [by_code[code] for code in window_spec.services]
        session.add(window)
    session.flush()
