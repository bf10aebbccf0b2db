"""Read an official law text (the national database's layout) into the library's YAML.

The layout: a title line, optional notes in parentheses (adopted ..., amended
...), an optional 目录 (table of contents), then 第一章 总则, 第一节 ...,
第一条 text, and paragraphs that continue the article above them. Lines the
reader cannot place (text before the first article, an article number that
skips or repeats) are reported with their line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.laws.numerals import NUMERAL, article_label, parse_number, to_chinese

OUTSIDE = "不属于任何一条的文字，无法归入 / text outside any article"

_SPACE = "\u3000\u00a0 \t"
CHAPTER = re.compile(rf"^第({NUMERAL})章[{_SPACE}]*(.*)$")
SECTION = re.compile(rf"^第({NUMERAL})节[{_SPACE}]*(.*)$")
ARTICLE = re.compile(rf"^第({NUMERAL})条(?:[{_SPACE}]+|$)(.*)$")
NOTE = re.compile(r"^[（(].*[)）]$")
TOC = re.compile(rf"^目[{_SPACE}]*录$")


@dataclass(frozen=True)
class ImportProblem:
    """A line the importer could not place, with why."""

    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.text[:40]}"


@dataclass
class ImportedLaw:
    """What the importer read: the law as YAML-ready data and the problems found."""

    data: dict[str, Any]
    problems: list[ImportProblem] = field(default_factory=list)

    def article_count(self) -> int:
        """How many articles were read."""
        chapters = self.data.get("chapters", [])
        return len(self.data.get("articles", [])) + sum(
            len(c["articles"]) + sum(len(s["articles"]) for s in c["sections"])
            for c in chapters)


class _Reader:
    """Walks the lines, keeping where the next article goes."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"title": "", "articles": [], "chapters": []}
        self.problems: list[ImportProblem] = []
        self.article: dict[str, Any] | None = None
        self.last_number = 0
        self.toc: list[str] | None = None

    def target(self) -> list[dict[str, Any]]:
        """The article list the next article belongs to (the last chapter's or section's)."""
        articles: list[dict[str, Any]]
        if self.data["chapters"]:
            chapter = self.data["chapters"][-1]
            articles = chapter["sections"][-1]["articles"] if chapter["sections"] else \
                chapter["articles"]
        else:
            articles = self.data["articles"]
        return articles

    def feed(self, number: int, line: str) -> None:
        if not self.data["title"]:
            self.data["title"] = line
            return
        if self.toc is not None and self._in_toc(line):
            return
        if TOC.match(line):
            self.toc = []
        elif self.last_number == 0 and not self.data["chapters"] and NOTE.match(line):
            self.data["note"] = (self.data.get("note", "") + "\n" + line).strip()
        elif match := CHAPTER.match(line):
            self._chapter(number, line, match)
        elif match := SECTION.match(line):
            self._section(number, line, match)
        elif match := ARTICLE.match(line):
            self._article(number, line, match)
        elif self.article is not None:
            self.article["text"] += "\n" + line
        else:
            self.problems.append(ImportProblem(number, line, OUTSIDE))

    def _in_toc(self, line: str) -> bool:
        """Table-of-contents lines are headings; the body starts when the first one recurs."""
        assert self.toc is not None
        key = re.sub(f"[{_SPACE}]", "", line)
        if (CHAPTER.match(line) or SECTION.match(line)) and key not in self.toc[:1]:
            self.toc.append(key)
            return True
        self.toc = None
        return False

    def _chapter(self, number: int, line: str, match: re.Match[str]) -> None:
        value = parse_number(match.group(1))
        expected = len(self.data["chapters"]) + 1
        if value != expected:
            self.problems.append(ImportProblem(
                number, line, f"此处应为第{to_chinese(expected)}章 / chapter {value} where "
                f"chapter {expected} was expected"))
        self.data["chapters"].append({"number": expected, "title": match.group(2).strip() or
                                      line, "articles": [], "sections": []})
        self.article = None

    def _section(self, number: int, line: str, match: re.Match[str]) -> None:
        if not self.data["chapters"]:
            self.problems.append(ImportProblem(number, line, "节不在任何一章之内 / "
                                               "section outside any chapter"))
            return
        sections = self.data["chapters"][-1]["sections"]
        value = parse_number(match.group(1))
        if value != len(sections) + 1:
            self.problems.append(ImportProblem(
                number, line, f"此处应为第{to_chinese(len(sections) + 1)}节 / section {value} "
                f"where section {len(sections) + 1} was expected"))
        sections.append({"number": len(sections) + 1,
                         "title": match.group(2).strip() or line, "articles": []})
        self.article = None

    def _article(self, number: int, line: str, match: re.Match[str]) -> None:
        value = parse_number(match.group(1))
        if value is None or value != self.last_number + 1:
            self.problems.append(ImportProblem(
                number, line, f"此处应为{article_label(self.last_number + 1)}，无法归入 / "
                f"article {value} where article {self.last_number + 1} was expected"))
            if value is None or value <= self.last_number:
                self.article = None  # a repeat cannot be placed; its paragraphs neither
                return
        self.article = {"number": value, "text": match.group(2).strip()}
        self.target().append(self.article)
        self.last_number = value


def parse_law_lines(lines: list[str]) -> ImportedLaw:
    """Read the lines of an official text; blank lines are skipped."""
    reader = _Reader()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip(_SPACE + "\r\n\ufeff")
        if line:
            reader.feed(number, line)
    data = reader.data
    if not data["chapters"]:
        del data["chapters"]
    else:
        if not data["articles"]:
            del data["articles"]
    return ImportedLaw(data, reader.problems)


def read_lines(path: Path) -> list[str]:
    """The paragraphs of a .txt (UTF-8 or GB18030) or .docx file, one per line."""
    if path.suffix.lower() == ".docx":
        try:
            import docx  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ImportError("reading .docx needs python-docx (pip install python-docx)"
                              ) from exc
        return [p.text for p in docx.Document(str(path)).paragraphs]
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path}: neither UTF-8 nor GB18030 text")


def import_law(path: Path, code: str, **metadata: Any) -> ImportedLaw:
    """Read a file and add the code and any metadata given (issuer, dates, topics)."""
    imported = parse_law_lines(read_lines(path))
    body = imported.data
    imported.data = {"code": code, "title": body.pop("title"),
                     **{k: v for k, v in metadata.items() if v not in (None, [], "")}, **body}
    return imported


def law_yaml(data: dict[str, Any]) -> str:
    """The law as YAML an editor can read (Chinese kept as is, keys in schema order)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
