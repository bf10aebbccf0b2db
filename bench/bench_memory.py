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
(which ends as a visitor session does: ``reset_session``) ``gc.collect()`` runs and the
process's PSS and RSS are read.

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

TARGET_RATIO = 0.5  # terminal PSS / Chromium kiosk PSS
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_SECONDS = 25
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
from bench_memory import write_pages
write_pages(result.library, Path(sys.argv[3]))
"""
# The floor: a bare Kivy app (a window of the terminal's size showing one label) under the
# same Xvfb and GL driver; its PSS (and the largest parts of it), printed, then it exits.
FLOOR = """
import os, sys
os.environ["KIVY_NO_ARGS"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "1080")
Config.set("graphics", "height", "1920")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
sys.path.insert(0, sys.argv[1])
from bench_memory import pss_by_mapping, pss_kib
class Floor(App):
    def build(self):
        return Label(text="hallkiosk", font_size=48)
    def on_start(self):
        Clock.schedule_once(self.report, 2)
    def report(self, _dt):
        parts = ", ".join(f"{name} {mib:.1f}" for name, mib in pss_by_mapping(4))
        print(f"FLOOR {pss_kib() / 1024:.1f} {parts}", flush=True)
        self.stop()
Floor().run()
"""
# The terminal's home tiles (msgids of screens/home.py home_entries), shown in Chinese.
HOME_TILES = [
    ("Take a number", "Queue for a service window"),
    ("Ask a question", "Say or type what happened"),
    ("Service guides", "Materials and steps"), ("Service points", "Addresses and hours"),
    ("Search", "Type a word"), ("Legal aid self-check", "Can I get legal aid?"),
    ("Questions", "Common questions"), ("Law library", "Laws explained, with cases"),
    ("Legal calculators", "Fees and compensation"), ("Continue online", "Scan with your phone"),
    ("Rate a service", "How did we do?"), ("Complaints and suggestions", "Tell us, we call back"),
    ("Check progress", "Your case by its code"), ("Elder mode and help", "Large text, read aloud")]
PAGE_STYLE = """body{margin:0;font-family:'Noto Sans CJK SC',sans-serif;background:#f3f5f9;
color:#1c2733}header{background:#0d4c8b;color:#fff;padding:36px 48px;font-size:48px;
display:flex;justify-content:space-between}.grid{display:grid;gap:24px;padding:32px;
grid-template-columns:1fr 1fr}.tile{background:#1565c0;color:#fff;border-radius:24px;
min-height:200px;display:flex;flex-direction:column;justify-content:center;
align-items:center;font-size:46px;text-decoration:none}.tile small{font-size:28px}
article{padding:24px 56px;font-size:34px;line-height:1.6}h2{font-size:42px;color:#0d4c8b}
footer{padding:24px 48px;font-size:28px;color:#555}"""
# home -> guide (scrolled to its end) -> home, three times, then rest on home
PAGE_SCRIPT = """<script>const n=+(location.hash.slice(1)||0);
if(document.body.dataset.page=='guide'){setTimeout(()=>{scrollTo(0,document.body.scrollHeight);
setTimeout(()=>{location.href='home.html#'+(n+1)},1500)},1500)}
else if(n<3){setTimeout(()=>{location.href='guide.html#'+n},2000)}</script>"""


def write_pages(library: Any, folder: Path) -> None:
    """The Chromium kiosk's pages: home with the terminal's tiles, the longest guide."""
    from html import escape

    from kiosk.catalogs import translations

    zh = translations("zh_CN").gettext
    folder.mkdir(parents=True, exist_ok=True)

    def page(name: str, title: str, body: str) -> None:
        (folder / f"{name}.html").write_text(
            f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{PAGE_STYLE}</style><body data-page={name}><header><span>"
            f"{escape(title)}</span><span>中文 | EN</span></header>{body}"
            f"<footer>{escape(zh('Call staff'))} · 12348</footer>{PAGE_SCRIPT}", "utf-8")

    tiles = "".join(f'<a class=tile href="guide.html">{escape(zh(t))}<small>{escape(zh(s))}'
                    "</small></a>" for t, s in HOME_TILES)
    page("home", zh("Public Legal Service Centre"), f"<div class=grid>{tiles}</div>")

    def texts(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, dict):
            return [t for key, v in value.items() if not key.endswith("_en") for t in texts(v)]
        if isinstance(value, list):
            return [t for v in value for t in texts(v)]
        return []

    guide = max(library.content.guides, key=lambda g: len("".join(texts(g.model_dump()))))
    fields = guide.model_dump()
    parts = [f"<h2>{title}</h2>" + "".join(f"<p>{escape(t)}</p>" for t in texts(fields[field]))
             for field, title in (("summary", "概述"), ("applicants", "申请对象"),
                                  ("materials", "需携带材料"), ("steps", "办理流程"),
                                  ("time_limit", "办理时限"), ("fees", "收费标准"),
                                  ("legal_basis", "法律依据"), ("where", "办理地点"))]
    page("guide", guide.title, f"<article>{''.join(parts)}</article>")


def tree_pss_kib(root: psutil.Process) -> dict[str, int]:
    """PSS in KiB of a process and all its descendants, summed per process type."""
    by_type: dict[str, int] = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            kind = next((a[7:] for a in process.cmdline() if a.startswith("--type=")), "browser")
            by_type[kind] = by_type.get(kind, 0) + pss_kib(process.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            continue
    return by_type


def pss_kib(pid: int | str = "self") -> int:
    """Sum of Pss in /proc/PID/smaps_rollup, KiB."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))


def chromium_kiosk(pages: Path, seconds: int) -> tuple[float, float]:
    """Run Chromium --kiosk on the pages under the current DISPLAY; (last, largest) PSS MiB."""
    with tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
        command = [CHROMIUM, "--kiosk", "--no-sandbox", f"--user-data-dir={profile}",
                   "--window-position=0,0", "--window-size=1080,1920", "--no-first-run",
                   "--no-default-browser-check", "--noerrdialogs", "--disable-infobars",
                   "--password-store=basic", "--disable-features=Translate",
                   "--disable-component-update", (pages / "home.html").as_uri()]
        browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        root = psutil.Process(browser.pid)
        samples: list[dict[str, int]] = []
        try:
            for _second in range(seconds):
                time.sleep(1)
                samples.append(tree_pss_kib(root))
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=15)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
    last = samples[-1]
    print(f"Chromium --kiosk ({len(samples)} s: home -> guide detail -> home x3, then home):")
    for kind, kib in sorted(last.items(), key=lambda item: -item[1]):
        print(f"  {kind:<12} {kib / 1024:7.1f} MiB")
    totals = [sum(sample.values()) / 1024 for sample in samples]
    print(f"  {'all':<12} {totals[-1]:7.1f} MiB PSS (largest sample {max(totals):.1f} MiB)\n")
    return totals[-1], max(totals)


def bare_kivy(folder: Path) -> float:
    """PSS MiB of a bare Kivy app under the current DISPLAY (0.0 if it did not report)."""
    script = folder / "floor.py"  # a file: Kivy's App looks for its kv beside its source
    script.write_text(FLOOR, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("FLOOR ")), "")
    if not line:
        print("bare Kivy app: no figure (it failed)\n" + done.stderr[-2000:])
        return 0.0
    _word, mib, parts = line.split(" ", 2)
    print(f"bare Kivy app (a 1080x1920 window, one label; the floor of any Kivy terminal on "
          f"this GL driver): {float(mib):.1f} MiB PSS ({parts})\n")
    return float(mib)


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def type_counts() -> Counter[str]:
    """Tracked objects by type name."""
    return Counter(type(o).__name__ for o in gc.get_objects())


def pss_by_mapping(top: int = 14) -> list[tuple[str, float]]:
    """The process's PSS per mapped file ([heap], anonymous, each .so), largest first."""
    sizes: Counter[str] = Counter()
    name = ""
    with open("/proc/self/smaps") as handle:
        for line in handle:
            fields = line.split()
            if not fields[0].endswith(":"):  # a mapping's header line
                name = fields[5] if len(fields) > 5 else "[anonymous]"
                name = name if name.startswith("[") else Path(name).name
            elif fields[0] == "Pss:":
                sizes[name] += int(fields[1])
    return [(mapped, kib / 1024) for mapped, kib in sizes.most_common(top)]


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
