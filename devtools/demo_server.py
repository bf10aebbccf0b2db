"""The demo's central server: SQLite, a signing key, the seed published, the terminal enrolled.

Everything goes through the same paths as production: the seed bundle is
signed and uploaded over HTTP by an editor account, and the terminal enrols
with a one-time token and then syncs and sends heartbeats.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.install import SEED
from content.publish import publish
from content.signing import build_signed_bundle, generate_key, load_private_key
from provisioning.enrol import enrol
from provisioning.identity import load_state
from server.app import create_app
from server.background import serve_in_thread
from server.fleet.actions import create_hall
from server.fleet.enrolment import create_enrolment_token
from server.models import Hall, User, utcnow
from server.queue import setup as queue_setup
from server.queue.hours import local_day
from server.security import create_user
from server.settings import ServerSettings
from server.staff_photos import store
from server.storage import MediaStorage

log = logging.getLogger(__name__)
DEMO_PASSWORD = "hallkiosk-demo"
DEMO_HALL = ("QX-CITY-01", "青溪市公共法律服务中心（示例）")
DEMO_PORT = 8348
HISTORY_DAYS = 30


@dataclass(frozen=True)
class DemoServer:
    """Where the demo server runs and how to sign in to its console."""

    url: str
    users: tuple[tuple[str, str], ...]
    app: FastAPI
    hall_id: int


DEMO_ACCOUNTS = (("admin", "it_admin"), ("editor", "editor"), ("staff1", "staff"),
                 ("staff2", "staff"), ("supervisor", "supervisor"))
STAFF_NAMES = {"staff1": ("王丽", "0101"), "staff2": ("陈强", "0102")}  # 公示 on the pad
DEMO_QUEUE = Path(queue_setup.__file__).with_name("demo.yaml")


def _portrait(seed: int) -> bytes:
    """A drawn head-and-shoulders picture standing in for a staff photo in the demo."""
    from PIL import Image, ImageDraw

    background = [(214, 226, 240), (226, 236, 222), (240, 228, 214)][seed % 3]
    image = Image.new("RGB", (360, 480), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 300, 320, 620), fill=(31, 78, 140))  # shoulders, a dark uniform
    draw.polygon([(150, 300), (180, 380), (210, 300)], fill=(245, 245, 245))  # collar
    draw.ellipse((105, 110, 255, 290), fill=(238, 200, 170))  # face
    draw.pieslice((95, 90, 265, 250), 180, 360, fill=(40, 30, 30))  # hair
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _accounts(settings: ServerSettings) -> int:
    """Create the demo hall, its queue set-up and the accounts once; return the hall id."""
    database = create_app(settings).state.database
    with database.sessions() as session, session.begin():
        hall = session.scalar(select(Hall).where(Hall.code == DEMO_HALL[0]))
        if hall is None:
            hall = create_hall(session, *DEMO_HALL, level="city")
        queue_setup.apply_setup(session, hall, queue_setup.load_setup(DEMO_QUEUE))
        for username, role in DEMO_ACCOUNTS:
            user = session.scalar(select(User).where(User.username == username))
            full_name, staff_no = STAFF_NAMES.get(username, ("", ""))
            if user is None:
                in_hall = DEMO_HALL[0] if role in ("staff", "supervisor") else None
                user = create_user(session, username, DEMO_PASSWORD, role, in_hall,
                                   full_name=full_name, staff_no=staff_no)
            if full_name and user.photo_sha256 is None:  # also for a demo made before photos
                user.photo_sha256 = store(MediaStorage(settings.storage_dir),
                                          _portrait(len(full_name) + ord(full_name[0])))
        session.flush()
        hall_id: int = hall.id
    with database.sessions() as session:
        hall = session.get(Hall, hall_id)
        assert hall is not None
        _history(session, hall)
        session.commit()
    database.engine.dispose()
    return hall_id


def _history(session: Session, hall: Hall) -> None:
    """Thirty days of generated activity up to yesterday, once, so the supervisor's
    dashboard, the follow-ups and the monthly report show something."""
    from devtools.activity.generate import generate_activity
    from server.queue.models import Ticket

    if session.scalar(select(Ticket.id).where(Ticket.hall_id == hall.id).limit(1)) is not None:
        return
    today = dt.date.fromisoformat(local_day(utcnow()))
    generated = generate_activity(session, hall, today - dt.timedelta(days=HISTORY_DAYS),
                                  HISTORY_DAYS, seed=2026)
    log.info("demo history: %s", generated)


def enrol_terminal(app: FastAPI, url: str, hall_id: int, terminal_dir: Path,
                   profile: str) -> None:
    """Enrol the terminal at terminal_dir with a one-time token, unless it already is."""
    state = load_state(terminal_dir)
    if state.may_send and state.server_url == url:
        return
    with app.state.database.sessions() as session, session.begin():
        token, _record = create_enrolment_token(session, hall_id, profile, hours=1)
    state = enrol(url, terminal_dir, token, wait=10)
    log.info("demo %s terminal enrolment: %s", profile, state.status)


@contextmanager
def demo_server(root: Path, terminal_dir: Path) -> Iterator[DemoServer]:
    """Start the server, publish the signed seed and enrol the terminal at terminal_dir."""
    key = root / "keys" / "content.key"
    if not key.exists():
        generate_key(key)
    settings = ServerSettings(
        database_url=f"sqlite:///{root / 'server' / 'hallkiosk.sqlite3'}",
        storage_dir=root / "server" / "storage",
        content_public_key=key.with_name("content.key.pub"))
    hall_id = _accounts(settings)
    app = create_app(settings)
    with serve_in_thread(app, DEMO_PORT) as url:
        bundle = root / "bundle"
        build_signed_bundle(SEED, bundle, key=load_private_key(key))
        publish(bundle, url, "editor", DEMO_PASSWORD, progress=log.info)
        enrol_terminal(app, url, hall_id, terminal_dir, "query")
        yield DemoServer(url, tuple((user, DEMO_PASSWORD) for user, _role in DEMO_ACCOUNTS),
                         app, hall_id)
    app.state.broker.close()
    app.state.database.engine.dispose()
