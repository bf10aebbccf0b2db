"""Law search over 50 imported laws, and calculator time.

Generates 50 laws in the layout of the national laws and regulations database
(title, 目录, 第一章, 第一节, 第一条, continuing paragraphs; invented text, no
real law), runs each through the importer into a copy of the seed source,
loads it, and times LawIndex.search on article-number queries ("样例法三 47",
"样例法三第四十七条", "第四十七条" within a law) and word queries. Then times
every calculator on typical inputs. Target: search p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import machine_note, summary_ms  # noqa: E402

from content.calculators.registry import CALCULATORS  # noqa: E402
from content.laws.importer import import_law, law_yaml  # noqa: E402
from content.laws.numerals import to_chinese  # noqa: E402
from content.library import Library  # noqa: E402
from content.loader import load_source  # noqa: E402
from content.search import SearchIndex  # noqa: E402

SEED = Path(__file__).resolve().parents[1] / "content" / "seed"
WORDS = ("劳动合同", "经济补偿", "用人单位", "劳动者", "工资", "社会保险", "工伤", "调解",
         "仲裁", "法律援助", "当事人", "人民法院", "行政机关", "申请", "证据", "期限",
         "赔偿", "责任", "合同", "财产", "继承", "婚姻", "抚养", "赡养", "公证", "鉴定",
         "执行", "罚款", "许可", "登记")


def law_lines(index: int, rng: random.Random) -> list[str]:
    """One generated law: 6-10 chapters, 1-3 sections each, 3-8 articles a section."""
    lines = [f"中华人民共和国样例法{to_chinese(index)}", "（示例文本，由基准程序生成）", "目　　录"]
    chapters = rng.randint(6, 10)
    shape = [rng.randint(1, 3) for _ in range(chapters)]
    lines += [f"第{to_chinese(c)}章　第{c}章" for c in range(1, chapters + 1)]
    number = 0
    for c, sections in enumerate(shape, start=1):
        lines.append(f"第{to_chinese(c)}章　第{c}章")
        for s in range(1, sections + 1):
            lines.append(f"第{to_chinese(s)}节　第{s}节")
            for _ in range(rng.randint(3, 8)):
                number += 1
                body = "，".join(rng.choice(WORDS) + rng.choice(("应当", "可以", "不得", "依法"))
                                + rng.choice(WORDS) for _ in range(rng.randint(3, 8)))
                lines.append(f"第{to_chinese(number)}条　{body}。")
                for _ in range(rng.randint(0, 3)):
                    lines.append("　　" + "，".join(rng.choice(WORDS) for _ in range(6)) + "。")
    return lines


def build_source(folder: Path, laws: int) -> tuple[Path, float, int]:
    """A copy of the seed with generated laws imported; seconds per import, articles."""
    source = folder / "source"
    shutil.copytree(SEED, source)
    rng = random.Random(14)
    timings, articles = [], 0
    for index in range(1, laws + 1):
        text = folder / f"law{index}.txt"
        text.write_text("\n".join(law_lines(index, rng)), "utf-8")
        start = time.perf_counter()
        imported = import_law(text, f"sample-{index}", issuer="全国人民代表大会常务委员会",
                              promulgated="2020-01-01", in_force="2020-06-01",
                              topics=["labour"])
        (source / "laws" / f"sample-{index}.yaml").write_text(law_yaml(imported.data), "utf-8")
        timings.append(time.perf_counter() - start)
        assert not imported.problems, imported.problems[:3]
        articles += imported.article_count()
    return source, sum(timings) / len(timings), articles


def queries(library: Library, count: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """A mix: law + number (Arabic and Chinese), number within a law, one and two words."""
    codes = [code for code in library.laws.laws if code.startswith("sample-")]
    mixed: list[tuple[str, str | None]] = []
    for i in range(count):
        code = rng.choice(codes)
        law = library.laws.law(code)
        last = max(a.number for _, a in law.all_articles())
        number = rng.randint(1, last)
        short = law.title.removeprefix("中华人民共和国")
        kind = i % 5
        mixed.append([(f"{short} {number}", None), (f"{short}第{to_chinese(number)}条", None),
                      (f"第{to_chinese(number)}条", code), (rng.choice(WORDS), None),
                      (f"{rng.choice(WORDS)} {rng.choice(WORDS)}", None)][kind])
    return mixed


def bench_search(library: Library, count: int) -> None:
    rng = random.Random(48)
    mixed = queries(library, count, rng)
    by_kind: dict[str, list[float]] = {"number": [], "words": []}
    for index, (query, within) in enumerate(mixed):
        start = time.perf_counter()
        library.laws.search(query, within=within)
        elapsed = time.perf_counter() - start
        by_kind["number" if index % 5 < 3 else "words"].append(elapsed)  # see queries()
    every = by_kind["number"] + by_kind["words"]
    print(f"law search, all queries      : {summary_ms(every)}")
    print(f"  by article number          : {summary_ms(by_kind['number'])}")
    print(f"  by words                   : {summary_ms(by_kind['words'])}")


def bench_calculators(rounds: int) -> None:
    d, day = Decimal, dt.date.fromisoformat
    rates = [(day("2023-08-21"), d("3.45")), (day("2024-07-22"), d("3.35")),
             (day("2024-10-21"), d("3.10"))]
    inputs = {
        "court-fee": {"amount": d("1234567.89")}, "execution-fee": {"amount": d(600000)},
        "economic-compensation": {"monthly_wage": d(30000), "start": day("2010-01-01"),
                                  "end": day("2025-08-01"), "average_wage": d(8000)},
        "illegal-termination": {"monthly_wage": d(6000), "start": day("2020-01-01"),
                                "end": day("2025-08-01"), "average_wage": d(8000)},
        "double-wage": {"monthly_wage": d(4000), "start": day("2025-03-01"),
                        "signed": day("2025-09-16")},
        "work-injury": {"monthly_wage": d(6000), "grade": 7},
        "disability-compensation": {"income": d(50000), "age": 66, "grade": 5},
        "death-compensation": {"income": d(50000), "age": 66},
        "lpr-interest": {"principal": d(100000), "start": day("2024-01-01"),
                         "end": day("2025-01-01"), "rates": rates},
    }
    for name, calculator in CALCULATORS.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            calculator.compute(**inputs[name])
            times.append(time.perf_counter() - start)
        print(f"calc {name:<24}: {summary_ms(times)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--laws", type=int, default=50)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1000, help="runs of each calculator")
    args = parser.parse_args()
    print(machine_note())
    with tempfile.TemporaryDirectory(prefix="bench-law-") as tmp:
        source, per_import, articles = build_source(Path(tmp), args.laws)
        print(f"imported {args.laws} laws, {articles} articles: "
              f"{per_import * 1000:.1f} ms per law (read, parse, write YAML)")
        start = time.perf_counter()
        content = load_source(source)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        library = Library("bench", content, SearchIndex([]))
        print(f"load and validate the source : {loaded:.2f} s; library index build "
              f"{(time.perf_counter() - start) * 1000:.1f} ms")
        bench_search(library, args.queries)
    bench_calculators(args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
