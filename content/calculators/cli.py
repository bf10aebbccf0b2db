"""``hallkiosk calc NAME --INPUT VALUE ... [--json]``: any calculator from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parent.parent / "seed"


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"不是数字 / not a number: {text!r}") from exc


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD: "
                                         f"{text!r}") from exc


def _parsers() -> dict[type, Any]:
    return {Decimal: _decimal, dt.date: _date, int: int, str: str}


def _figure_inputs(args: argparse.Namespace, values: dict[str, Any]) -> None:
    """Fill an input the user left out from the content's local figures."""
    from content.calculators.figures import FIGURE_INPUTS, FigureKind, fill_figures
    from content.calculators.registry import CALCULATORS
    from content.loader import load_source

    calculator = CALCULATORS[args.calculator]
    if all(values.get(FIGURE_INPUTS[FigureKind(k)]) is not None for k in calculator.figures):
        return
    fill_figures(calculator.figures, values, load_source(args.src).figures, args.on)


def _run(args: argparse.Namespace) -> int:
    from content.calculators.base import FOR_REFERENCE, CalcInputError
    from content.calculators.figures import FigureMissing
    from content.calculators.registry import CALCULATORS
    from content.errors import ContentInvalid

    calculator = CALCULATORS[args.calculator]
    values = {spec.name: getattr(args, spec.name) for spec in calculator.inputs}
    missing = [s.name for s in calculator.inputs if values[s.name] is None and s.default is None
               and s.name not in ("average_wage", "income")]
    if missing:
        print(f"缺少输入 / missing input: {', '.join('--' + m.replace('_', '-') for m in missing)}",
              file=sys.stderr)
        return 2
    try:
        _figure_inputs(args, values)
        result = calculator.compute(**values)
    except CalcInputError as exc:
        print(f"--{exc.field.replace('_', '-')}: {exc.message_zh}\n{exc.message_en}",
              file=sys.stderr)
        return 2
    except (FigureMissing, ContentInvalid) as exc:
        print(f"{exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"calculator": calculator.name, **result.as_dict()},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"{calculator.title}：{result.result:,.2f}{result.unit}（{FOR_REFERENCE}）")
    for line in result.working:
        print(f"  {line}")
    for note in result.notes:
        print(f"  注：{note}")
    print("法律依据：" + "、".join(b.label for b in result.basis))
    return 0


def register(commands: Any) -> None:
    """Add ``hallkiosk calc`` with one sub-command per calculator."""
    from content.calculators.registry import CALCULATORS

    lines = [f"  {c.name:<24} {c.title} / {c.title_en}\n    inputs: "
             + " ".join(f"--{s.name.replace('_', '-')}" for s in c.inputs)
             for c in CALCULATORS.values()]
    calc = commands.add_parser(
        "calc", help="run a legal calculator (court fee, severance, injury, interest ...)",
        description="Run a legal calculator with the same code the terminal uses. Results are "
        "for reference only (仅供参考).\n\ncalculators:\n" + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    names = calc.add_subparsers(dest="calculator", required=True, metavar="NAME")
    parsers = _parsers()
    for calculator in CALCULATORS.values():
        sub = names.add_parser(calculator.name, help=f"{calculator.title} / {calculator.title_en}",
                               description=f"{calculator.title} / {calculator.title_en}")
        for spec in calculator.inputs:
            sub.add_argument(f"--{spec.name.replace('_', '-')}", dest=spec.name,
                             type=parsers[spec.kind], default=spec.default,
                             choices=spec.choices or None,
                             help=f"{spec.help_zh} / {spec.help_en}")
        sub.add_argument("--json", action="store_true",
                         help="print the result, working and legal basis as JSON")
        sub.add_argument("--src", type=Path, default=SEED,
                         help="content source with figures.yaml (default: the seed)")
        sub.add_argument("--on", type=_date, default=dt.date.today(),
                         help="day whose local figures apply (default today)")
        sub.set_defaults(func=_run)
