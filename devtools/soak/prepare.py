"""The soak's set-up: PostgreSQL, the hall with its services, windows and accounts, the
server, the published seed content, and the five terminals enrolled behind their proxies.
"""

from __future__ import annotations

import logging
from typing import Any

from devtools.soak.processes import Soak
from devtools.soak.proxy import TcpProxy

log = logging.getLogger(__name__)
PASSWORD = "soak-staff-pass"
HALL = ("SOAK-01", "青溪市公共法律服务中心（浸泡测试）")
SETUP = {
    "services": [
        {"code": "legal-aid", "name": "法律援助", "prefix": "A", "daily_cap": 999},
        {"code": "consult", "name": "法律咨询", "prefix": "B", "daily_cap": 999},
    ],
    "windows": [
        {"number": 1, "name": "法律援助窗口", "services": ["legal-aid", "consult"]},
        {"number": 2, "name": "综合服务窗口", "services": ["legal-aid", "consult"]},
    ],
}
# name, profile, extra TOML
TERMINALS = (("query", "query", ""), ("dispenser", "dispenser", ""),
             ("display", "display", ""), ("rater1", "rater", "[rater]\nwindow = 1\n"),
             ("rater2", "rater", "[rater]\nwindow = 2\n"))


def prepare(soak: Soak) -> dict[str, Any]:
    """PostgreSQL, the hall and accounts, the server, the published seed, enrolled terminals."""
    from content.install import SEED
    from content.publish import publish
    from content.signing import build_signed_bundle, generate_key, load_private_key
    from provisioning.enrol import enrol
    from server.app import create_app
    from server.fleet.actions import create_hall
    from server.fleet.enrolment import create_enrolment_token
    from server.queue.setup import apply_setup, load_setup
    from server.security import create_user
    from server.settings import ServerSettings

    soak.folder.mkdir(parents=True, exist_ok=True)
    database_url = soak.start_postgres()
    key = soak.folder / "keys" / "content.key"
    generate_key(key)
    settings = ServerSettings(database_url=database_url, storage_dir=soak.folder / "storage",
                              content_public_key=key.with_name("content.key.pub"))
    database = create_app(settings).state.database  # migrates the database
    with database.sessions() as session, session.begin():
        hall = create_hall(session, *HALL, level="city")
        apply_setup(session, hall, load_setup(SETUP))
        for number in (1, 2):
            create_user(session, f"staff{number}", PASSWORD, "staff", HALL[0],
                        full_name=f"窗口{number}", staff_no=f"010{number}")
        create_user(session, "editor", PASSWORD, "editor")
        session.flush()
        hall_id = hall.id
    soak.start_server_process(database_url)
    bundle = soak.folder / "bundle"
    build_signed_bundle(SEED, bundle, key=load_private_key(key))
    published = publish(bundle, soak.server_url, "editor", PASSWORD, progress=log.info)
    soak.note("PostgreSQL, hall, server and content ready")
    for name, profile, extra in TERMINALS:
        folder = (soak.folder / name).resolve()
        proxy = soak.proxies[name] = TcpProxy(soak.server_port)
        with database.sessions() as session, session.begin():
            token, _record = create_enrolment_token(session, hall_id, profile, hours=1)
        enrol(proxy.url, folder, token, wait=10)
        (folder / "terminal.toml").write_text(
            "[terminal]\n"
            f'profile = "{profile}"\ndata_dir = "{folder}"\nfullscreen = false\n'
            "heartbeat_interval = 10\nsync_interval = 20\n"
            f'[printer]\nkind = "simulated"\ndirectory = "{folder / "printer"}"\n'
            "paper_width = 80\nstatus_interval = 1\n"
            f'[speech]\nwav_dir = "{folder / "speech"}"\n'
            "[display]\nannounce_max_age = 120\n" + extra, "utf-8")
    database.engine.dispose()
    return {"database_url": database_url, "hall_id": hall_id, "published": published}
