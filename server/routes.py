"""Every router of the application, in one list: JSON APIs first, then the pages."""

from __future__ import annotations

from fastapi import APIRouter

from server.api import (
    appointments,
    auth,
    cases,
    content,
    devices,
    followups,
    handoff,
    health,
    phone,
    queue,
    ratings,
    tickets,
)
from server.pages import accounts, console, dashboard
from server.pages import appointments as appointment_pages
from server.pages import bookings as booking_pages
from server.pages import cases as case_pages
from server.pages import comments as comment_pages
from server.pages import content as content_pages
from server.pages import followups as followup_pages
from server.pages import ledger as ledger_pages
from server.pages import phone as phone_page
from server.pages import queue as queue_pages
from server.pages import staff as staff_pages

API = "/api/v1"

# (router, prefix). The ratings router spells its paths out: its phone rating lives
# beside the phone page (/t/<token>/rating), not under the API prefix.
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (tickets.tickets_router, API),  # the busiest request first: matched before all others
    (health.router, API),
    (auth.router, API),
    (devices.router, API),
    (content.router, API),
    (queue.router, API),
    (appointments.router, API),
    (cases.router, API),
    (followups.router, API),
    (ratings.router, ""),
    (handoff.router, ""),  # its upload spells out /api/v1; the phone's link is /d/<token>
    (phone.router, ""),
    (phone_page.router, ""),
    (appointment_pages.router, ""),
    (case_pages.router, ""),
    (booking_pages.router, ""),
    (queue_pages.router, ""),
    (followup_pages.router, ""),
    (comment_pages.router, ""),
    (staff_pages.router, ""),
    (ledger_pages.router, ""),
    (dashboard.router, ""),
    (content_pages.router, ""),
    (accounts.router, ""),
    (console.router, ""),
)
