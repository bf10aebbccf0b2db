"""Question to answer card drawn on the ask screen (智能咨询), with the seed and 10,000 items.

The real app runs under a private Xvfb on a terminal store made from the content (the
seed, or a generated source of N answerable items: bench/generate.py). The ask screen
is opened with a real tap; then for each question of the evaluation set
(tests/content/ask_eval.yaml) the question is put in the question box (untimed, as if
typed) and the 提问 button is tapped with a real touch. Timed (time.perf_counter):

* question->card drawn: touch down on 提问 to the end of the first frame drawn after
  the answer card was filled (the engine answers on a worker thread; the card is filled
  on the UI thread in the next Clock tick). This includes the buffer swap, so a second
  figure subtracts the swap (Xvfb's software rasteriser) of the frames in between.
* engine: Library.ask alone for the same questions (no UI).

Run: ``.venv/bin/python bench/bench_ask_card.py [--items 10000]`` (without --items it
runs the seed and then 10,000 items, each in its own process: Kivy has one window per
process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_note, percentile, start_timed_driver, terminal_config
from generate import generate_source

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95 = 0.100  # seconds, excluding the buffer swap


def questions() -> list[str]:
    """The evaluation set's questions."""
    from content.answers.evaluate import load_eval

    return [case.question for case in load_eval(ROOT / "tests" / "content" / "ask_eval.yaml")]


def run(items: int, rounds: int) -> None:
    """Start the app on the content and time every question of the evaluation set."""
    from content.install import SEED, install_and_load
    from devtools.xvfb import virtual_display

    with tempfile.TemporaryDirectory(prefix="bench-ask-card-") as tmp, virtual_display():
        source = SEED
        if items:
            faq = min(500, items // 20)
            source = generate_source(Path(tmp) / "source", guides=items - faq, points=100,
                                     faq=faq)
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        result = install_and_load(data_dir, str(source))
        if result.library is None:
            raise RuntimeError(result.error)
        count = len(result.library.answers().docs)
        del result
        print(f"\n{'seed' if not items else f'{items:,} items'}: {count:,} answer documents; "
              f"import {time.perf_counter() - started:.1f} s")
        from kiosk.terminal import create_app

        app = create_app(terminal_config(data_dir, str(source)), windowed=True,
                         size=(1080, 1920))
        driver = start_timed_driver(app)
        driver.tap(driver.screen)  # attract -> home
        driver.tap(driver.find("智能咨询"))
        screen = driver.screen
        assert driver.wait_until(lambda: app.services.ime.ready is not None, 60)
        # TerminalServices.warm_answers loads the engine (from the store's answers.json)
        # and the segmenter in the background at start; questions wait for nothing after
        assert driver.wait_until(lambda: app.services.warm_library is app.library, 120)
        driver.watch(screen, "shown")
        ask_button = driver.find("提问")
        asked = questions()
        totals: list[float] = []
        no_swap: list[float] = []
        engine: list[float] = []
        released: list[float] = []
        split: dict[str, list[float]] = {}
        fallbacks = 0
        for _round in range(rounds):
            for question in asked:
                screen.new_question()
                screen.typed = question
                driver.frames(2)
                _wall, times = driver.timed_tap(ask_button)
                totals.append(times.tap_to_drawn)
                parts = times.parts()
                no_swap.append(times.tap_to_drawn - parts["swap"])
                released.append(times.drawn - times.up - sum(
                    f.swap_time for f in times.within() if f.end > times.up))
                for name in ("frames", "before_draw", "draw", "swap", "gc"):
                    split.setdefault(name, []).append(parts[name])
                fallbacks += screen.fallback
        for question in asked:
            began = time.perf_counter()
            app.library.ask(question)
            engine.append(time.perf_counter() - began)
        driver.stop_timing()
        app.exit_app()

        def line(name: str, values: list[float]) -> str:
            return (f"  {name:34} p50 {statistics.median(values) * 1000:6.1f} ms   "
                    f"p95 {percentile(values, 0.95) * 1000:6.1f} ms   "
                    f"max {max(values) * 1000:6.1f} ms")

        print(f"  {len(totals)} questions ({len(asked)} x {rounds}), "
              f"{fallbacks / rounds:.0f} fallbacks per round")
        print(line("question->card drawn", totals))
        print(line("  excluding the buffer swap", no_swap))
        print(line("  release->card drawn, no swap", released))
        print(line("engine alone (Library.ask)", engine))
        print("  where question->card drawn went (median per question): " + ", ".join(
            f"{name} {statistics.median(values) * (1 if name == 'frames' else 1000):.1f}"
            + ("" if name == "frames" else " ms") for name, values in split.items()))
        p95 = percentile(no_swap, 0.95)
        print(f"  target p95 <= {TARGET_P95 * 1000:.0f} ms excluding the swap: "
              f"{'met' if p95 <= TARGET_P95 else 'NOT met'}")


def main() -> int:
    """Run one content size, or the seed and 10,000 items in two processes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=-1,
                        help="answerable items to generate (0: the seed); default both")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the question set")
    args = parser.parse_args()
    if args.items >= 0:
        run(args.items, args.rounds)
        return 0
    print(f"Question to answer card drawn; {machine_note()}")
    for items in (0, 10_000):
        code = subprocess.call([sys.executable, __file__, "--items", str(items),
                                "--rounds", str(args.rounds)])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
