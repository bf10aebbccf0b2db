"""Ask the terminal (智能咨询): accuracy on the evaluation set, latency on 10,000 items.

Prints, on the seed content, top-1, top-3 and fallback precision (wrong confident
answers on the questions the content cannot answer) of tests/content/ask_eval.yaml,
for the tuning part and for the held-out part the lexicon was never tuned on. Then
on a generated source of 10,000 answerable items (9,500 guides and 500 FAQ entries,
see bench/generate.py) it prints the build-time segmentation, the size answers.json
adds to the bundle, the engine's load time and memory, and question-to-answers
latency (``AnswerEngine.ask``, perf_counter) p50/p95 over every evaluation question
asked several times. jieba's import and dictionary load are measured first, as RSS.

Run: ``.venv/bin/python bench/bench_ask.py`` (about a minute; ``--items`` to change).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import psutil
from common import machine_note, percentile
from generate import generate_source

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "content" / "ask_eval.yaml"
TARGET_P95 = 0.100


def _mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def bench_jieba() -> None:
    """Import and dictionary load of jieba, as time and resident memory."""
    process = psutil.Process()
    before, started = process.memory_info().rss, time.perf_counter()
    from content.answers.segment import _jieba, tokens

    _jieba()
    tokens("预热")
    print(f"jieba import + dictionary load: {time.perf_counter() - started:.2f} s, "
          f"RSS +{_mb(process.memory_info().rss - before)}")


def bench_eval(engine: object, label: str) -> None:
    """Figures on the evaluation set, tuning part, held-out part and all."""
    from content.answers.evaluate import evaluate, load_eval

    questions = load_eval(EVAL)
    parts = (("tuning", [q for q in questions if not q.holdout]),
             ("held-out", [q for q in questions if q.holdout]), ("all", questions))
    print(f"\nevaluation set on {label} ({len(questions)} questions, "
          f"{sum(not q.right for q in questions)} without an answer in the content):")
    for name, part in parts:
        print(f"  {name:9} {evaluate(engine, part).summary()}")  # type: ignore[arg-type]


def bench_large(items: int, repeats: int) -> None:
    """Build, size, memory and latency with `items` answerable items."""
    from content.answers import build_engine
    from content.answers.evaluate import load_eval
    from content.answers.index import documents, dump_documents
    from content.bundle import ANSWERS, build_bundle, read_answers
    from content.loader import load_source

    with tempfile.TemporaryDirectory() as tmp:
        faq = min(500, items // 20)
        src = generate_source(Path(tmp) / "src", guides=items - faq, points=100, faq=faq)
        content = load_source(src)
        started = time.perf_counter()
        docs = documents(content)
        segmented = time.perf_counter() - started
        bundle = Path(tmp) / "bundle"
        manifest = build_bundle(src, bundle)
        size = sum(f["size"] for f in manifest["files"].values())
        added = manifest["files"][ANSWERS]["size"]
        print(f"\n{len(docs):,} answer documents ({len(content.guides):,} guides, "
              f"{len(content.faq)} FAQ, {len(content.flows)} flows, {len(content.intents)} "
              f"intents, lexicon of {sum(len(e.words) for e in content.lexicon):,} words)")
        print(f"  segmentation at build time: {segmented:.1f} s; answers.json {_mb(added)} "
              f"of a {_mb(size)} bundle ({added / size:.0%})")
        data = json.loads((bundle / ANSWERS).read_text("utf-8"))
        assert len(data["docs"]) == len(dump_documents(docs)["docs"])
        started = time.perf_counter()
        stored = read_answers(bundle)
        read = time.perf_counter() - started
        assert stored is not None
        engine = build_engine(content, stored)
        load = time.perf_counter() - started - read
        print(f"  engine from the bundle's answers.json: read {read:.2f} s + index "
              f"{load:.2f} s")
        del engine
        tracemalloc.start()
        engine = build_engine(content, read_answers(bundle))
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  engine memory: {_mb(current)} held, documents included (peak {_mb(peak)}, "
              "tracemalloc)")
        started = time.perf_counter()
        build_engine(content)
        print(f"  engine segmenting on the terminal instead (older bundle): "
              f"{time.perf_counter() - started:.1f} s")
        questions = [q.question for q in load_eval(EVAL)]
        times = []
        for _ in range(repeats):
            for question in questions:
                started = time.perf_counter()
                engine.ask(question)
                times.append(time.perf_counter() - started)
        p95 = percentile(times, 0.95)
        verdict = "met" if p95 < TARGET_P95 / 2 else "NOT met"
        print(f"  question -> answers: p50 {percentile(times, 0.5) * 1000:.1f} ms, p95 "
              f"{p95 * 1000:.1f} ms, max {max(times) * 1000:.1f} ms (n={len(times)}; target "
              f"p95 well under {TARGET_P95 * 1000:.0f} ms: {verdict})")
        bench_eval(engine, f"{len(docs):,} documents (generated guides as distractors)")


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(machine_note())
    bench_jieba()
    from content.answers import build_engine
    from content.install import SEED
    from content.loader import load_source

    bench_eval(build_engine(load_source(SEED)), "the seed content")
    bench_large(args.items, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
