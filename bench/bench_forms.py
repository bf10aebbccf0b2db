"""Fill-in documents and the take-home checklist: PDF render time and checklist print figures.

For each seed template, every field filled with a valid value, the time from the values to the
PDF bytes (render_form_pdf: cutting the CJK font down to the document's characters, converting
it to TrueType, laying out the A4 pages), p50/p95 over the rounds, and the PDF's size. Then a
guide's materials checklist for the ticket printer, in both print modes and both paper widths:
bytes handed to the printer and the time to lay out and encode them.

Run: ``.venv/bin/python bench/bench_forms.py [--rounds 10]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from common import machine_note, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content.forms.schema import FieldType, FormField  # noqa: E402
from content.loader import load_source  # noqa: E402
from devices.form_pdf import render_form_pdf  # noqa: E402
from devices.printer import ticket_format  # noqa: E402

SEED = ROOT / "content" / "seed"


def sample(field: FormField, index: int) -> str:
    """A valid value for any field."""
    if field.type is FieldType.CHOICE:
        return field.choices[0]
    return {FieldType.PHONE: "13812345678", FieldType.ID_NUMBER: "11010519491231002X",
            FieldType.DATE: "2024-03-15", FieldType.NUMBER: str(int(field.minimum or 0) + 1),
            FieldType.MULTILINE: "申请人自2023年起在被申请人处工作，工资按月发放。" * 4,
            }.get(field.type, f"填写内容{index}")


def bench_pdf(rounds: int) -> None:
    layout = ticket_format(need_font=True)
    assert layout.font_path
    for form in load_source(SEED).forms:
        values = {f.key: sample(f, i) for i, f in enumerate(form.fields())}
        times, size = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            size = len(render_form_pdf(form, values, font_path=layout.font_path,
                                       font_index=layout.font_index))
            times.append(time.perf_counter() - started)
        print(f"PDF {form.id}: {len(values)} fields, {size / 1024:.0f} KB, {summary_ms(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    print(machine_note())
    bench_pdf(rounds)
    bench_checklist_all(rounds)


def bench_checklist_all(rounds: int) -> None:
    from devices.checklist_layout import ChecklistPrint

    content = load_source(SEED)
    guide = max(content.guides, key=lambda g: len(g.materials))
    checklist = ChecklistPrint(
        code=guide.code, title=guide.title,
        materials=tuple(f"{m.name} 原件{m.originals}份" for m in guide.materials),
        where=guide.where.service, hours="周一至周五 8:30-12:00 14:00-17:30",
        phone="0000-85550123", url=f"https://www.12348.gov.cn/?guide={guide.code}")
    for width in (58, 80):
        for mode in ("bitmap", "gb18030"):
            layout = ticket_format(width, mode=mode, need_font=True)
            times, size = [], 0
            for _ in range(rounds):
                started = time.perf_counter()
                size = len(layout.encode(checklist))
                times.append(time.perf_counter() - started)
            print(f"checklist {guide.code} ({len(guide.materials)} materials) {width} mm "
                  f"{mode}: {size} bytes, {summary_ms(times)}")


if __name__ == "__main__":
    main()
