"""Errors gathered across a whole content source, each with its file, line and field.

The loader, the overlay reader and the law and form checks record into one collector,
so a run reports every error of a folder at once instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from content.errors import ContentError
from content.schema import Flow
from content.yaml_lines import line_of, load_yaml

M = TypeVar("M", bound=BaseModel)


@dataclass
class Item:
    """One parsed item, valid or not, with what locates its fields in the source."""

    kind: str
    key: str | None
    path: Path
    raw: Any
    row_line: int | None = None
    model: Any = None

    def line(self, *field: Any) -> int | None:
        """The line of a field of this item (the row's line for CSV and XLSX)."""
        return self.row_line if self.row_line is not None else line_of(self.raw, field)


class Collector:
    """Gathers errors across the whole folder so one run reports them all."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[ContentError] = []
        self.items: list[Item] = []

    def error_at(self, item: Item, field: tuple[Any, ...], message: str) -> None:
        """Record an error on one field of a parsed item."""
        name = ".".join(str(p) for p in field) or None
        self.add(item.path, item.line(*field), item.key, name, message)

    def declared(self, kind: str) -> set[str]:
        """Keys of every item of a kind in the source, including invalid ones."""
        return {i.key for i in self.items if i.kind == kind and i.key is not None}

    def add(self, path: Path, line: int | None, item: str | None, field: str | None,
            message: str) -> None:
        """Record one error, with the file relative to the source root."""
        self.errors.append(ContentError(self._rel(path), line, item, field, message))

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read_yaml(self, path: Path) -> Any:
        """Parse a YAML file; a syntax error is recorded and gives None."""
        try:
            return load_yaml(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            self.add(path, None, None, None, f"not UTF-8 text ({exc.reason})")
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            self.add(path, line, None, None, f"YAML syntax error: {exc.problem or exc}")
        except yaml.YAMLError as exc:
            self.add(path, None, None, None, f"YAML error: {exc}")
        return None

    def validate(self, kind: str, model: type[M], data: Any, path: Path, item: str | None,
                 row_line: int | None = None) -> M | None:
        """Validate one item; each field error is recorded with its line."""
        record = Item(kind, item, path, data, row_line)
        self.items.append(record)
        if model is Flow and self._flow_links_broken(record):
            return None
        try:
            validated = model.model_validate(data)
            record.model = validated
            return validated
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = tuple(err["loc"])
                line = row_line if row_line is not None else line_of(data, loc)
                field = ".".join(str(p) for p in loc) or None
                self.add(path, line, item, field, err["msg"])
        return None


    def _flow_links_broken(self, item: Item) -> bool:
        """Report choices and a start that name missing nodes, each at its own line."""
        data = item.raw
        nodes = data.get("nodes") if isinstance(data, dict) else None
        if not isinstance(nodes, dict):
            return False
        broken = False
        if "start" in data and data["start"] not in nodes:
            self.error_at(item, ("start",), f"unknown node {data['start']!r}")
            broken = True
        for key, node in nodes.items():
            choices = node.get("choices") if isinstance(node, dict) else None
            for index, choice in enumerate(choices if isinstance(choices, list) else []):
                target = choice.get("next") if isinstance(choice, dict) else None
                if isinstance(target, str) and target not in nodes:
                    self.error_at(item, ("nodes", key, "choices", index, "next"),
                                  f"unknown node {target!r}")
                    broken = True
        return broken
