"""Fixtures for the content tests: the seed, the broken fixture and a good minimal source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from content_sources import BROKEN_DIR, SEED_DIR, write_good_source


@pytest.fixture
def seed_dir() -> Path:
    """The seed content shipped with the package."""
    return SEED_DIR


@pytest.fixture
def broken_dir() -> Path:
    """The deliberately broken source folder (read only: copy it before changing it)."""
    return BROKEN_DIR


@pytest.fixture
def good_source(tmp_path: Path) -> Path:
    """A fresh, valid minimal source folder in tmp_path."""
    return write_good_source(tmp_path / "source")


@pytest.fixture
def make_good_source(tmp_path: Path) -> Callable[[str], Path]:
    """A factory for more valid source folders under tmp_path, by name."""
    return lambda name: write_good_source(tmp_path / name)
