"""Guide titles for the dashboard's most-read list: from the latest published bundle, else
from the seed content shipped with the project."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

import content
from server.models import Bundle
from server.storage import MediaStorage

log = logging.getLogger(__name__)
SEED_GUIDES = Path(content.__file__).parent / "seed" / "guides"


@functools.cache
def seed_guides() -> dict[str, str]:
    """Code -> title of every seed guide, in code order."""
    guides = {}
    for path in sorted(SEED_GUIDES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        guides[str(data["code"])] = str(data["title"])
    return guides


@functools.lru_cache(maxsize=4)
def _bundle_titles(storage_root: Path, version: str, sha256: str) -> dict[str, str]:
    path = MediaStorage(storage_root).path(sha256)
    data = json.loads(path.read_text("utf-8"))
    return {str(g["code"]): str(g["title"]) for g in data.get("guides", [])}


def guide_titles(session: Session, storage_root: Path) -> dict[str, str]:
    """Code -> title: the seed guides, overlaid by the latest published stable bundle's."""
    titles = dict(seed_guides())
    row = session.execute(select(Bundle.version, Bundle.manifest)
                          .where(Bundle.channel == "stable")
                          .order_by(Bundle.id.desc()).limit(1)).first()
    if row is not None:
        try:
            sha256 = json.loads(row.manifest)["files"]["content.json"]["sha256"]
            titles.update(_bundle_titles(storage_root, row.version, sha256))
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("guide titles of bundle %s unreadable: %s", row.version, error)
    return titles
