"""Cold start to the first interactive frame (target: median of 5 runs <= 1 s).

Each run is a fresh Python subprocess that does what a terminal does at power-on:
start the interpreter, import, read the configuration, find the CJK font, load the
content from an already-populated store (seed content), create the Kivy window, build
the start screen (the others are built when first shown) and draw. The child reports
once ``Driver.start`` has returned (app built, event loop started, 3 frames drawn) and one
more frame has been drawn, i.e. the attract screen is on screen and the app takes touches.

The parent measures from just before ``subprocess.Popen`` to reading the child's READY
line. One warm-up run first populates the data folder (seed content import, SC font
face extracted from the .ttc, Kivy home) and is excluded; later runs therefore start
with a warm OS file cache, like a terminal that restarts, not one that powers on.

Run: ``.venv/bin/python bench/bench_cold_start.py [--runs 5] [--profile]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine_note

TARGET_SECONDS = 1.0
CHILD_TIMEOUT = 60.0


def child(data_dir: Path) -> int:
    """Start the terminal once, print READY with phase times after the first ready frame."""
    entered = time.time()
    start = time.perf_counter()
    from kiosk.config import TerminalConfig, merge
    from kiosk.terminal import create_app

    imported = time.perf_counter()
    config = merge(TerminalConfig(), {
        "terminal": {"data_dir": str(data_dir), "fullscreen": False},
        "speech": {"wav_dir": str(data_dir / "speech")}})
    app = create_app(config, windowed=True, size=(1080, 1920))
    created = time.perf_counter()
    from devtools.driver import Driver

    driver = Driver.start(app)
    started = time.perf_counter()
    driver.frames(1)
    ready = time.perf_counter()
    phases = {"entered": entered, "imports": imported - start, "create_app": created - imported,
              "driver_start": started - created, "frame": ready - started,
              "screen": driver.screen.name}
    print("READY " + json.dumps(phases), flush=True)
    app.exit_app()
    return 0


def child_environment(pycache: Path | None) -> dict[str, str]:
    """The child's environment: with a bytecode cache in pycache, or none when None.

    An installed terminal has compiled bytecode; this machine sets
    PYTHONDONTWRITEBYTECODE, which would make every child recompile the project's
    sources. The cache goes to a temporary prefix so nothing is written into the tree.
    """
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_child(data_dir: Path, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Launch one child; return (seconds from launch to READY, the child's phase times)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(data_dir)]
    with tempfile.TemporaryFile("w+") as errors:
        launched_wall = time.time()
        launched = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True,
                                   env=env)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("READY "):
                    elapsed = time.perf_counter() - launched
                    phases = json.loads(line[len("READY "):])
                    phases["python_start"] = phases.pop("entered") - launched_wall
                    process.stdout.read()  # let the child finish (and print a profile)
                    process.wait(timeout=CHILD_TIMEOUT)
                    return elapsed, phases
            process.wait(timeout=CHILD_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        tail = errors.read()[-3000:]
    raise RuntimeError(f"child exited with {process.returncode} before READY:\n{tail}")


def profile_child(data_dir: Path, env: dict[str, str]) -> None:
    """Run the child once under cProfile and print where its time goes."""
    output = data_dir / "cold_start.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(output),
               str(Path(__file__).resolve()), "--child", str(data_dir)]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=CHILD_TIMEOUT, check=True, env=env)
    import pstats

    print("\nProfile of one child (cumulative time, top 30):")
    pstats.Stats(str(output)).sort_stats("cumulative").print_stats(30)


def timed_runs(data_dir: Path, env: dict[str, str], runs: int, label: str) -> float:
    """Print a table of runs for one environment; return the median in seconds."""
    header = (f"{'run':>3}  {'total':>8}  {'python':>8}  {'imports':>8}  {'create_app':>10}"
              f"  {'Driver.start':>12}  {'+1 frame':>8}")
    print(f"\n{label}\n{header}\n{'-' * len(header)}")
    totals = []
    for number in range(1, runs + 1):
        total, phases = run_child(data_dir, env)
        totals.append(total)
        print(f"{number:>3}  {total * 1000:6.0f}ms  {phases['python_start'] * 1000:6.0f}ms"
              f"  {phases['imports'] * 1000:6.0f}ms  {phases['create_app'] * 1000:8.0f}ms"
              f"  {phases['driver_start'] * 1000:10.0f}ms  {phases['frame'] * 1000:6.0f}ms")
    median = statistics.median(totals)
    verdict = "meets" if median <= TARGET_SECONDS else "MISSES"
    print(f"{'-' * len(header)}\nmedian {median * 1000:.0f} ms "
          f"(target <= {TARGET_SECONDS * 1000:.0f} ms: {verdict}); {machine_note()}")
    return median


def main() -> int:
    """Warm up once, then time fresh starts and print each run and the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also profile one child")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    from devtools.xvfb import virtual_display

    print(f"Cold start to the first interactive frame; {machine_note()}")
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp, virtual_display():
        data_dir = Path(tmp) / "data"
        cached = child_environment(Path(tmp) / "pycache")
        warm, _phases = run_child(data_dir, cached)
        print(f"warm-up (seed import, font extraction, bytecode cache; excluded): "
              f"{warm * 1000:.0f} ms")
        with_cache = timed_runs(data_dir, cached, args.runs,
                                "A. with compiled bytecode (as an installed terminal):")
        without = timed_runs(data_dir, child_environment(None), args.runs,
                             "B. PYTHONDONTWRITEBYTECODE=1 (project sources compiled each start):")
        print(f"\nSUMMARY cold start median: A {with_cache * 1000:.0f} ms, "
              f"B {without * 1000:.0f} ms; target <= {TARGET_SECONDS * 1000:.0f} ms")
        print("python = launch to the child's first line; imports = kiosk.config + "
              "kiosk.terminal;\ncreate_app = font, Kivy bootstrap, content load from the store, "
              "speaker, KioskApp import;\nDriver.start = build (kv, the start screen), window, "
              "3 frames.")
        if args.profile:
            profile_child(data_dir, cached)
    return 0


if __name__ == "__main__":
    sys.exit(main())
