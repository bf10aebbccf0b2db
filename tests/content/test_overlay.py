"""Hall overlays with guides, slides, media and a hide list: build, errors, merge and search."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

import pytest
from content_sources import GUIDES, write_yaml
from PIL import Image

from content.errors import ContentInvalid
from content.loader import load_source
from content.merge import merge_overlay, overlay_problems
from content.overlay import load_overlay, notices_on, read_overlay
from content.schema import ResultNode
from content.search import SearchIndex, index_rows
from content.signing import generate_key
from hallkiosk_cli import main


def write_overlay(root: Path) -> Path:
    """A hall overlay over the good source: a replaced and a new guide, a slide, a hide list."""
    write_yaml(root / "guides" / "NO-001.yaml",
               dict(GUIDES[1], title="本厅继承公证（周六可办）", keywords=["周六"]))
    write_yaml(root / "guides" / "H-001.yaml",
               dict(GUIDES[1], code="H-001", title="村居法律顾问预约", keywords=["本厅特色"],
                    summary="预约村居法律顾问。", online=None))
    write_yaml(root / "slides" / "slides.yaml",
               [{"id": "hall-welcome", "title": "欢迎来到白沙镇工作站", "image": "welcome.png"}])
    Image.new("RGB", (8, 8), (200, 30, 30)).save(root / "slides" / "welcome.png")
    write_yaml(root / "hide.yaml", {"guides": ["LA-001", "XX-999"], "points": ["P003"],
                                    "slides": ["hotline"]})
    write_yaml(root / "notices.yaml", [{"id": "n1", "title": "端午节安排", "text": "6月2日休息。"}])
    return root


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A fresh signing key (and KEY.pub next to it)."""
    path = tmp_path / "keys" / "content.key"
    generate_key(path)
    return path


def test_an_overlay_replaces_adds_and_hides_guides_points_and_slides(
        good_source: Path, key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    src = write_overlay(tmp_path / "halls" / "QX01")
    out = tmp_path / "overlay"
    assert main(["content", "build", str(src), "--out", str(out), "--key", str(key_file),
                 "--hall", "QX01", "--province", str(good_source)]) == 0
    err = capsys.readouterr().err
    assert "warning: hall QX01: hide.yaml names guide 'XX-999'" in err
    assert "1 warning(s)" in err

    manifest, overlay, rows = read_overlay(out)
    image = "media/slides/halls/QX01/welcome.png"
    assert manifest["files"][image]["sha256"] == hashlib.sha256(
        (src / "slides" / "welcome.png").read_bytes()).hexdigest()
    assert manifest["counts"] == {"points": 0, "notices": 1, "windows": 0, "guides": 2,
                                  "slides": 1, "lexicon": 0, "hidden": 4}
    assert [s.image for s in overlay.slides] == ["halls/QX01/welcome.png"]

    content = load_source(good_source)
    with caplog.at_level(logging.WARNING, logger="content.merge"):
        merged, merged_rows = merge_overlay(content, index_rows(content), overlay, rows)
    assert [r.getMessage() for r in caplog.records] == [
        "hall QX01: hide.yaml names guide 'XX-999', which the province content does not have: "
        "ignored"]
    assert [(g.code, g.title) for g in merged.guides] == [
        ("NO-001", "本厅继承公证（周六可办）"), ("H-001", "村居法律顾问预约")]
    assert [p.id for p in merged.points] == ["P001", "P002"]
    assert [(s.id, s.image) for s in merged.slides] == [
        ("welcome", "welcome.png"), ("hall-welcome", "halls/QX01/welcome.png")]
    result = merged.flows[0].nodes["result_yes"]
    assert isinstance(result, ResultNode) and result.guides == []  # hidden: no longer offered

    index = SearchIndex(merged_rows)
    found = index.search("本厅特色")
    assert [(h.kind, h.key, h.subtitle) for h in found] == [("guide", "H-001", "公证")]
    assert [h.key for h in index.search("周六", kinds=["guide"])] == ["NO-001"]
    assert [h.title for h in index.search("继承公证", kinds=["guide"])] == [
        "本厅继承公证（周六可办）"]  # the province version's row is gone
    assert not index.search("农民工讨薪"), "a hidden guide is still found"
    assert not any(h.key == "P003" for h in index.search("东村"))
    assert sorted(r.key for r in merged_rows if r.kind == "guide") == ["H-001", "NO-001"]


def test_references_the_province_lacks_are_left_out_with_a_warning(
        good_source: Path, tmp_path: Path) -> None:
    src = tmp_path / "hall"
    write_yaml(src / "guides" / "H-002.yaml",
               dict(GUIDES[0], code="H-002", title="本厅调解", category="mediation"))
    write_yaml(src / "guides" / "H-003.yaml",
               dict(GUIDES[0], code="H-003", title="本厅援助", online="online-hall"))
    overlay = load_overlay(src, "QX01")
    content = load_source(good_source)
    assert overlay_problems(content, overlay) == [
        "hall QX01: guide H-002 names category 'mediation', which the province content does "
        "not have: the guide is left out",
        "hall QX01: guide H-003 names online service 'online-hall', which the province content "
        "does not have: shown without it"]
    merged, rows = merge_overlay(content, index_rows(content), overlay, index_rows(
        content.model_copy(update={"guides": overlay.guides, "categories": []})))
    guides = {g.code: g for g in merged.guides}
    assert "H-002" not in guides and guides["H-003"].online is None
    assert {r.key for r in rows if r.kind == "guide"} == {"LA-001", "NO-001", "H-003"}


def test_every_error_of_an_overlay_source_is_reported_with_its_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "hall"
    broken = {k: v for k, v in GUIDES[0].items() if k != "materials"}
    write_yaml(src / "guides" / "LA-001.yaml", broken)
    write_yaml(src / "guides" / "wrong-name.yaml", dict(GUIDES[1]))
    write_yaml(src / "guides" / "H-001.yaml", dict(GUIDES[1], code="H-001"))
    write_yaml(src / "slides" / "slides.yaml", [
        {"id": "a", "title": "缺图", "image": "missing.png"},
        {"id": "b", "title": "越界", "image": "../secret.png"},
        {"id": "a", "title": "重复"}])
    (src / "secret.png").write_bytes(b"not for the bundle")
    write_yaml(src / "hide.yaml", {"guides": ["H-001"], "faq": ["FAQ-001"]})
    with pytest.raises(ContentInvalid) as caught:
        load_overlay(src, "QX01")
    report = caught.value.report()
    for fragment in (
            "guides/LA-001.yaml:1: item LA-001: field materials: Field required",
            "guides/wrong-name.yaml:1: item NO-001: field code: file name must be the guide code",
            "slides/slides.yaml:3: item a: field image: image file 'missing.png' not found",
            "slides/slides.yaml:6: item b: field image: image '../secret.png' must be a file "
            "name inside slides/",
            "slides/slides.yaml:7: item a: field id: duplicate id",
            "hide.yaml:2: item H-001: field guides: hidden here and also defined by this overlay",
            "hide.yaml:3: field faq: Extra inputs are not permitted"):
        assert fragment in report, report
    assert len(caught.value.errors) == 7
    out = tmp_path / "out"
    assert main(["content", "build", str(src), "--out", str(out), "--hall", "QX01"]) == 1
    assert "7 error(s); nothing written" in capsys.readouterr().err
    assert not out.exists()


def test_notices_show_within_their_dates() -> None:
    day = dt.date(2026, 6, 1)
    notices = [{"id": "now", "starts": "2026-05-30", "ends": "2026-06-01"},
               {"id": "open"}, {"id": "past", "ends": "2026-05-31"},
               {"id": "future", "starts": "2026-06-02"}, "纯文本通知"]
    assert notices_on(notices, day) == [notices[0], notices[1], "纯文本通知"]
