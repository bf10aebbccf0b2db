"""Content signing keys, signed bundles, manifest checks and hall overlays."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from content_sources import POINTS, write_points_csv, write_yaml

from content.bundle import MANIFEST, read_bundle
from content.errors import ContentInvalid
from content.loader import load_source
from content.merge import merge_overlay
from content.overlay import load_overlay, read_overlay
from content.search import SearchIndex, index_rows
from content.signing import (
    SIGNATURE,
    ManifestInvalid,
    SignatureInvalid,
    build_signed_bundle,
    generate_key,
    load_private_key,
    load_public_key,
    parse_manifest,
    public_key_file_text,
    read_signed_manifest,
    verify_bytes,
)
from hallkiosk_cli import main


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A fresh signing key (and KEY.pub next to it)."""
    path = tmp_path / "keys" / "content.key"
    generate_key(path)
    return path


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path, capsys) -> None:
    key = tmp_path / "keys" / "signing.key"
    assert main(["keygen", "--out", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    public = key.with_name("signing.key.pub")
    raw = base64.b64decode(public.read_text().strip(), validate=True)
    assert len(raw) == 32
    assert load_public_key(public) is not None
    assert "0600" in capsys.readouterr().out


def test_keygen_refuses_to_overwrite_a_key(key_file: Path, capsys) -> None:
    before = key_file.read_bytes()
    assert main(["keygen", "--out", str(key_file)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert key_file.read_bytes() == before


def test_signed_build_verifies_and_any_change_breaks_it(good_source: Path, key_file: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert main(["content", "build", str(good_source), "--out", str(out),
                 "--key", str(key_file)]) == 0
    data, signature = read_signed_manifest(out)
    assert signature is not None
    public = key_file.with_name(key_file.name + ".pub")
    verify_bytes(public, data, signature)
    manifest = parse_manifest(data)
    assert manifest["channel"] == "stable" and manifest["hall"] is None
    assert read_bundle(out)[0] == manifest

    tampered = data.replace(b'"stable"', b'"stablE"')
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_bytes(public, tampered, signature)
    other = tmp_path / "other.key"
    generate_key(other)
    with pytest.raises(SignatureInvalid):
        verify_bytes(other.with_name("other.key.pub"), data, signature)
    with pytest.raises(SignatureInvalid):
        verify_bytes(public, data, "not base64!")
    # A changed file keeps the signature valid but no longer matches its listed sha256.
    (out / "search.json").write_text("[]", "utf-8")
    with pytest.raises(ContentInvalid, match="content error"):
        read_bundle(out)


def test_build_without_key_is_unsigned_and_channel_is_recorded(good_source: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    manifest = build_signed_bundle(good_source, out, key=None, channel="beta")
    assert not (out / SIGNATURE).exists()
    assert json.loads((out / MANIFEST).read_text("utf-8"))["channel"] == "beta"
    assert manifest["files"]


def test_build_with_errors_writes_nothing(broken_dir: Path, key_file: Path,
                                          tmp_path: Path, capsys) -> None:
    out = tmp_path / "bundle"
    assert main(["content", "build", str(broken_dir), "--out", str(out),
                 "--key", str(key_file)]) == 1
    assert not out.exists()
    assert "nothing written" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle")]


def test_a_wrong_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.key").write_text("not a key")
    with pytest.raises(SignatureInvalid, match="cannot read signing key"):
        load_private_key(tmp_path / "bad.key")
    with pytest.raises(SignatureInvalid, match="not an Ed25519 public key"):
        load_public_key("AAAA")


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(files={"../etc/passwd": m["files"]["content.json"]}), "unsafe"),
    (lambda m: m.update(files={"/abs": m["files"]["content.json"]}), "unsafe"),
    (lambda m: m["files"].pop("search.json"), "search.json is not listed"),
    (lambda m: m.update(channel="Stable"), "bad channel"),
    (lambda m: m.update(hall="../x"), "bad hall"),
    (lambda m: m.update(format=2), "unsupported bundle format"),
    (lambda m: m["files"]["content.json"].update(size="12"), "needs a sha256 and a size"),
])
def test_parse_manifest_refuses_malformed_manifests(good_source: Path, tmp_path: Path,
                                                    change, message: str) -> None:
    manifest = build_signed_bundle(good_source, tmp_path / "b", key=None)
    change(manifest)
    with pytest.raises(ManifestInvalid, match=message):
        parse_manifest(json.dumps(manifest).encode())
    with pytest.raises(ManifestInvalid, match="not JSON"):
        parse_manifest(b"{oops")


def _overlay_source(root: Path) -> Path:
    local = dict(POINTS[0], name="本厅改名后的中心", phone="0000-85550999")
    new = dict(POINTS[2], id="H-P01", name="本厅二楼调解室")
    root.mkdir(parents=True)
    write_points_csv(root / "points.csv", [local, new])
    write_yaml(root / "notices.yaml", [{"id": "n1", "title": "端午节安排", "text": "6月2日休息。"}])
    write_yaml(root / "windows.yaml", [{"number": 1, "name": "综合窗口", "services": ["法律援助"]}])
    return root


def test_overlay_merges_points_over_the_province(good_source: Path, key_file: Path,
                                                 tmp_path: Path) -> None:
    src = _overlay_source(tmp_path / "halls" / "QX01")
    out = tmp_path / "overlay"
    assert main(["content", "build", str(src), "--out", str(out), "--key", str(key_file),
                 "--hall", "QX01"]) == 0
    data, signature = read_signed_manifest(out)
    assert signature is not None
    verify_bytes(key_file.with_name(key_file.name + ".pub"), data, signature)
    manifest, overlay, rows = read_overlay(out)
    assert manifest["hall"] == "QX01" and manifest["channel"] == "stable"
    assert [n.title for n in overlay.notices] == ["端午节安排"]

    content = load_source(good_source)
    merged, merged_rows = merge_overlay(content, index_rows(content), overlay, rows)
    names = {p.id: p.name for p in merged.points}
    assert names["P001"] == "本厅改名后的中心"
    assert names["H-P01"] == "本厅二楼调解室"
    assert len(merged.points) == len(content.points) + 1
    index = SearchIndex(merged_rows)
    assert any(hit.key == "H-P01" for hit in index.search("调解室"))
    assert [r.key for r in merged_rows if r.kind == "point"].count("P001") == 1


def test_overlay_errors_name_file_and_row(tmp_path: Path) -> None:
    src = _overlay_source(tmp_path / "hall")
    rows = [dict(POINTS[0], latitude="north")]
    write_points_csv(src / "points.csv", rows)
    with pytest.raises(ContentInvalid) as caught:
        load_overlay(src, "QX01")
    assert "points.csv:2: item P001: field latitude" in caught.value.report()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ContentInvalid, match="content error"):
        load_overlay(empty, "QX01")


def test_public_key_file_text_is_what_terminals_receive(key_file: Path) -> None:
    public = key_file.with_name(key_file.name + ".pub")
    assert public_key_file_text(public) == public.read_text().strip()
    assert public_key_file_text(None) is None
