"""``hallkiosk ask``: what the terminal would answer, for editors checking the lexicon."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from content.answers.engine import AnswerEngine, AskResult


def load_engine(path: Path | None) -> AnswerEngine:
    """The engine on a source folder or bundle folder (the seed when path is None)."""
    from content.answers import build_engine
    from content.bundle import MANIFEST, read_answers, read_bundle
    from content.install import SEED
    from content.loader import load_source

    path = path or SEED
    if (path / MANIFEST).exists():
        _manifest, content, _rows = read_bundle(path)
        return build_engine(content, read_answers(path))
    return build_engine(load_source(path))


def as_json(result: AskResult) -> dict[str, Any]:
    """The result as the one JSON object the command prints per question."""
    answers = []
    for answer in result.answers:
        item: dict[str, Any] = {"id": answer.id, "kind": answer.kind, "title": answer.title,
                                "score": answer.score}
        item.update({k: v for k, v in (("facet", answer.facet), ("service", answer.service))
                     if v})
        answers.append(item)
    return {"answers": answers, "fallback": result.fallback}


def print_text(result: AskResult, out: TextIO) -> None:
    """The result as lines for a person: ranked answers with sources, or the fallback."""
    for rank, answer in enumerate(result.answers, start=1):
        extra = "".join(f" {k}={v}" for k, v in (("facet", answer.facet),
                                                   ("service", answer.service)) if v)
        print(f"{rank}. [{answer.id}] {answer.title}  score {answer.score:.2f} coverage "
              f"{answer.coverage:.2f}{extra}", file=out)
    if result.fallback:
        print("no confident answer: offer " + ", ".join(result.actions), file=out)
        for answer in result.candidates:
            print(f"   below threshold: [{answer.id}] {answer.title}  score "
                  f"{answer.score:.2f} coverage {answer.coverage:.2f}", file=out)


def _ask(args: argparse.Namespace) -> int:
    from content.errors import ContentInvalid

    if bool(args.question) == bool(args.batch):
        print("give either a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    try:
        engine = load_engine(args.content)
    except ContentInvalid as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    if args.batch:
        handle = sys.stdin if str(args.batch) == "-" else args.batch.open(encoding="utf-8")
        with handle:
            questions = [line.rstrip("\r\n") for line in handle if line.strip()]
    else:
        questions = [args.question]
    for question in questions:
        result = engine.ask(question)
        if args.json:
            print(json.dumps(as_json(result), ensure_ascii=False))
        else:
            if len(questions) > 1:
                print(f"? {question}")
            print_text(result, sys.stdout)
    return 0


def register(commands: Any) -> None:
    """Add ``hallkiosk ask`` to the command line."""
    ask = commands.add_parser(
        "ask", help="answer a question in everyday words, as the terminal would",
        description="Print the ranked answers to a question with their source ids (FAQ id, "
        "guide code, flow:<id>, intent:<name>) and scores, or the fallback when no answer "
        "is confident, exactly as the terminal answers. Editors use it to check the lexicon.")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--content", type=Path, metavar="SRC_OR_BUNDLE",
                     help="content source folder or built bundle (default: the seed)")
    ask.add_argument("--json", action="store_true",
                     help='one JSON object per question: {"answers": [{"id", "kind", "title", '
                     '"score"}], "fallback": true|false}')
    ask.add_argument("--batch", type=Path, metavar="FILE",
                     help="read one question per line from FILE ('-' for standard input)")
    ask.set_defaults(func=_ask)
