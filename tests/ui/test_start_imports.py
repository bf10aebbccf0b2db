"""A terminal restarting on its stored content shows its first frame without importing
SQLAlchemy (issue #17, cold start): the content is read with sqlite3 and the outbox is
opened by the first event, which still reaches the outbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from devtools.xvfb import virtual_display

PROBE = """
import json, sys
from pathlib import Path
from kiosk.config import TerminalConfig, merge
from kiosk.terminal import create_app

data = Path(sys.argv[1])
config = merge(TerminalConfig(), {"terminal": {"data_dir": str(data), "fullscreen": False},
                                  "speech": {"wav_dir": str(data / "speech")}})
app = create_app(config, windowed=True, size=(540, 960))
from devtools.driver import Driver

driver = Driver.start(app)
driver.frames(3)  # the frame after the first: the link has started
heavy = ("sqlalchemy", "alembic", "content.store", "content.sync", "provisioning.outbox")
at_first_frames = [name for name in heavy if name in sys.modules]
first = driver.screen.name
driver.tap(driver.screen)  # the visitor's first touch: the home screen, a usage event
driver.frames(2)
app.services.usage.flush()
kinds = [(item.kind, item.payload.get("screen")) for item in app.services.usage.outbox.pending()]
print("RESULT " + json.dumps({"imported": at_first_frames, "first": first,
                              "now": driver.screen.name, "pending": kinds,
                              "version": app.services.library.version}))
app.exit_app()
"""


def test_a_restart_reads_its_content_without_sqlalchemy(ui: Any, ui_data_dir: Path,
                                                        tmp_path: Path) -> None:
    data = tmp_path / "data"  # the UI session's store, font cut and word tables; no outbox
    shutil.copytree(ui_data_dir, data, ignore=shutil.ignore_patterns("outbox*", "logs"))
    with virtual_display(540, 960) as display:
        done = subprocess.run([sys.executable, "-c", PROBE, str(data)],
                              env={**os.environ, "DISPLAY": display}, capture_output=True,
                              text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result = json.loads(lines[0][len("RESULT "):])
    assert result["imported"] == []  # read with sqlite3; the outbox not opened yet
    assert result["version"] == ui.app.services.library.version  # the stored version
    assert (result["first"], result["now"]) == ("attract", "home")
    assert ["usage.screen", "home"] in result["pending"]  # the first event opened the outbox
