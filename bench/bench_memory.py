"""Terminal memory (PSS) walking every screen 20 times, beside a Chromium kiosk in the same run.

Target: the terminal's PSS after the last round at most half of the Chromium kiosk's, and no
growth between rounds.

Both run under one private Xvfb at 1080x1920. First Debian's Chromium (``/usr/bin/chromium
--kiosk``, a throwaway profile) shows static pages this script writes from the seed content:
the home page with every tile of the terminal's home screen and the longest guide as a
detail page, both in Chinese in the CJK font; the home page opens the guide, the guide page
scrolls to its end and returns home, three times, then rests on home. Its PSS is the sum of
``Pss`` in ``/proc/PID/smaps_rollup`` over the whole process tree (browser, zygotes, GPU,
network and storage utilities, renderers), sampled every second; the figure is the last
sample (the largest is printed too). Chromium is then stopped.

Then the real app runs in this process on the seed content (or, with ``--large``, on
10,000 generated guides and 10,000 points). A separate process first imports the content,
extracts the font and writes the pages, so the measured process starts like a terminal
that has run before (no import, no pypinyin, no fontTools). One round is the walkthrough's
visitor path (devtools/walkthrough.py ``_Walk.run``: attract, home, categories, a guide list
and guide, points with a filter, a point, search typed with the letter keys, FAQ and an
answer, online services and a hand-off, the legal-aid self-check to a result, the law
library and calculators, rating and complaints, admin PIN pad, admin, error, the idle
countdown) with real taps and no screenshots, in portrait, normal mode, Chinese; with
``--all-modes`` each round also walks it in landscape, elder mode, English. After each round
(which ends as a visitor session does: ``reset_session``, then the rehearsal of the next
visitor's first screens, kiosk.rehearsal) ``gc.collect()`` runs and the process's PSS and
RSS are read.

Printed: a bare Kivy app's PSS under the same Xvfb (a 1080x1920 window with one label: the
floor of any Kivy terminal on this GL driver); Chromium's PSS per process type; the terminal's
PSS and RSS after each round, growth from round 5 to the last round and the least-squares
slope over those rounds; Python's
tracked object count per round and, when it grows, the object types that grew most; the
screens alive at the end; both PSS figures and their ratio.

Run: ``.venv/bin/python bench/bench_memory.py [--rounds 20] [--large] [--all-modes]
[--no-chromium]``.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from common import machine_note, terminal_config
from memory_baselines import (
    CHROMIUM,
    CHROMIUM_SECONDS,
    bare_kivy,
    chromium_kiosk,
    pss_by_mapping,
    pss_kib,
)

TARGET_RATIO = 0.5  # terminal PSS / Chromium kiosk PSS
MB = 1024 * 1024
WALKS = [("portrait", False, "zh_CN"), ("landscape", True, "en")]
PREPARE = """
import sys
from pathlib import Path
from content.install import install_and_load
from kiosk.fonts import find_fonts
data_dir = Path(sys.argv[1])
result = install_and_load(data_dir, sys.argv[2])
find_fonts("", "", data_dir / "fonts", cut=True)
if result.library is None:
    sys.exit(result.error)
sys.path.insert(0, sys.argv[4])
from memory_baselines import write_pages
write_pages(result.library, Path(sys.argv[3]))
"""
def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def type_counts() -> Counter[str]:
    """Tracked objects by type name."""
    return Counter(type(o).__name__ for o in gc.get_objects())


def record_faces() -> set[str]:
    """The (size, font, weight) faces the SDL2 text provider opens from now on: it keeps
    each one open (a FreeType face of the CJK font) for the life of the process."""
    from kivy.core.text.text_sdl2 import LabelSDL2

    faces: set[str] = set()
    font_id = LabelSDL2._get_font_id

    def recording(label: Any) -> str:
        found = str(font_id(label))
        faces.add(found)
        return found

    LabelSDL2._get_font_id = recording  # type: ignore[method-assign]
    return faces


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
    # a terminal between visitors: the next visitor's first screens rehearsed (kiosk.rehearsal)
    if not driver.wait_until(lambda: not driver.app.rehearsal.busy, timeout=60):
        raise RuntimeError("the rehearsal between visitors did not finish within 60 s")
    driver.frames(3)


def screen_textures(app: Any) -> None:
    """Widgets and texture megabytes (width x height x 4) each screen holds now."""
    print(f"\n{'screen':<14} {'widgets':>8} {'textures':>8} {'texture MB':>10}"
          "  (screens alive after the last round)")
    total = 0.0
    seen: set[int] = set()
    for screen in app.nav.built():
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

    in_screens = {id(w) for screen in app.nav.built() for w in screen.walk(restrict=False)}
    elsewhere = [o for o in gc.get_objects() if not isinstance(o, weakref.ProxyTypes)
                 and isinstance(o, Widget) and id(o) not in in_screens]
    textures = {id(t): t.width * t.height * 4 / MB for w in elsewhere
                if (t := getattr(w, "texture", None)) is not None and id(t) not in seen}
    print(f"{'not on a screen':<14} {len(elsewhere):>8} {len(textures):>8} "
          f"{sum(textures.values()):10.1f}  (recycled list rows, popups, headers' parents ...)")


def main() -> int:
    """Chromium's kiosk PSS, then the app walking every screen round after round: PSS per round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--large", action="store_true",
                        help="10,000 generated guides and 10,000 points instead of the seed")
    parser.add_argument("--all-modes", action="store_true",
                        help="also walk in landscape, elder mode, English each round")
    parser.add_argument("--no-chromium", action="store_true", help="the terminal only")
    args = parser.parse_args()
    walks = WALKS if args.all_modes else WALKS[:1]

    from devtools.xvfb import virtual_display

    process = psutil.Process()

    def pss() -> float:
        return pss_kib() / 1024

    print(f"Memory (PSS) of the terminal over {args.rounds} rounds of every screen beside a "
          f"Chromium kiosk; {machine_note()}")
    screen = (1920, 1920) if args.all_modes else (1080, 1920)  # landscape needs the width
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, virtual_display(*screen):
        content = ""
        if args.large:
            from generate import generate_source

            content = str(generate_source(Path(tmp) / "source", 10_000, 10_000))
            print("content: 10,000 generated guides, 10,000 points (import included in start)")
        else:
            print("content: seed")
        data_dir, pages = Path(tmp) / "data", Path(tmp) / "pages"
        subprocess.run([sys.executable, "-c", PREPARE, str(data_dir), content, str(pages),
                        str(Path(__file__).parent)], check=True, timeout=300)
        floor = bare_kivy(Path(tmp))
        chromium = 0.0
        if not args.no_chromium:
            if shutil.which(CHROMIUM) is None:
                print(f"{CHROMIUM} missing (make system installs it): terminal only")
            else:
                chromium, _largest = chromium_kiosk(pages, CHROMIUM_SECONDS)
        print(f"walks per round: {', '.join(f'{o} elder={e} {lang}' for o, e, lang in walks)}")
        imported = pss()
        from kiosk.terminal import create_app

        app = create_app(terminal_config(data_dir, content), windowed=True, size=(1080, 1920))
        created = pss()
        from devtools.driver import Driver

        faces = record_faces()
        driver = Driver.start(app)
        gc.collect()
        started = pss()
        print(f"PSS before the terminal's imports {imported:.1f} MiB; after create_app (content "
              f"loaded, Kivy window and GL driver up) {created:.1f} MiB; after Driver.start "
              f"(attract built and drawn) {started:.1f} MiB\n")
        print(f"{'round':>5} {'PSS MiB':>8} {'delta':>7} {'RSS MiB':>8} {'objects':>9} "
              f"{'delta':>7} {'seconds':>7}")
        series: list[float] = []
        objects: list[int] = []
        first = min(5, args.rounds)
        last_same = args.rounds - (args.rounds - first) % 2
        counts_first: Counter[str] = Counter()
        grown: Counter[str] = Counter()
        previous, previous_objects = started, len(gc.get_objects())
        for number in range(1, args.rounds + 1):
            began = time.perf_counter()
            walk_round(driver, Path(tmp) / "unused", walks)
            gc.collect()
            series.append(pss())
            objects.append(len(gc.get_objects()))
            print(f"{number:>5} {series[-1]:8.1f} {series[-1] - previous:+7.1f} "
                  f"{process.memory_info().rss / MB:8.1f} {objects[-1]:>9,} "
                  f"{objects[-1] - previous_objects:+7,} {time.perf_counter() - began:7.1f}")
            previous, previous_objects = series[-1], objects[-1]
            # Object counts alternate between rounds (list view caches), so types are
            # compared between round 5 and the last round of the same parity.
            if number == first:
                counts_first = type_counts()
            if number == last_same:
                grown = type_counts() - counts_first
        screen_textures(app)
        sizes = sorted({float(face.split("|")[0]) for face in faces})
        print("\nPSS by mapping after the last round (MiB): " + ", ".join(
            f"{mapped} {mib:.1f}" for mapped, mib in pss_by_mapping()))
        whole = sum(1 for face in faces if "-cut-" not in face)
        print(f"\ntext faces opened (font, size, weight): {len(faces)}, {whole} of them of the "
              "whole CJK face, the others of the interface's cut; sizes "
              + ", ".join(f"{size:g}" for size in sizes))
        app.exit_app()

    rounds = list(range(first, len(series) + 1))
    growth = series[-1] - series[first - 1]
    per_round = slope([float(r) for r in rounds], series[first - 1:]) if len(rounds) > 1 else 0.0
    per_round_objects = ((objects[last_same - 1] - objects[first - 1]) / (last_same - first)
                         if last_same > first else 0.0)
    if grown:
        print(f"\nobject types that grew from round {first} to round {last_same}: "
              + ", ".join(f"{name} +{count}" for name, count in grown.most_common(12)))
    print(f"\nSUMMARY terminal PSS after round {len(series)}: {series[-1]:.1f} MiB; growth round "
          f"{first} -> {len(series)}: {growth:+.1f} MiB, slope {per_round:+.2f} MiB/round "
          f"(least squares); tracked objects {per_round_objects:+.0f}/round")
    if chromium:
        ratio = series[-1] / chromium
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        print(f"SUMMARY Chromium kiosk PSS {chromium:.1f} MiB; terminal / Chromium = {ratio:.2f} "
              f"(target <= {TARGET_RATIO:.2f}: {verdict})")
        if floor:
            print(f"SUMMARY bare Kivy app {floor:.1f} MiB = {floor / chromium:.2f} of Chromium; "
                  f"the target leaves {TARGET_RATIO * chromium - floor:.1f} MiB above it, the "
                  f"terminal uses {series[-1] - floor:.1f} MiB above it")
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
