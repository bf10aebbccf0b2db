"""Read the active content version from the terminal's store without SQLAlchemy.

A terminal reads its store at every start and writes it only when new content
arrives. The reading goes through the standard library's sqlite3, so the start-up
does not import SQLAlchemy (about 0.15 s of a terminal's one-second start);
``content.store`` writes the same tables through SQLAlchemy and runs the store's
migrations. Every read is one transaction, so a version being written by the sync
worker at the same moment is either wholly seen or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.answers.index import AnswerDoc, load_documents
from content.schema import ContentSet
from content.search import IndexRow, SearchIndex

STORE_FILE = "terminal.sqlite3"
HEAD_REVISION = "0002"  # the newest file in content/migrations/versions (a test checks)
KINDS = ("categories", "guides", "points", "faq", "online", "flows", "slides", "lexicon",
         "intents", "topics", "laws", "cases", "figures", "forms")
# The bundle's answers.json (answer documents segmented at build time) is one item of this
# kind, so the terminal's engine does not segment every guide again on the first question.
ANSWERS_KIND = "answers"
SEARCH_COLUMNS = ("kind", "key", "title", "title_en", "subtitle", "text", "title_pinyin",
                  "keyword_pinyin", "subtitle_en", "text_en")
BUSY_SECONDS = 30.0  # wait this long for a writer's lock before giving up


@dataclass(frozen=True)
class ActiveContent:
    """What the terminal shows: the active version, its content and its search index."""

    version: str
    manifest: dict[str, Any]
    content: ContentSet
    index: SearchIndex
    answers: list[AnswerDoc] | None = None  # None: built on first use (an older version)


@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection in one read transaction (it only reads)."""
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    with closing(connection):
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            connection.execute("COMMIT")


def at_head(path: Path) -> bool:
    """Whether the store file exists and its schema is the newest (nothing to migrate)."""
    if not Path(path).is_file():
        return False
    try:
        with _reading(path) as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                          "AND name = 'alembic_version'").fetchone() is None:
                return False
            versions = {row[0] for row in db.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.DatabaseError:  # unreadable: let the migrations say what is wrong
        return False
    return versions == {HEAD_REVISION}


def _active_row(db: sqlite3.Connection) -> tuple[int, str, dict[str, Any]] | None:
    row = db.execute("SELECT id, version, manifest FROM content_version "
                     "WHERE state = 'active'").fetchone()
    return None if row is None else (row[0], row[1], json.loads(row[2]))


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The active version's manifest, without loading its content."""
    with _reading(path) as db:
        active = _active_row(db)
    return None if active is None else active[2]


def read_active(path: Path) -> ActiveContent | None:
    """Load the active version, or None when the store is empty."""
    with _reading(path) as db:
        active = _active_row(db)
        if active is None:
            return None
        version_id, version, manifest = active
        grouped: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        answers: list[AnswerDoc] | None = None
        for kind, payload in db.execute(
                "SELECT kind, payload FROM content_item WHERE version_id = ? "
                "ORDER BY kind, position", (version_id,)):
            if kind == ANSWERS_KIND:
                answers = load_documents(json.loads(payload))
            elif kind in grouped:
                grouped[kind].append(json.loads(payload))
        rows = [IndexRow(*row) for row in db.execute(
            f"SELECT {', '.join(SEARCH_COLUMNS)} FROM search_row WHERE version_id = ? "
            "ORDER BY position", (version_id,))]
    return ActiveContent(version, manifest, ContentSet.model_validate(grouped),
                         SearchIndex(rows), answers)
