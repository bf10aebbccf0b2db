"""Helpers shared by the benchmarks: percentiles, machine load, a started app on a config."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0..1) of values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """'median X ms, p95 Y ms, max Z ms (n=N)' for values in seconds."""
    return (f"median {statistics.median(values) * 1000:6.1f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:6.1f} ms, "
            f"max {max(values) * 1000:6.1f} ms (n={len(values)})")


def machine_note() -> str:
    """CPU count and load average: other work on a 2-core machine skews every figure."""
    one, five, _fifteen = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def terminal_config(data_dir: Path, content: str = "") -> Any:
    """A windowed terminal config on data_dir with simulated speech (no sound card needed)."""
    from kiosk.config import TerminalConfig, merge

    return merge(TerminalConfig(), {
        "terminal": {"data_dir": str(data_dir), "content": content, "fullscreen": False},
        "speech": {"wav_dir": str(data_dir / "speech")}})


class FrameTimes:
    """One EventLoop.idle: when it started, when drawing and swapping began, when it ended."""

    def __init__(self, start: float):
        self.start = start
        self.draw = self.flip = self.end = 0.0
        self.flip_cpu = self.end_cpu = 0.0  # the UI thread's CPU clock (time.thread_time)

    @property
    def drawn(self) -> bool:
        """Whether the window was redrawn in this frame."""
        return bool(self.flip)

    @property
    def before_draw(self) -> float:
        """Clock tick (with Kivy's 60 fps pacing sleep), input, Clock callbacks, layout."""
        return (self.draw or self.end) - self.start

    @property
    def draw_time(self) -> float:
        """on_draw: the window canvas drawn with GL calls."""
        return self.flip - self.draw if self.drawn else 0.0

    @property
    def swap_time(self) -> float:
        """on_flip: buffer swap (with llvmpipe under Xvfb, the software rasteriser finishes)."""
        return self.end - self.flip if self.drawn else 0.0

    @property
    def swap_cpu(self) -> float:
        """The UI thread's CPU time in the buffer swap."""
        return self.end_cpu - self.flip_cpu if self.drawn else 0.0


class TapTimes:
    """Timestamps (perf_counter) of one tap: touch down, touch up, screen change, frame drawn."""

    def __init__(self) -> None:
        self.down = self.up = self.changed = self.drawn = 0.0
        self.down_cpu = self.drawn_cpu = 0.0  # the UI thread's CPU clock
        self.frames: list[FrameTimes] = []
        self.gc_pauses: list[tuple[int, float, float]] = []  # generation, start, seconds

    @property
    def tap_to_drawn(self) -> float:
        """Touch down to the end of the first frame drawn after the screen changed."""
        return self.drawn - self.down

    @property
    def release_to_change(self) -> float:
        """Touch up to the new screen being current (handlers, screen refresh, Kivy delays)."""
        return self.changed - self.up

    @property
    def change_to_drawn(self) -> float:
        """New screen current to the end of the frame that shows it (layout, draw, flip)."""
        return self.drawn - self.changed

    @property
    def cpu_less_swap(self) -> float:
        """The UI thread's CPU time from touch down to drawn, less its time in buffer swaps:
        what our code and Kivy spend, whatever else the machine runs (no pacing sleep, no
        waiting for the CPU)."""
        return self.drawn_cpu - self.down_cpu - sum(f.swap_cpu for f in self.within())

    def within(self) -> list[FrameTimes]:
        """Frames that ran between touch down and the first frame showing the new screen."""
        return [f for f in self.frames if f.end > self.down and f.end <= self.drawn]

    def gc_seconds(self) -> float:
        """Time spent in garbage collection between touch down and drawn."""
        return sum(s for _g, start, s in self.gc_pauses if self.down <= start <= self.drawn)

    def parts(self) -> dict[str, float]:
        """Where tap->drawn went: frames, pre-draw, draw, swap, outside frames, gc (seconds)."""
        frames = self.within()
        return {
            "frames": len(frames),
            "before_draw": sum(f.before_draw for f in frames),
            "draw": sum(f.draw_time for f in frames),
            "swap": sum(f.swap_time for f in frames),
            "outside": self.tap_to_drawn - sum(f.end - f.start for f in frames),
            "gc": self.gc_seconds(),
        }


def start_timed_driver(app: Any) -> Any:
    """Driver.start(app) with a driver that timestamps touches, screen changes and frames.

    ``driver.timed_tap(widget)`` taps with ``Driver.tap`` and then keeps advancing frames
    until the screen has changed (or a property registered with ``driver.watch``) and one
    frame has been drawn after the change; it returns
    the wall time around all of that and a TapTimes. A frame counts as drawn when the
    window dispatched on_flip during it; its time is taken when ``EventLoop.idle`` returns,
    i.e. after the buffer swap. Garbage collections are timed through ``gc.callbacks``.
    Kivy is imported here, never at module import.
    """
    import gc
    import time

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from devtools.driver import Driver

    class TimedDriver(Driver):
        def __init__(self, app: Any):
            super().__init__(app)
            self.times = TapTimes()
            self._frame: FrameTimes | None = None
            self._gc_start = 0.0
            Window.bind(on_touch_down=self._on_down, on_touch_up=self._on_up,
                        on_draw=self._on_draw, on_flip=self._on_flip)
            self.watch(app.nav.manager, "current")
            gc.callbacks.append(self._on_gc)

        def watch(self, widget: Any, prop: str) -> None:
            """Count a change of widget.prop as the change a tap waits to see drawn."""
            widget.fbind(prop, self._on_change)

        def _on_gc(self, phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                self._gc_start = time.perf_counter()
            else:
                self.times.gc_pauses.append(
                    (info["generation"], self._gc_start, time.perf_counter() - self._gc_start))

        def _on_down(self, *_args: Any) -> None:
            self.times.down = time.perf_counter()
            self.times.down_cpu = time.thread_time()

        def _on_up(self, *_args: Any) -> None:
            self.times.up = time.perf_counter()

        def _on_draw(self, *_args: Any) -> None:
            if self._frame is not None:
                self._frame.draw = time.perf_counter()

        def _on_flip(self, *_args: Any) -> None:
            if self._frame is not None:
                self._frame.flip = time.perf_counter()
                self._frame.flip_cpu = time.thread_time()

        def _on_change(self, *_args: Any) -> None:
            self.times.changed = time.perf_counter()

        def frames(self, count: int = 2) -> None:
            for _ in range(count):
                frame = self._frame = FrameTimes(time.perf_counter())
                EventLoop.idle()
                frame.end = time.perf_counter()
                frame.end_cpu = time.thread_time()
                self._frame = None
                self.times.frames.append(frame)
                if frame.drawn and self.times.changed and not self.times.drawn:
                    self.times.drawn, self.times.drawn_cpu = frame.end, frame.end_cpu

        def timed_tap(self, widget: Any, max_frames: int = 120) -> tuple[float, TapTimes]:
            self.times = TapTimes()
            started = time.perf_counter()
            self.tap(widget)
            for _ in range(max_frames):
                if self.times.drawn:
                    break
                self.frames(1)
            else:
                raise RuntimeError(f"no screen change after tapping {widget!r}")
            return time.perf_counter() - started, self.times

        def stop_timing(self) -> None:
            gc.callbacks.remove(self._on_gc)

    return TimedDriver.start(app)


class QueueRig:
    """A queue hall on a server in this process, and a terminal app enrolled into it."""

    def __init__(self, server: Any, url: str, driver: Any, folder: Path):
        self.server, self.url, self.driver, self.folder = server, url, driver, folder
        self.app = driver.app


def queue_rig(profile: str, size: tuple[int, int], prepare: Any = None,
              **printer: Any) -> Any:
    """Context manager: Xvfb, a server (SQLite) with the test hall, an enrolled terminal app.

    prepare(session, hall) may add tickets before the terminal starts; printer settings
    (kind, directory ...) go into the terminal's config.
    """
    import contextlib
    import tempfile

    @contextlib.contextmanager
    def rig() -> Any:
        from devtools.xvfb import virtual_display
        from protocol.config import merge
        from provisioning.enrol import enrol
        from server.app import create_app
        from server.background import serve_in_thread
        from server.fleet.enrolment import create_enrolment_token
        from server.settings import ServerSettings
        from tests.server.queue_setup import SETUP, make_queue_hall

        setup = {**SETUP, "services": [{**s, "daily_cap": 999} for s in SETUP["services"]]}
        with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-") as name, virtual_display():
            folder = Path(name)
            server = create_app(ServerSettings(
                database_url=f"sqlite:///{folder / 'server.sqlite3'}",
                storage_dir=folder / "storage"))
            with server.state.database.sessions() as session:
                hall = make_queue_hall(session, setup, sign_in_all=False).hall
                if prepare is not None:
                    prepare(session, hall)
                session.commit()
                token, _row = create_enrolment_token(session, hall.id, profile, 1)
            with serve_in_thread(server) as url:
                data_dir = folder / "terminal"
                assert enrol(url, data_dir, token).status == "accepted"
                config = merge(terminal_config(data_dir), {"terminal": {
                    "profile": profile,
                    "orientation": "landscape" if size[0] > size[1] else "portrait"}})
                if printer:
                    config = merge(config, {"printer": printer})
                from kiosk.terminal import create_app as create_terminal

                app = create_terminal(config, windowed=True, size=size)
                from devtools.driver import Driver

                try:
                    yield QueueRig(server, url, Driver.start(app), folder)
                finally:
                    app.exit_app()
            server.state.broker.close()
            server.state.database.engine.dispose()

    return rig()


def rounds_arguments(doc: str, default: int = 60) -> Any:
    """The command line of a round-based benchmark: --rounds N."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=default)
    return parser.parse_args()


def waiting_tickets(count: int) -> Any:
    """A queue_rig prepare step: count 法律援助 tickets waiting before the terminal starts."""

    def prepare(session: Any, hall: Any) -> None:
        from server.queue.issuing import issue_ticket

        for _ in range(count):
            issue_ticket(session, hall, "legal-aid", actor="bench")

    return prepare


def served_database(kind: str, folder: Path, sqlite_url: str = "") -> Any:
    """Context manager: a database URL of kind (sqlite: sqlite_url, or a file in folder;
    postgresql: a temporary cluster) and its URL, removed after."""
    import contextlib

    @contextlib.contextmanager
    def database() -> Any:
        if kind == "sqlite":
            yield sqlite_url or f"sqlite:///{folder / 'server.sqlite3'}"
            return
        from devtools.postgres import temporary_postgres

        with temporary_postgres() as url:
            yield url

    return database()


def server_process(database_url: str, folder: Path) -> Any:
    """Context manager: ``hallkiosk server`` in its own process on database_url; yields its
    URL once it answers, stops it after."""
    import contextlib

    @contextlib.contextmanager
    def serve() -> Any:
        from devtools.server_process import start_server

        process, url = start_server(database_url, folder, "server")
        try:
            yield url
        finally:
            process.terminate()
            process.wait(20)

    return serve()
