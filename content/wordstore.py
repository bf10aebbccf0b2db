"""Read-only word tables in SQLite files, so a terminal does not hold them as objects.

jieba's prefix dictionary (about 580,000 words and word beginnings with their
frequencies) and the pinyin input's tables cost a terminal about 90 MB and 45 MB as
Python dicts of strings. Read from a file through SQLite they cost a page cache of a
few megabytes, and a question or a keystroke looks up a few dozen keys.

Each file is built once in a child process (``python -m content.wordstore KIND PATH``,
what it is built from on stdin): the building imports jieba's and pypinyin's data, and
its peak memory goes back to the system when the child exits. The file is written
under a temporary name and renamed, and it is named by a digest of what it was built
from, so a new dictionary or new hall words give a new file; older files of the same
kind are removed. Nothing here imports Kivy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

FORMAT = 1  # bump when a table's layout or its building changes
BUILD_TIMEOUT = 300.0  # seconds; a slow terminal builds the input table in about 10
CACHED_KEYS = 4096  # looked-up keys kept per table (a question, a typed phrase)
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_JIEBA_IMPORT = threading.Lock()


class WordStoreError(RuntimeError):
    """A word table could not be built or opened (the message says why)."""


def store_path(cache_dir: Path, kind: str, *parts: object) -> Path:
    """The file of a table of this kind built from parts (JSON-able)."""
    digest = hashlib.sha256(json.dumps([FORMAT, *parts], ensure_ascii=False,
                                       default=str).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-{digest}.sqlite"


def child_environment() -> dict[str, str]:
    """This process's environment for a ``python -m`` child that imports the project's
    packages (found even when the project is not installed)."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_ROOT), environment.get("PYTHONPATH", "")]))
    return environment


def ensure_built(path: Path, kind: str, payload: object) -> Path:
    """path, built by a child process first if it does not exist yet."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "content.wordstore", kind, str(partial)],
            input=json.dumps(payload, ensure_ascii=False).encode(), capture_output=True,
            timeout=BUILD_TIMEOUT, env=child_environment(), check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        partial.unlink(missing_ok=True)
        raise WordStoreError(f"building the {kind} table failed: {exc}") from exc
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise WordStoreError(f"building the {kind} table failed (exit {done.returncode}): "
                             + " | ".join(tail))
    partial.replace(path)
    for old in path.parent.glob(f"{kind}-*.sqlite"):
        if old != path:
            old.unlink(missing_ok=True)
    log.info("built the %s table %s", kind, path.name)
    return path


T = TypeVar("T")


def open_built(path: Path, kind: str, payload: object, opener: Callable[[Path], T]) -> T:
    """opener(path) on the table, built first if missing; a file that cannot be read
    (cut short, damaged) is removed and built once more."""
    try:
        return opener(ensure_built(path, kind, payload))
    except WordStoreError as exc:
        log.warning("the %s table %s is not readable (%s): building it again",
                    kind, path.name, exc)
        path.unlink(missing_ok=True)
    return opener(ensure_built(path, kind, payload))


def open_readonly(path: Path, *tables: str) -> sqlite3.Connection:
    """A connection to a finished file (never written again: immutable, no locks),
    checked to hold these tables and its meta table."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                             check_same_thread=False)
        for table in ("meta", *tables):
            db.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
        db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        raise WordStoreError(f"cannot read {path}: {exc}") from exc
    return db


def create(path: Path) -> sqlite3.Connection:
    """A new table file (for the child that builds it)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")  # a half-built file is never renamed into place
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID")
    return db


def meta(db: sqlite3.Connection, key: str) -> str:
    """A value the builder stored in the meta table."""
    row = db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
    if row is None:
        raise WordStoreError(f"the table has no {key!r}")
    return str(row[0])


class Lookup:
    """One keyed query on a shared read-only connection, its recent answers cached."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, sql: str,
                 convert: Callable[[list[Any]], Any]):
        self._db, self._lock, self._sql, self._convert = db, lock, sql, convert
        self.get = lru_cache(maxsize=CACHED_KEYS)(self._query)

    def _query(self, key: str) -> Any:
        with self._lock:
            rows = self._db.execute(self._sql, (key,)).fetchall()
        return self._convert(rows)


# -- jieba's prefix dictionary ------------------------------------------------------------

def import_jieba() -> Any:
    """jieba, imported without pkg_resources.

    jieba 0.42 imports pkg_resources only to open its own data files and opens them with
    plain ``open`` when that import fails; importing pkg_resources scans every installed
    distribution, about 0.45 s and 18 MiB of a terminal's first question. A ``None`` in
    ``sys.modules`` makes that import fail, for as long as jieba's import takes.
    """
    with _JIEBA_IMPORT:
        if "jieba" not in sys.modules:
            blocked = "pkg_resources" not in sys.modules
            if blocked:
                sys.modules["pkg_resources"] = None  # type: ignore[assignment]
            try:
                import jieba  # noqa: F401
            finally:
                if blocked and "pkg_resources" in sys.modules \
                        and sys.modules["pkg_resources"] is None:
                    del sys.modules["pkg_resources"]
        return sys.modules["jieba"]


def jieba_dictionary() -> Path:
    """jieba's dict.txt, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise WordStoreError("jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


class DiskFreq:
    """jieba's FREQ (word -> frequency, a word's beginnings -> 0) read from a table file:
    the lookups jieba's cutting makes (``in``, ``[]``, ``get``); never written."""

    def __init__(self, path: Path):
        self._db = open_readonly(path, "freq")
        try:
            self.total = int(meta(self._db, "total"))
        except ValueError as exc:
            raise WordStoreError(f"{path}: no total") from exc
        self._lookup = Lookup(self._db, threading.Lock(), "SELECT f FROM freq WHERE w = ?",
                              lambda rows: rows[0][0] if rows else None)

    def get(self, word: str, default: Any = None) -> Any:
        found = self._lookup.get(word)
        return default if found is None else found

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._lookup.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self._lookup.get(word)
        if found is None:
            raise KeyError(word)
        return int(found)

    def __setitem__(self, word: str, frequency: int) -> None:
        raise TypeError("the word table on disk is read-only")

    def __iter__(self) -> Iterator[str]:
        with self._lookup._lock:
            words = [w for (w,) in self._db.execute("SELECT w FROM freq")]
        return iter(words)


def jieba_freq(cache_dir: Path) -> DiskFreq:
    """jieba's prefix dictionary from its table in cache_dir (built first if needed)."""
    dictionary = jieba_dictionary()
    stat = dictionary.stat()
    path = store_path(cache_dir, "jieba", str(dictionary), stat.st_size, stat.st_mtime_ns)
    return open_built(path, "jieba", {"dictionary": str(dictionary)}, DiskFreq)


def _build_jieba(path: Path, payload: dict[str, Any]) -> None:
    jieba = import_jieba()
    with open(payload["dictionary"], "rb") as handle:
        frequencies, total = jieba.Tokenizer.gen_pfdict(handle)
    db = create(path)
    db.execute("CREATE TABLE freq (w TEXT PRIMARY KEY, f INTEGER NOT NULL) WITHOUT ROWID")
    db.executemany("INSERT INTO freq VALUES (?, ?)", sorted(frequencies.items()))
    db.execute("INSERT INTO meta VALUES ('total', ?)", (str(total),))
    db.commit()
    db.close()


def _build_ime(path: Path, payload: dict[str, Any]) -> None:
    from content.ime import build_ime, write_tables

    write_tables(build_ime(payload["hall_words"]), path)


BUILDERS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "jieba": _build_jieba, "ime": _build_ime}


def main(argv: list[str]) -> int:
    """``python -m content.wordstore KIND PATH`` with the payload (JSON) on stdin."""
    if len(argv) != 2 or argv[0] not in BUILDERS:
        print(f"usage: python -m content.wordstore {{{','.join(BUILDERS)}}} PATH",
              file=sys.stderr)
        return 2
    BUILDERS[argv[0]](Path(argv[1]), json.loads(sys.stdin.buffer.read() or b"{}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
