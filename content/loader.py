"""Load a content source folder, reporting every error with its location.

The folder layout is described in ARCHITECTURE.md: ``categories.yaml``,
``guides/*.yaml``, ``points.csv`` (or ``points.xlsx``), ``faq.yaml``,
``online.yaml``, ``flows/*.yaml`` and ``slides/slides.yaml``. A folder either
loads completely or raises :class:`ContentInvalid` with all its errors.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from content.calculators.figures import Figure
from content.collector import Collector
from content.english import VISITOR_KINDS, dotted, pairs
from content.errors import ContentError, ContentInvalid
from content.forms.checks import check_forms
from content.forms.schema import FormTemplate
from content.laws.checks import check_library
from content.laws.schema import Case, Law, Topic
from content.schema import (
    Category,
    ContentSet,
    FaqEntry,
    Flow,
    Guide,
    Intent,
    IntentAction,
    LexiconEntry,
    OnlineService,
    ServicePoint,
    Slide,
)
from content.yaml_lines import LineDict, LineList

M = TypeVar("M", bound=BaseModel)

POINT_COLUMNS = [
    "id", "name", "type", "level", "district", "address", "latitude", "longitude", "phone",
    "hours", "services", "advisor", "advisor_hours", "supervision_phone", "sample",
]
# English beside the Chinese columns: optional, so a province's older sheet still loads.
POINT_ENGLISH_COLUMNS = ["name_en", "district_en", "address_en", "hours_en", "services_en",
                         "advisor_hours_en"]
LIST_SEPARATORS = ("、", ";", "；")
TRUE_WORDS = {"true", "yes", "1", "是", "y"}
FALSE_WORDS = {"false", "no", "0", "否", "n", ""}


def _item_id(data: Any, key: str, fallback: str | None = None) -> str | None:
    if isinstance(data, dict) and isinstance(data.get(key), str | int):
        return str(data[key])
    return fallback


def _yaml_list(col: Collector, kind: str, path: Path, model: type[M], key: str) -> list[M]:
    if not path.exists():
        col.add(path, None, None, None, "file is missing")
        return []
    data = col.read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, LineList):
        col.add(path, getattr(data, "line", 1), None, None, "expected a list of items")
        return []
    items = []
    for index, entry in enumerate(data):
        item = _item_id(entry, key, f"#{index + 1}")
        if not isinstance(entry, LineDict):
            col.add(path, data.item_lines[index], item, None, "expected a mapping")
            continue
        parsed = col.validate(kind, model, entry, path, item)
        if parsed is not None:
            items.append(parsed)
    return items


def _yaml_files(col: Collector, kind: str, folder: Path, model: type[M], key: str
                ) -> list[M]:
    if not folder.is_dir():
        col.add(folder, None, None, None, "folder is missing")
        return []
    items = []
    for path in sorted(folder.glob("*.yaml")):
        data = col.read_yaml(path)
        if data is None:
            continue
        item = _item_id(data, key, path.stem)
        if not isinstance(data, LineDict):
            col.add(path, getattr(data, "line", 1), item, None, "expected a mapping")
            continue
        parsed = col.validate(kind, model, data, path, item)
        if parsed is not None:
            items.append(parsed)
    return items


def _split_list(value: str) -> list[str]:
    for sep in LIST_SEPARATORS[1:]:
        value = value.replace(sep, LIST_SEPARATORS[0])
    return [part.strip() for part in value.split(LIST_SEPARATORS[0]) if part.strip()]


def _point_rows(col: Collector, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of points.csv or points.xlsx as (line, cells) with text cells."""
    if path.suffix == ".xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types on bad files
            col.add(path, None, None, None, f"cannot read workbook: {exc}")
            return
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(rows, ())]
        if _check_header(col, path, header):
            for number, values in enumerate(rows, start=2):
                cells = ["" if v is None else str(v).strip() for v in values]
                if any(cells):
                    yield number, dict(zip(header, cells, strict=False))
        book.close()
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        col.add(path, None, None, None, f"not UTF-8 text ({exc.reason})")
        return
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if not _check_header(col, path, header):
        return
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            col.add(path, reader.line_num, cells[0] if cells else None, None,
                    f"expected {len(header)} cells, found {len(cells)}")
            continue
        yield reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=True)}


def _check_header(col: Collector, path: Path, header: list[str]) -> bool:
    missing = [c for c in POINT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in POINT_COLUMNS + POINT_ENGLISH_COLUMNS]
    if missing:
        col.add(path, 1, None, None, f"missing column(s): {', '.join(missing)}")
    if unknown:
        col.add(path, 1, None, None, f"unknown column(s): {', '.join(unknown)}")
    return not missing and not unknown


def _points(col: Collector, src: Path) -> list[ServicePoint]:
    candidates = [p for p in (src / "points.csv", src / "points.xlsx") if p.exists()]
    if len(candidates) != 1:
        message = "both points.csv and points.xlsx exist" if candidates else "file is missing"
        col.add(candidates[1] if candidates else src / "points.csv", None, None, None, message)
        return []
    path = candidates[0]
    points = []
    for line, cells in _point_rows(col, path):
        item = cells.get("id") or None
        data: dict[str, Any] = {k: v for k, v in cells.items() if v != ""}
        data["services"] = _split_list(cells.get("services", ""))
        if cells.get("services_en"):
            data["services_en"] = _split_list(cells["services_en"])
        sample = cells.get("sample", "").lower()
        if sample not in TRUE_WORDS | FALSE_WORDS:
            col.add(path, line, item, "sample", f"expected true or false, found {sample!r}")
            continue
        data["sample"] = sample in TRUE_WORDS
        parsed = col.validate("points", ServicePoint, data, path, item, row_line=line)
        if parsed is not None:
            points.append(parsed)
    return points


def _check_unique(col: Collector) -> None:
    seen: set[tuple[str, str]] = set()
    for item in col.items:
        if item.key is None:
            continue
        if (item.kind, item.key) in seen:
            field = {"categories": "code", "guides": "code", "windows": "number",
                     "intents": "name", "topics": "code", "laws": "code"}.get(item.kind, "id")
            col.error_at(item, (field,), "duplicate id")
        seen.add((item.kind, item.key))


def _check_references(col: Collector, src: Path) -> None:
    categories, online = col.declared("categories"), col.declared("online")
    guides = col.declared("guides")
    for item in (i for i in col.items if i.model is not None):
        model = item.model
        if item.kind in ("guides", "faq") and model.category not in categories:
            col.error_at(item, ("category",), f"unknown category {model.category!r}")
        if item.kind == "guides" and model.online and model.online not in online:
            col.error_at(item, ("online",), f"unknown online service {model.online!r}")
        if (item.kind == "intents" and model.action == IntentAction.FLOW
                and model.target not in col.declared("flows")):
            col.error_at(item, ("target",), f"unknown flow {model.target!r}")
        if item.kind == "flows":
            for key, node in model.nodes.items():
                for index, code in enumerate(getattr(node, "guides", [])):
                    if code not in guides:
                        col.error_at(item, ("nodes", key, "guides", index),
                                     f"unknown guide {code!r}")
    _check_files(col, src)


def safe_relative_name(name: str) -> bool:
    """Whether name is a relative path that stays inside its folder (no '..', no '/x')."""
    return (bool(name) and not name.startswith("/") and "\\" not in name and "\0" not in name
            and all(part not in ("", ".", "..") for part in name.split("/")))


def _check_files(col: Collector, src: Path) -> None:
    """Guide files are named by their code; slide images are files inside slides/."""
    for item in (i for i in col.items if i.model is not None):
        model = item.model
        if item.kind == "guides" and item.path.stem != model.code:
            col.error_at(item, ("code",), "file name must be the guide code followed by .yaml")
        if item.kind == "slides" and model.image:
            if not safe_relative_name(model.image):
                col.error_at(item, ("image",), f"image {model.image!r} must be a file name "
                             "inside slides/ (no '..', no leading '/')")
            elif not (src / "slides" / model.image).is_file():
                col.error_at(item, ("image",), f"image file {model.image!r} not found in "
                             "slides/")


def _library(col: Collector, src: Path) -> dict[str, list[Any]]:
    """The optional law library (laws/, cases/, law-topics.yaml), figures.yaml and forms/."""
    parts: dict[str, list[Any]] = {}
    if (src / "laws").is_dir() or (src / "law-topics.yaml").exists():
        parts["topics"] = _yaml_list(col, "topics", src / "law-topics.yaml", Topic, "code")
        parts["laws"] = _yaml_files(col, "laws", src / "laws", Law, "code")
    if (src / "cases").is_dir():
        parts["cases"] = _yaml_files(col, "cases", src / "cases", Case, "id")
    if (src / "forms").is_dir():
        parts["forms"] = _yaml_files(col, "forms", src / "forms", FormTemplate, "id")
    if (src / "figures.yaml").exists():
        parts["figures"] = _yaml_list(col, "figures", src / "figures.yaml", Figure, "id")
    return parts


def _check_english(col: Collector, require: bool) -> None:
    """English lists give one item per Chinese item; with require, every visitor text of
    the visitor's kinds has English (reported at the line of its Chinese)."""
    for item in (i for i in col.items if i.model is not None):
        for pair in pairs(item.model):
            if pair.mismatched:
                col.add(item.path, item.line(*pair.english_path), item.key,
                        dotted(pair.english_path), f"{len(pair.english)} English item(s) "
                        f"for {len(pair.chinese)} Chinese: give one for each, in order")
            elif require and item.kind in VISITOR_KINDS and pair.shown and pair.missing:
                col.add(item.path, item.line(*pair.path), item.key, dotted(pair.english_path),
                        "no English for this text")


def load_source(src: Path | str, require_english: bool = False) -> ContentSet:
    """Load and validate a whole source folder; raise ContentInvalid listing every error.

    With require_english, a visitor text without English is an error too."""
    src = Path(src)
    col = Collector(src)
    if not src.is_dir():
        raise ContentInvalid([ContentError(str(src), None, None, None, "not a folder")])
    content: dict[str, list[Any]] = {
        "categories": _yaml_list(col, "categories", src / "categories.yaml", Category, "code"),
        "guides": _yaml_files(col, "guides", src / "guides", Guide, "code"),
        "points": _points(col, src),
        "faq": _yaml_list(col, "faq", src / "faq.yaml", FaqEntry, "id"),
        "online": _yaml_list(col, "online", src / "online.yaml", OnlineService, "id"),
        "flows": _yaml_files(col, "flows", src / "flows", Flow, "id"),
        "slides": _yaml_list(col, "slides", src / "slides" / "slides.yaml", Slide, "id"),
    }
    content["lexicon"] = load_lexicon(col, src / "lexicon.yaml")
    content["intents"] = (_yaml_list(col, "intents", src / "intents.yaml", Intent, "name")
                          if (src / "intents.yaml").exists() else [])
    content.update(_library(col, src))
    _check_unique(col)
    _check_references(col, src)
    check_library(col)
    check_forms(col)
    _check_english(col, require_english)
    if col.errors:
        raise ContentInvalid(col.errors)
    return ContentSet(**content)


def load_lexicon(col: Collector, path: Path) -> list[LexiconEntry]:
    """The colloquial lexicon (optional file); a word listed twice is an error at its line."""
    if not path.exists():
        return []
    entries = _yaml_list(col, "lexicon", path, LexiconEntry, "words")
    records = [i for i in col.items if i.kind == "lexicon" and i.path == path]
    seen: dict[str, int | None] = {}
    for record in records:
        words = record.raw.get("words") if isinstance(record.raw, dict) else None
        for index, word in enumerate(words if isinstance(words, list) else []):
            key = str(word).strip()
            if key in seen:
                col.error_at(record, ("words", index),
                             f"word {key!r} is already listed at line {seen[key]}")
            else:
                seen[key] = record.line("words", index)
    return entries
