"""Resident memory while walking every screen 20 times (target: <= 200 MB, no growth per round).

The real app runs under a private Xvfb on the seed content (or, with ``--large``, on
10,000 generated guides and 10,000 points). A separate process first imports the content
and extracts the font, so the measured process starts like a terminal that has run
before (no import, no pypinyin, no fontTools). One round is the walkthrough's visitor path
(devtools/walkthrough.py ``_Walk.run``: attract, home, categories, a guide list and guide,
points with a filter, a point, search typed with the letter keys, FAQ and an answer,
online services and a hand-off, the legal-aid self-check to a result, elder mode and help,
admin PIN pad, admin, error, the idle countdown) with real taps and no screenshots, in
portrait, normal mode, Chinese; with ``--all-modes`` each round also walks it in landscape,
elder mode, English (twice as long). After each round ``gc.collect()`` runs and the
process's RSS (psutil) is read.

Printed: RSS after each round, growth from round 5 to the last round, and the least-squares
slope over those rounds in MB per round; also Python's tracked object count per round and,
when it grows, the object types that grew most.

Run: ``.venv/bin/python bench/bench_memory.py [--rounds 20] [--large]``.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
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
PREPARE = """
import sys
from pathlib import Path
from content.install import install_and_load
from kiosk.fonts import find_fonts
data_dir = Path(sys.argv[1])
result = install_and_load(data_dir, sys.argv[2])
find_fonts("", "", data_dir / "fonts")
sys.exit(0 if result.library is not None else result.error)
"""


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def type_counts() -> Counter[str]:
    """Tracked objects by type name."""
    return Counter(type(o).__name__ for o in gc.get_objects())


def walk_round(driver: Any, out: Path, walks: list[tuple[str, bool, str]]) -> None:
    """Every screen, once per walk, with real taps and no screenshots."""
    from devtools.walkthrough import _Walk
    from kiosk.bootstrap import SIZES

    class Steps(_Walk):
        def shot(self, step: str) -> None:
            self.driver.frames(1)  # let the step draw; no screenshot kept

    for orientation, elder, language in walks:
        if driver.app.state.orientation != orientation:
            driver.resize(*SIZES[orientation])
        driver.app.reset_session()
        driver.frames(3)
        Steps(driver, out, orientation).run(elder, language)
    driver.app.reset_session()
    driver.frames(3)


def screen_textures(app: Any) -> None:
    """Widgets and texture megabytes (width x height x 4) each screen holds now."""
    print(f"\n{'screen':<14} {'widgets':>8} {'textures':>8} {'texture MB':>10}"
          "  (held after the last round)")
    total = 0.0
    seen: set[int] = set()
    for screen in app.nav.manager.screens:
        widgets = list(screen.walk(restrict=False))
        sizes = []
        for widget in widgets:
            texture = getattr(widget, "texture", None)
            if texture is not None and id(texture) not in seen:
                seen.add(id(texture))
                sizes.append(texture.width * texture.height * 4 / MB)
        total += sum(sizes)
        print(f"{screen.name:<14} {len(widgets):>8} {len(sizes):>8} {sum(sizes):10.1f}")
    print(f"{'all screens':<14} {'':>8} {len(seen):>8} {total:10.1f}")
    from kivy.uix.widget import Widget

    in_screens = {id(w) for screen in app.nav.manager.screens for w in screen.walk(restrict=False)}
    elsewhere = [o for o in gc.get_objects() if isinstance(o, Widget) and id(o) not in in_screens]
    textures = {id(t): t.width * t.height * 4 / MB for w in elsewhere
                if (t := getattr(w, "texture", None)) is not None and id(t) not in seen}
    print(f"{'not on a screen':<14} {len(elsewhere):>8} {len(textures):>8} "
          f"{sum(textures.values()):10.1f}  (recycled list rows, popups, headers' parents ...)")


def main() -> int:
    """Start the app, walk every screen round after round and print RSS per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--large", action="store_true",
                        help="10,000 generated guides and 10,000 points instead of the seed")
    parser.add_argument("--all-modes", action="store_true",
                        help="also walk in landscape, elder mode, English each round")
    args = parser.parse_args()
    walks = WALKS if args.all_modes else WALKS[:1]

    from devtools.xvfb import virtual_display

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
        data_dir = Path(tmp) / "data"
        subprocess.run([sys.executable, "-c", PREPARE, str(data_dir), content], check=True,
                       timeout=300)
        print(f"walks per round: {', '.join(f'{o} elder={e} {lang}' for o, e, lang in walks)}")
        from kiosk.terminal import create_app

        imported_mb = process.memory_info().rss / MB
        app = create_app(terminal_config(data_dir, content), windowed=True, size=(1080, 1920))
        created_mb = process.memory_info().rss / MB
        from devtools.driver import Driver

        driver = Driver.start(app)
        gc.collect()
        started_mb = process.memory_info().rss / MB
        print(f"RSS after imports {imported_mb:.1f} MB; after create_app (content loaded, "
              f"Kivy window and GL driver up) {created_mb:.1f} MB; after Driver.start "
              f"(screens built, attract drawn) {started_mb:.1f} MB\n")
        print(f"{'round':>5} {'RSS MB':>8} {'delta':>7} {'objects':>9} {'delta':>7} {'seconds':>7}")
        rss: list[float] = []
        objects: list[int] = []
        first = min(5, args.rounds)
        last_same = args.rounds - (args.rounds - first) % 2
        counts_first: Counter[str] = Counter()
        grown: Counter[str] = Counter()
        previous_mb, previous_objects = started_mb, len(gc.get_objects())
        for number in range(1, args.rounds + 1):
            began = time.perf_counter()
            walk_round(driver, Path(tmp) / "unused", walks)
            gc.collect()
            rss.append(process.memory_info().rss / MB)
            objects.append(len(gc.get_objects()))
            print(f"{number:>5} {rss[-1]:8.1f} {rss[-1] - previous_mb:+7.1f} {objects[-1]:>9,} "
                  f"{objects[-1] - previous_objects:+7,} {time.perf_counter() - began:7.1f}")
            previous_mb, previous_objects = rss[-1], objects[-1]
            # Object counts alternate between rounds (list view caches), so types are
            # compared between round 5 and the last round of the same parity.
            if number == first:
                counts_first = type_counts()
            if number == last_same:
                grown = type_counts() - counts_first
        screen_textures(app)
        app.exit_app()

    rounds = list(range(first, len(rss) + 1))
    growth = rss[-1] - rss[first - 1]
    per_round = slope([float(r) for r in rounds], rss[first - 1:]) if len(rounds) > 1 else 0.0
    per_round_objects = ((objects[last_same - 1] - objects[first - 1]) / (last_same - first)
                         if last_same > first else 0.0)
    if grown:
        print(f"\nobject types that grew from round {first} to round {last_same}: "
              + ", ".join(f"{name} +{count}" for name, count in grown.most_common(12)))
    verdict = "meets" if rss[-1] <= TARGET_MB else "MISSES"
    print(f"\nSUMMARY RSS after round {len(rss)}: {rss[-1]:.1f} MB (target <= {TARGET_MB:.0f} MB:"
          f" {verdict}); growth round {first} -> {len(rss)}: {growth:+.1f} MB; "
          f"slope {per_round:+.2f} MB/round (least squares); tracked objects "
          f"{per_round_objects:+.0f}/round (round {first} -> {last_same})")
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
