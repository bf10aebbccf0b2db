"""The terminal's local content store: versions, items and search rows in SQLite.

A version is written completely as ``staged`` and switched to ``active`` in
one transaction, keeping the previous one, so a crash at any moment leaves
the last good version in place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from content.active import (
    ANSWERS_KIND,
    KINDS,
    ActiveContent,
    at_head,
    read_active,
    read_manifest,
)
from content.answers.index import AnswerDoc, dump_documents
from content.migrate import upgrade_to_head
from content.schema import ContentSet
from content.search import IndexRow

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base of the terminal store."""


class ContentVersion(Base):
    """One imported bundle version and its place in the life cycle."""

    __tablename__ = "content_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)  # staged/active/previous
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ContentItem(Base):
    """One content item (guide, point ...) of a version, as JSON."""

    __tablename__ = "content_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_version.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)


class SearchRow(Base):
    """One precomputed search row of a version."""

    __tablename__ = "search_row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    title_pinyin: Mapped[str] = mapped_column(Text)
    keyword_pinyin: Mapped[str] = mapped_column(Text)
    subtitle_en: Mapped[str] = mapped_column(Text, server_default="")
    text_en: Mapped[str] = mapped_column(Text, server_default="")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(path: Path | str) -> Engine:
    """An engine on the SQLite file, migrated to the latest schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Run the store's Alembic migrations up to head (skipped when already there)."""
    # Importing Alembic alone costs about 0.2 s, and the store is nearly always at head.
    if not at_head(store_path(engine)):
        upgrade_to_head(engine, Path(__file__).parent / "migrations")


def store_path(engine: Engine) -> Path:
    """The SQLite file of a store's engine."""
    assert engine.url.database, "the content store is a SQLite file"
    return Path(engine.url.database)


class ContentStore:
    """Reads and writes content versions in the terminal's SQLite file."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def import_content(self, manifest: dict[str, Any], content: ContentSet,
                       rows: list[IndexRow], answers: list[AnswerDoc] | None = None) -> str:
        """Store a verified version (with its answer documents, when the bundle has them)
        and make it active in one transaction; return it."""
        version = str(manifest["version"])
        with Session(self.engine) as session, session.begin():
            existing = session.scalar(
                select(ContentVersion).where(ContentVersion.version == version))
            if existing is not None and existing.state == "active":
                return version
            if existing is not None:
                session.delete(existing)
                session.flush()
            record = ContentVersion(version=version, manifest=manifest, state="staged",
                                    imported_at=dt.datetime.now(dt.UTC))
            session.add(record)
            session.flush()
            dumped = content.model_dump(mode="json")
            session.add_all(
                ContentItem(version_id=record.id, kind=kind, position=position,
                            key=str(item.get("code") or item.get("id") or item.get("name")
                                    or position),
                            payload=json.dumps(item, ensure_ascii=False))
                for kind in KINDS for position, item in enumerate(dumped[kind])
            )
            if answers is not None:
                session.add(ContentItem(version_id=record.id, kind=ANSWERS_KIND, position=0,
                                        key=ANSWERS_KIND, payload=json.dumps(
                                            dump_documents(answers), ensure_ascii=False)))
            session.add_all(SearchRow(version_id=record.id, position=i, **asdict(row))
                            for i, row in enumerate(rows))
            session.flush()
            self._activate(session, record)
        log.info("content version %s active (%d search rows)", version, len(rows))
        return version

    @staticmethod
    def _activate(session: Session, record: ContentVersion) -> None:
        for old in session.scalars(
                select(ContentVersion).where(ContentVersion.state == "previous")):
            session.delete(old)
        session.execute(update(ContentVersion).where(ContentVersion.state == "active")
                        .values(state="previous"))
        record.state = "active"

    def versions(self) -> list[tuple[str, str]]:
        """(version, state) of every stored version, newest first."""
        with Session(self.engine) as session:
            return [(v.version, v.state) for v in session.scalars(
                select(ContentVersion).order_by(ContentVersion.id.desc()))]

    def active_manifest(self) -> dict[str, Any] | None:
        """The active version's manifest, without loading its content."""
        return read_manifest(store_path(self.engine))

    def active(self) -> ActiveContent | None:
        """Load the active version, or None when the store is empty."""
        return read_active(store_path(self.engine))
