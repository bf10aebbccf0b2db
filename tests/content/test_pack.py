"""``hallkiosk content pack``: a signed bundle folder into one zip for the content page."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from content.signing import build_signed_bundle, generate_key, load_private_key
from hallkiosk_cli import main

SEED = Path(__file__).resolve().parents[2] / "content" / "seed"


def test_pack_writes_the_signed_bundle_at_the_zip_root(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    generate_key(key)
    build_signed_bundle(SEED, tmp_path / "bundle", key=load_private_key(key))
    (tmp_path / "bundle" / "notes.txt").write_text("not listed", "utf-8")
    out = tmp_path / "out" / "bundle.zip"
    assert main(["content", "pack", str(tmp_path / "bundle"), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "answers.json", "content.json", "manifest.json", "manifest.sig",
            "media/slides/hotline.png",
            "media/slides/welcome.png", "search.json"]
        for name in archive.namelist():
            assert archive.read(name) == (tmp_path / "bundle" / name).read_bytes(), name


def test_pack_refuses_unsigned_or_changed_folders(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    build_signed_bundle(SEED, tmp_path / "unsigned", key=None)
    assert main(["content", "pack", str(tmp_path / "unsigned"), "--out",
                 str(tmp_path / "u.zip")]) == 1
    assert "not signed" in capsys.readouterr().err and not (tmp_path / "u.zip").exists()
    key = tmp_path / "k.key"
    generate_key(key)
    build_signed_bundle(SEED, tmp_path / "signed", key=load_private_key(key))
    (tmp_path / "signed" / "search.json").write_text("[]", "utf-8")
    assert main(["content", "pack", str(tmp_path / "signed"), "--out",
                 str(tmp_path / "s.zip")]) == 1
    assert "search.json" in capsys.readouterr().err and not (tmp_path / "s.zip").exists()
    assert not list(tmp_path.glob(".*.zip-*"))  # no temporary left behind
