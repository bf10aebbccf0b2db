"""Bundles (build, verify, tamper) and the terminal's SQLite content store with its installer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from content_sources import GUIDES, SEED_DIR, write_yaml
from sqlalchemy import func, select

from content.bundle import MANIFEST, build_bundle, read_bundle
from content.errors import ContentInvalid
from content.install import install_and_load
from content.loader import load_source
from content.search import index_rows
from content.store import ContentItem, ContentStore, SearchRow, open_engine

BUILT = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory) -> tuple[Path, dict]:
    """The seed built once into a bundle folder, with its manifest."""
    out = tmp_path_factory.mktemp("seed") / "bundle"
    return out, build_bundle(SEED_DIR, out, now=BUILT)


@pytest.fixture
def store(tmp_path):
    """A ContentStore on a fresh, migrated SQLite file."""
    engine = open_engine(tmp_path / "store" / "terminal.sqlite3")
    yield ContentStore(engine)
    engine.dispose()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_every_file_with_its_sha256_and_size(seed_bundle):
    out, manifest = seed_bundle
    assert json.loads((out / MANIFEST).read_text("utf-8")) == manifest
    files = manifest["files"]
    assert {"content.json", "search.json"} <= set(files)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {MANIFEST}
    for name, meta in files.items():
        assert meta["sha256"] == _sha256(out / name), name
        assert meta["size"] == (out / name).stat().st_size, name
    assert "media/slides/welcome.png" in files
    assert manifest["version"].startswith("20260301.093000-")
    assert manifest["counts"]["guides"] == len(load_source(SEED_DIR).guides)


def test_read_bundle_round_trips_to_an_equal_content_set(seed_bundle):
    out, manifest = seed_bundle
    read_manifest, content, rows = read_bundle(out)
    expected = load_source(SEED_DIR)
    assert read_manifest == manifest
    assert content == expected
    assert rows == index_rows(expected)


def test_same_source_and_time_give_the_same_version(seed_bundle, tmp_path):
    _, manifest = seed_bundle
    again = build_bundle(SEED_DIR, tmp_path / "again", now=BUILT)
    assert again["version"] == manifest["version"]
    assert again["content_sha256"] == manifest["content_sha256"]


@pytest.mark.parametrize("name", ["content.json", "search.json"])
def test_one_tampered_byte_is_rejected_naming_the_file(seed_bundle, tmp_path, name):
    source, _ = seed_bundle
    copy = tmp_path / "bundle"
    build_bundle(SEED_DIR, copy, now=BUILT)
    data = bytearray((copy / name).read_bytes())
    position = data.index(b"12348")  # a digit inside a string: still valid JSON
    data[position] = ord("9")
    (copy / name).write_bytes(bytes(data))
    with pytest.raises(ContentInvalid) as caught:
        read_bundle(copy)
    assert [(e.file, e.message) for e in caught.value.errors] == [
        (name, "sha256 does not match manifest")]
    read_bundle(source)  # the untouched original still verifies


def test_missing_bundle_file_is_rejected(seed_bundle, tmp_path):
    copy = tmp_path / "bundle"
    build_bundle(SEED_DIR, copy, now=BUILT)
    (copy / "media" / "slides" / "welcome.png").unlink()
    with pytest.raises(ContentInvalid) as caught:
        read_bundle(copy)
    assert [(e.file, e.message) for e in caught.value.errors] == [
        ("media/slides/welcome.png", "missing from bundle")]


def test_content_files_must_be_listed_in_the_manifest(tmp_path):
    copy = tmp_path / "bundle"
    manifest = build_bundle(SEED_DIR, copy, now=BUILT)
    del manifest["files"]["content.json"]
    (copy / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    data = bytearray((copy / "content.json").read_bytes())
    data[data.index(b"12348")] = ord("9")
    (copy / "content.json").write_bytes(bytes(data))
    with pytest.raises(ContentInvalid) as caught:
        read_bundle(copy)  # an unlisted content.json is unverified and must not load
    assert any("content.json" in str(e) for e in caught.value.errors)


def _import(store: ContentStore, bundle: Path) -> str:
    return store.import_content(*read_bundle(bundle))


def _bundles(make_good_source, tmp_path: Path, count: int) -> list[Path]:
    """count bundles of different content (and so different versions)."""
    bundles = []
    for number in range(count):
        source = make_good_source(f"source-{number}")
        write_yaml(source / "guides" / "LA-001.yaml",
                   dict(GUIDES[0], title=f"农民工讨薪法律援助（第{number + 1}版）"))
        out = tmp_path / f"bundle-{number}"
        build_bundle(source, out, now=BUILT + dt.timedelta(hours=number))
        bundles.append(out)
    return bundles


def test_import_makes_the_version_active_with_the_same_content(store, seed_bundle):
    out, manifest = seed_bundle
    assert store.active() is None
    assert store.versions() == []
    version = _import(store, out)
    assert version == manifest["version"]
    assert store.versions() == [(version, "active")]
    active = store.active()
    assert active is not None
    assert active.version == version
    assert active.manifest == manifest
    assert active.content == load_source(SEED_DIR)
    assert len(active.index) == len(index_rows(active.content))
    first = active.index.search("FLYZ")[0]
    assert (first.kind, first.key) == ("category", "legal-aid")
    assert active.index.search("讨薪", kinds=["guide"])[0].key == "FLYZ-004"


def test_importing_the_active_version_again_changes_nothing(store, seed_bundle):
    out, _ = seed_bundle
    version = _import(store, out)
    assert _import(store, out) == version
    assert store.versions() == [(version, "active")]


def test_second_version_keeps_the_first_as_previous_and_third_drops_the_oldest(
        store, make_good_source, tmp_path):
    first, second, third = _bundles(make_good_source, tmp_path, 3)
    v1 = _import(store, first)
    v2 = _import(store, second)
    assert len({v1, v2}) == 2
    assert store.versions() == [(v2, "active"), (v1, "previous")]
    active = store.active()
    assert active is not None and active.version == v2
    assert active.content.guides[0].title.endswith("（第2版）")
    v3 = _import(store, third)
    assert store.versions() == [(v3, "active"), (v2, "previous")]
    assert store.active().content.guides[0].title.endswith("（第3版）")
    # The dropped version's items and search rows went with it.
    with store.engine.connect() as connection:
        item_versions = connection.scalar(select(func.count(ContentItem.version_id.distinct())))
        row_versions = connection.scalar(select(func.count(SearchRow.version_id.distinct())))
    assert (item_versions, row_versions) == (2, 2)


def test_store_survives_reopening(tmp_path, seed_bundle):
    out, manifest = seed_bundle
    path = tmp_path / "terminal.sqlite3"
    engine = open_engine(path)
    ContentStore(engine).import_content(*read_bundle(out))
    engine.dispose()
    engine = open_engine(path)  # migrations run again on an existing file
    try:
        active = ContentStore(engine).active()
        assert active is not None and active.version == manifest["version"]
    finally:
        engine.dispose()


def _store_versions(data_dir: Path) -> list[tuple[str, str]]:
    engine = open_engine(data_dir / "terminal.sqlite3")
    try:
        return ContentStore(engine).versions()
    finally:
        engine.dispose()


def test_install_loads_a_source_folder(good_source, tmp_path):
    data_dir = tmp_path / "data"
    result = install_and_load(data_dir, str(good_source))
    assert result.error == ""
    assert result.library is not None
    assert result.library.content == load_source(good_source)
    assert result.library.guide("LA-001").title == GUIDES[0]["title"]
    image = Path(result.library.slide_image("welcome.png"))
    assert image.read_bytes() == (good_source / "slides" / "welcome.png").read_bytes()
    assert _store_versions(data_dir) == [(result.library.version, "active")]


def test_install_with_a_broken_source_keeps_the_active_version(good_source, tmp_path):
    data_dir = tmp_path / "data"
    good = install_and_load(data_dir, str(good_source))
    assert good.library is not None
    write_yaml(good_source / "guides" / "LA-001.yaml", dict(GUIDES[0], category="nowhere"))
    broken = install_and_load(data_dir, str(good_source))
    assert broken.library is not None
    assert broken.library.version == good.library.version
    assert broken.library.guide("LA-001").category == "legal-aid"
    assert "rejected" in broken.error
    assert "guides/LA-001.yaml" in broken.error and "unknown category 'nowhere'" in broken.error
    assert _store_versions(data_dir) == [(good.library.version, "active")]


def test_install_with_only_a_broken_source_reports_it(broken_dir, tmp_path):
    result = install_and_load(tmp_path / "data", str(broken_dir))
    assert result.library is None
    assert "points.csv:3: item P002: field type" in result.error


def test_install_does_not_rebuild_an_unchanged_source(good_source, tmp_path):
    data_dir = tmp_path / "data"
    first = install_and_load(data_dir, str(good_source))
    bundle = data_dir / "bundles" / "local"
    built = (bundle.stat().st_ino, (bundle / MANIFEST).stat().st_mtime_ns)
    again = install_and_load(data_dir, str(good_source))
    assert again.error == ""
    assert again.library is not None and again.library.version == first.library.version
    assert (bundle.stat().st_ino, (bundle / MANIFEST).stat().st_mtime_ns) == built
    assert _store_versions(data_dir) == [(first.library.version, "active")]


def test_install_rebuilds_a_changed_source_and_keeps_the_old_version(good_source, tmp_path):
    data_dir = tmp_path / "data"
    first = install_and_load(data_dir, str(good_source))
    bundle = data_dir / "bundles" / "local"
    first_inode = bundle.stat().st_ino
    write_yaml(good_source / "guides" / "LA-001.yaml", dict(GUIDES[0], title="新标题"))
    changed = install_and_load(data_dir, str(good_source))
    assert changed.error == ""
    assert changed.library is not None and changed.library.guide("LA-001").title == "新标题"
    assert bundle.stat().st_ino != first_inode
    assert _store_versions(data_dir) == [(changed.library.version, "active"),
                                         (first.library.version, "previous")]


def test_install_imports_a_built_bundle(seed_bundle, tmp_path):
    out, manifest = seed_bundle
    result = install_and_load(tmp_path / "data", str(out))
    assert result.error == ""
    assert result.library is not None and result.library.version == manifest["version"]
    assert Path(result.library.slide_image("welcome.png")).read_bytes() == (
        SEED_DIR / "slides" / "welcome.png").read_bytes()


def test_store_head_revision_constant_matches_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from content import active, store

    config = Config()
    config.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == active.HEAD_REVISION


def test_builtin_seed_never_replaces_installed_content(tmp_path: Path) -> None:
    from content.install import SEED, install_and_load

    other = tmp_path / "other"
    shutil.copytree(SEED, other)
    guide = next((other / "guides").glob("*.yaml"))
    guide.write_text(guide.read_text("utf-8").replace("title: ", "title: 已同步", 1), "utf-8")
    synced = install_and_load(tmp_path / "data", str(other)).library
    assert synced is not None
    again = install_and_load(tmp_path / "data").library  # no source configured: the seed
    assert again is not None and again.version == synced.version


def test_the_store_keeps_the_bundles_answer_documents(good_source, tmp_path, monkeypatch):
    """The terminal's engine starts from answers.json as stored, not by segmenting again."""
    from content import answers as answers_module
    from content.answers.index import documents

    data_dir = tmp_path / "data"
    install_and_load(data_dir, str(good_source))
    library = install_and_load(data_dir).library  # reopened from the store alone
    assert library is not None and library.answer_docs is not None
    assert library.answer_docs == documents(library.content)

    def segmenting_again(_content):
        raise AssertionError("the answer documents were rebuilt on the terminal")

    monkeypatch.setattr(answers_module, "documents", segmenting_again)
    result = library.ask(GUIDES[0]["title"])
    assert not result.fallback and result.answers[0].id == GUIDES[0]["code"]
