"""Resident memory while walking every screen 20 times (target: <= 200 MB, no growth per round).

The real app runs under a private Xvfb on the seed content (or, with ``--large``, on
10,000 generated guides and 10,000 points). One round is the walkthrough's visitor path
(kiosk/walkthrough.py ``_Walk.run``: attract, home, categories, a guide list and guide,
points with a filter, a point, search typed with the letter keys, FAQ and an answer,
online services and a hand-off, the legal-aid self-check to a result, elder mode and help,
admin PIN pad, admin, error, the idle countdown) with real taps and no screenshots, done
twice: portrait, normal mode, Chinese; then landscape, elder mode, English. After each
round ``gc.collect()`` runs and the process's RSS (psutil) is read.

Printed: RSS after each round, growth from round 5 to the last round, and the least-squares
slope over those rounds in MB per round; also Python's tracked object count per round and,
when it grows, the object types that grew most.

Run: ``.venv/bin/python bench/bench_memory.py [--rounds 20] [--large]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from common import machine_note, terminal_config

TARGET_MB = 200.0
MB = 1024 * 1024
WALKS = [("portrait", False, "zh_CN"), ("landscape", True, "en")]


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def type_counts() -> Counter[str]:
    """Tracked objects by type name."""
    return Counter(type(o).__name__ for o in gc.get_objects())


def walk_round(driver: Any, out: Path) -> None:
    """Every screen in both walks of one round, with real taps and no screenshots."""
    from kiosk.bootstrap import SIZES
    from kiosk.walkthrough import _Walk

    class Steps(_Walk):
        def shot(self, step: str) -> None:
            self.driver.frames(1)  # let the step draw; no screenshot kept

    for orientation, elder, language in WALKS:
        if driver.app.state.orientation != orientation:
            driver.resize(*SIZES[orientation])
        driver.app.reset_session()
        driver.frames(3)
        Steps(driver, out, orientation).run(elder, language)
    driver.app.reset_session()
    driver.frames(3)


def main() -> int:
    """Start the app, walk every screen round after round and print RSS per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--large", action="store_true",
                        help="10,000 generated guides and 10,000 points instead of the seed")
    args = parser.parse_args()

    from kiosk.xvfb import virtual_display

    process = psutil.Process()
    print(f"Resident memory over {args.rounds} rounds of every screen; {machine_note()}")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, virtual_display():
        content = ""
        if args.large:
            from generate import generate_source

            content = str(generate_source(Path(tmp) / "source", 10_000, 10_000))
            print("content: 10,000 generated guides, 10,000 points (import included in start)")
        else:
            print("content: seed")
        from kiosk.terminal import create_app

        app = create_app(terminal_config(Path(tmp) / "data", content), windowed=True,
                         size=(1080, 1920))
        from kiosk.driver import Driver

        driver = Driver.start(app)
        gc.collect()
        started_mb = process.memory_info().rss / MB
        print(f"RSS after start (attract screen drawn): {started_mb:.1f} MB\n")
        print(f"{'round':>5} {'RSS MB':>8} {'delta':>7} {'objects':>9} {'delta':>7} {'seconds':>7}")
        rss: list[float] = []
        objects: list[int] = []
        counts_at_5: Counter[str] = Counter()
        previous_mb, previous_objects = started_mb, len(gc.get_objects())
        for number in range(1, args.rounds + 1):
            began = time.perf_counter()
            walk_round(driver, Path(tmp) / "unused")
            gc.collect()
            rss.append(process.memory_info().rss / MB)
            objects.append(len(gc.get_objects()))
            print(f"{number:>5} {rss[-1]:8.1f} {rss[-1] - previous_mb:+7.1f} {objects[-1]:>9,} "
                  f"{objects[-1] - previous_objects:+7,} {time.perf_counter() - began:7.1f}")
            previous_mb, previous_objects = rss[-1], objects[-1]
            if number == min(5, args.rounds):
                counts_at_5 = type_counts()
        grown = type_counts() - counts_at_5
        app.exit_app()

    first = min(5, len(rss))
    rounds = list(range(first, len(rss) + 1))
    growth = rss[-1] - rss[first - 1]
    per_round = slope([float(r) for r in rounds], rss[first - 1:]) if len(rounds) > 1 else 0.0
    per_round_objects = (slope([float(r) for r in rounds], [float(o) for o in objects[first - 1:]])
                         if len(rounds) > 1 else 0.0)
    if grown:
        print("\nobject types that grew from round 5 to the end: "
              + ", ".join(f"{name} +{count}" for name, count in grown.most_common(12)))
    verdict = "meets" if rss[-1] <= TARGET_MB else "MISSES"
    print(f"\nSUMMARY RSS after round {len(rss)}: {rss[-1]:.1f} MB (target <= {TARGET_MB:.0f} MB:"
          f" {verdict}); growth round {first} -> {len(rss)}: {growth:+.1f} MB; "
          f"slope {per_round:+.2f} MB/round, {per_round_objects:+.0f} objects/round")
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
