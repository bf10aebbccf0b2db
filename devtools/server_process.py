"""``hallkiosk server`` in a process of its own, for tests that kill or share it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from server.background import free_port

ROOT = Path(__file__).resolve().parents[1]


def start_server(database_url: str, tmp_path: Path, name: str, port: int = 0,
                 settings: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``hallkiosk server`` in its own process (on port, or a free one), with settings as
    HALLKIOSK_* variables ({"login_queue_timeout": "1"} or {"HALLKIOSK_LOGIN_QUEUE_TIMEOUT":
    "1"}); return it and its URL once it answers. Its output goes to tmp_path/name.log."""
    port = port or free_port()
    env = {**os.environ, "HALLKIOSK_DATABASE_URL": database_url,
           "HALLKIOSK_STORAGE_DIR": str(tmp_path / "storage"), "PYTHONPATH": str(ROOT),
           **{key if key.startswith("HALLKIOSK_") else f"HALLKIOSK_{key.upper()}": value
              for key, value in (settings or {}).items()}}
    log = open(tmp_path / f"{name}.log", "ab")  # the child keeps its own copy
    process = subprocess.Popen([sys.executable, "-m", "hallkiosk_cli", "server", "--port",
                                str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((tmp_path / f"{name}.log").read_text())
        time.sleep(0.2)
