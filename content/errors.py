"""Content errors that carry their exact location in the source folder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem in a source file: where it is, which item and field, what is wrong."""

    file: str
    line: int | None
    item: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.item:
            parts.append(f"item {self.item}")
        if self.field:
            parts.append(f"field {self.field}")
        return f"{': '.join(parts)}: {self.message}"


class ContentInvalid(Exception):
    """Raised when a source folder or bundle has errors; holds every error found."""

    def __init__(self, errors: list[ContentError]):
        self.errors = sorted(errors, key=lambda e: (e.file, e.line or 0, e.message))
        super().__init__(f"{len(self.errors)} content error(s)")

    def report(self) -> str:
        """Every error on its own line, sorted by file and line."""
        return "\n".join(str(e) for e in self.errors)
