"""The demo's queue: a display and a rating pad beside the query terminal, or the whole loop
on files.

With a screen, the calling display and window 1's rating pad run as terminal
processes of their own (one Kivy window per process), each enrolled with its own
key and token. Without one, the loop
is played through once on the virtual screen and every step is written as a
file: the ticket screens, the printed ticket (the simulated printer's ESC/POS
bytes and the PNG decoded from them), the staff call made through the staff API,
the calling display, and the announcement as WAV files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from protocol.config import merge


def printer_settings(data_dir: Path) -> dict[str, Any]:
    """The demo terminals' simulated printer: 80 mm, bitmap, output in data_dir/printer."""
    return {"kind": "simulated", "directory": str(data_dir / "printer"), "paper_width": 80}


def start_terminal(server: Any, root: Path, profile: str, orientation: str,
                   extra: str = "") -> subprocess.Popen[bytes]:
    """Enrol a terminal of profile and run it in its own process, in a window."""
    from devtools.demo_server import enrol_terminal

    terminal_dir = (root / profile).resolve()
    enrol_terminal(server.app, server.url, server.hall_id, terminal_dir, profile)
    toml = terminal_dir / "terminal.toml"
    toml.write_text(
        "[terminal]\n"
        f'profile = "{profile}"\ndata_dir = "{terminal_dir}"\nfullscreen = false\n'
        f'orientation = "{orientation}"\n'
        f"[speech]\nwav_dir = \"{terminal_dir / 'speech'}\"\n{extra}", "utf-8")
    log = open(terminal_dir / f"{profile}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "hallkiosk_cli", "terminal", "--config",
                             str(toml), "--windowed"], stdout=log, stderr=subprocess.STDOUT)


def start_display(server: Any, root: Path) -> subprocess.Popen[bytes]:
    """The calling display: landscape, speaks each call."""
    return start_terminal(server, root, "display", "landscape")


def start_rater(server: Any, root: Path) -> subprocess.Popen[bytes]:
    """Window 1's rating pad: wakes when staff1 presses 办结 in the console."""
    return start_terminal(server, root, "rater", "portrait", "[rater]\nwindow = 1\n")


def play_loop(driver: Any, server: Any, out: Path) -> list[Path]:
    """Take a ticket with real taps, print it, call it as staff, show and speak it; finish
    it as staff and rate it on the same terminal turned into window 1's rating pad."""
    from devtools.staff_client import StaffSession

    app = driver.app
    app.link.restart()  # the terminal was enrolled after it started
    written: list[Path] = []

    def shot(name: str) -> None:
        driver.frames(4)
        written.append(driver.screenshot(out / f"queue-{len(written) + 1:02d}-{name}.png"))

    app.start_session()
    driver.frames(2)
    driver.tap("取号")
    driver.wait_until(lambda: any(t.startswith("法律援助\n") for t in driver.texts()), 15)
    shot("services")
    driver.tap(next(t for t in driver.texts() if t.startswith("法律援助\n")))
    shot("confirm")
    driver.tap(driver.find("确认取号", root=driver.screen))
    driver.wait_until(lambda: app.nav.current == "ticket_done", 20)
    shot("ticket")
    ticket = app.nav.manager.current_screen.params["ticket"].ticket
    printer_dir = Path(app.terminal_config.printer.directory)
    for printed in sorted(printer_dir.glob(f"*-{ticket.number}.*"))[-2:]:
        written.append(Path(shutil.copy(printed, out / f"queue-printed-{printed.name}")))
    app.nav.go("display")
    driver.frames(10)
    staff = StaffSession(server.url, "staff1", "hallkiosk-demo")
    staff.post("/windows/1/sign-in")
    called = staff.post("/windows/1/call-next").json()
    driver.wait_until(lambda: any(ticket.number in t for t in driver.texts()), 15)
    app.speaker.wait_idle(30)
    shot("display")
    for clip in sorted(Path(app.terminal_config.speech.wav_dir).glob("*.wav"))[-2:]:
        written.append(Path(shutil.copy(clip, out / f"queue-announcement-{clip.name}")))
    # The same terminal as window 1's rating pad: staff press 办结, the visitor rates.
    app.apply_config(merge(app.terminal_config, {"terminal": {"profile": "rater"},
                                                 "rater": {"window": 1}}))
    app.nav.restart()
    rater = app.nav.screen("rater")
    driver.wait_until(lambda: bool(rater.staff_line) and bool(rater.photo)
                      and bool(app.feedback.reasons), 15)
    shot("rater")
    staff.post(f"/windows/1/tickets/{called['id']}/finish")
    driver.wait_until(lambda: app.nav.current == "rate", 15)
    shot("rate")
    driver.tap("不满意")
    driver.wait_until(lambda: app.nav.current == "rate_reasons", 5)
    driver.tap("服务态度差")
    shot("rate-reasons")
    driver.tap("提交评价")
    driver.wait_until(lambda: app.nav.current == "feedback_done", 5)
    shot("rate-thanks")
    return written
