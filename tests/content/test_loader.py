"""Loading a source folder: every planted error reported at its exact location, or all content."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest
from content_sources import (
    BROKEN_DIR,
    GUIDES,
    POINTS,
    PROJECT_ROOT,
    write_points_csv,
    write_yaml,
)

from content.errors import ContentError, ContentInvalid
from content.loader import POINT_COLUMNS, load_source
from content.schema import ContentSet, Level, PointType
from hallkiosk_cli import main


class Planted(NamedTuple):
    """One error planted in tests/content/fixtures/broken, where an editor has to fix it."""

    file: str
    line: int
    item: str | None
    field: str | None
    fragment: str


# Line numbers counted in the fixture files (each starts with a comment naming its error).
PLANTED = {
    "yaml-syntax": Planted("guides/LA-001.yaml", 3, None, None,
                           "mapping values are not allowed"),
    "missing-materials": Planted("guides/LA-002.yaml", 2, "LA-002", "materials",
                                 "Field required"),
    "unknown-guide-category": Planted("guides/NO-001.yaml", 4, "NO-001", "category",
                                      "unknown category 'notarization'"),
    "unknown-field-typo": Planted("guides/NO-002.yaml", 23, "NO-002", "keywrods",
                                  "Extra inputs are not permitted"),
    "negative-copies": Planted("guides/NO-002.yaml", 12, "NO-002", "materials.1.copies",
                               "greater than or equal to 0"),
    "point-bad-type": Planted("points.csv", 3, "P002", "type", "Input should be 'centre'"),
    "point-bad-latitude": Planted("points.csv", 4, "P003", "latitude", "valid number"),
    "point-cell-count": Planted("points.csv", 5, "P004", None, "expected 15 cells, found 14"),
    "faq-unknown-category": Planted("faq.yaml", 9, "FAQ-002", "category",
                                    "unknown category 'tax'"),
    "faq-duplicate-id": Planted("faq.yaml", 14, "FAQ-001", "id", "duplicate id"),
    "online-not-http": Planted("online.yaml", 12, "online-files", "url",
                               "String should match pattern"),
    "flow-missing-node": Planted("flows/aid-check.yaml", 14, "aid-check",
                                 "nodes.q_income.choices.1.next", "result_nowhere"),
    "slide-image-missing": Planted("slides/slides.yaml", 7, "hotline", "image",
                                   "'hotline.png' not found"),
}


def _errors_of(src: Path) -> list[ContentError]:
    with pytest.raises(ContentInvalid) as caught:
        load_source(src)
    return caught.value.errors


def _matching(errors: list[ContentError], planted: Planted) -> list[ContentError]:
    """Errors in the planted file, about the planted item, with the planted message."""
    return [e for e in errors
            if e.file == planted.file and e.item == planted.item and planted.fragment in e.message]


@pytest.fixture(scope="module")
def broken_errors() -> list[ContentError]:
    """The errors load_source reports for the broken fixture folder."""
    return _errors_of(BROKEN_DIR)


def test_broken_folder_reports_each_planted_error_once_and_nothing_else(broken_errors):
    unexplained = [e for e in broken_errors
                   if not any(_matching([e], p) for p in PLANTED.values())]
    assert unexplained == []
    for name, planted in PLANTED.items():
        assert len(_matching(broken_errors, planted)) == 1, name
    assert len(broken_errors) == len(PLANTED)


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_error_names_its_line_and_field(broken_errors, name):
    planted = PLANTED[name]
    [error] = _matching(broken_errors, planted)
    assert (error.file, error.line, error.item, error.field) == (
        planted.file, planted.line, planted.item, planted.field), f"reported as: {error}"


def test_error_text_puts_the_location_first():
    error = ContentError("points.csv", 3, "P002", "type", "bad value")
    assert str(error) == "points.csv:3: item P002: field type: bad value"
    assert str(ContentError("faq.yaml", None, None, None, "x")) == "faq.yaml: x"


def test_good_minimal_folder_loads_completely(good_source):
    content = load_source(good_source)
    assert isinstance(content, ContentSet)
    assert [c.code for c in content.categories] == ["legal-aid", "notary"]
    assert [g.code for g in content.guides] == ["LA-001", "NO-001"]
    assert [p.id for p in content.points] == ["P001", "P002", "P003"]
    assert [q.id for q in content.faq] == ["FAQ-001", "FAQ-002"]
    assert [o.id for o in content.online] == ["online-legalaid", "online-notary"]
    assert [f.id for f in content.flows] == ["aid-check"]
    assert [s.id for s in content.slides] == ["welcome", "hotline"]
    guide = content.guides[0]
    assert guide.last_reviewed == dt.date(2026, 1, 15)
    assert [(m.name, m.originals, m.copies) for m in guide.materials] == [
        ("居民身份证", 1, 1), ("申请表", 1, 0)]
    centre, notary, village = content.points
    # List cells split on 、 ; and ；, and the sample column accepts true / 是 / false.
    assert centre.services == ["法律咨询", "法律援助", "人民调解"]
    assert village.services == ["法律咨询", "人民调解"]
    assert (centre.sample, notary.sample, village.sample) == (True, True, False)
    assert (centre.type, centre.level, centre.latitude) == (PointType.CENTRE, Level.CITY, 30.2612)
    assert centre.supervision_phone is None and notary.supervision_phone == "0000-85550211"


def test_broken_source_never_half_loads(broken_dir):
    returned = None
    with pytest.raises(ContentInvalid):
        returned = load_source(broken_dir)
    assert returned is None


def test_one_bad_row_rejects_the_whole_folder(good_source):
    bad_row = dict(POINTS[0], id="P009", type="court")
    write_points_csv(good_source / "points.csv", [*POINTS, bad_row])
    errors = _errors_of(good_source)
    assert [(e.file, e.line, e.item, e.field) for e in errors] == [
        ("points.csv", 5, "P009", "type")]


def test_one_bad_guide_rejects_the_whole_folder(good_source):
    guide = dict(GUIDES[1], materials=[])
    write_yaml(good_source / "guides" / "NO-001.yaml", guide)
    errors = _errors_of(good_source)
    assert [(e.file, e.item, e.field) for e in errors] == [
        ("guides/NO-001.yaml", "NO-001", "materials")]
    assert "at least 1 item" in errors[0].message


def test_guide_file_must_be_named_after_its_code(good_source):
    (good_source / "guides" / "LA-001.yaml").rename(good_source / "guides" / "legal-aid.yaml")
    errors = _errors_of(good_source)
    assert [(e.item, e.field) for e in errors] == [("LA-001", "code")]
    assert "file name must be the guide code" in errors[0].message


def test_missing_folder_is_an_error(tmp_path):
    errors = _errors_of(tmp_path / "nowhere")
    assert [e.message for e in errors] == ["not a folder"]


def _write_points_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    """points.xlsx as an editor's spreadsheet: numbers and booleans typed as such."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(POINT_COLUMNS)
    for row in rows:
        values: list[object] = []
        for column in POINT_COLUMNS:
            value: object = row[column]
            if column in ("latitude", "longitude"):
                value = float(row[column])
            elif column == "sample":
                value = row[column] in ("true", "是")
            values.append(value if value != "" else None)
        sheet.append(values)
    book.save(path)


def test_points_xlsx_loads_the_same_points_as_csv(good_source, make_good_source):
    from_csv = load_source(good_source).points
    xlsx_source = make_good_source("xlsx-source")
    (xlsx_source / "points.csv").unlink()
    _write_points_xlsx(xlsx_source / "points.xlsx", POINTS)
    from_xlsx = load_source(xlsx_source).points
    assert len(from_xlsx) == len(POINTS)
    assert from_xlsx == from_csv


def test_points_xlsx_errors_name_the_spreadsheet_row(good_source):
    (good_source / "points.csv").unlink()
    _write_points_xlsx(good_source / "points.xlsx",
                       [POINTS[0], dict(POINTS[1], level="province"), POINTS[2]])
    errors = _errors_of(good_source)
    assert [(e.file, e.line, e.item, e.field) for e in errors] == [
        ("points.xlsx", 3, "P002", "level")]


def test_duplicate_point_id_in_xlsx_names_the_spreadsheet(good_source):
    (good_source / "points.csv").unlink()
    _write_points_xlsx(good_source / "points.xlsx", [*POINTS, POINTS[0]])
    errors = _errors_of(good_source)
    assert [(e.file, e.item, e.message) for e in errors] == [
        ("points.xlsx", "P001", "duplicate id")]


def test_both_points_csv_and_xlsx_is_an_error(good_source):
    _write_points_xlsx(good_source / "points.xlsx", POINTS)
    errors = _errors_of(good_source)
    assert len(errors) == 1
    assert errors[0].file in ("points.csv", "points.xlsx")
    assert "both points.csv and points.xlsx exist" in errors[0].message


def test_validate_command_prints_every_error_with_location(broken_dir, capsys):
    assert main(["content", "validate", str(broken_dir)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    for name, planted in PLANTED.items():
        found = [line for line in lines if line.startswith(planted.file + ":")
                 and (planted.item is None or f"item {planted.item}:" in line)
                 and planted.fragment in line]
        assert len(found) == 1, f"{name} not reported on stderr:\n{captured.err}"
    assert f"{len(PLANTED)} error(s)" in lines[-1]
    assert "OK" not in captured.out


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "hallkiosk_cli", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_validate_command_as_a_process(broken_dir, seed_dir):
    broken = _run_cli("content", "validate", str(broken_dir))
    assert broken.returncode == 1
    assert "points.csv:3: item P002: field type: Input should be" in broken.stderr
    assert "guides/NO-002.yaml:12: item NO-002: field materials.1.copies:" in broken.stderr
    assert f"{len(PLANTED)} error(s)" in broken.stderr
    seed = _run_cli("content", "validate", str(seed_dir))
    assert seed.returncode == 0, seed.stderr
    assert "OK" in seed.stdout and seed.stderr == ""


def test_validate_command_accepts_the_seed(seed_dir, capsys):
    assert main(["content", "validate", str(seed_dir)]) == 0
    captured = capsys.readouterr()
    assert "OK" in captured.out
    assert captured.err == ""


def test_build_command_on_broken_source_writes_nothing(broken_dir, tmp_path, capsys):
    out = tmp_path / "dist" / "bundle"
    assert main(["content", "build", str(broken_dir), "--out", str(out)]) == 1
    assert not out.exists()
    leftovers = list(out.parent.iterdir()) if out.parent.exists() else []
    assert leftovers == []
    err = capsys.readouterr().err
    assert "nothing written" in err
    assert "guides/LA-001.yaml:3: YAML syntax error" in err


def test_build_command_on_broken_source_keeps_the_previous_bundle(
        good_source, broken_dir, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert main(["content", "build", str(good_source), "--out", str(out)]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert Path("manifest.json") in before
    assert main(["content", "build", str(broken_dir), "--out", str(out)]) == 1
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "source"]
    capsys.readouterr()


def test_build_command_writes_a_bundle_from_a_good_source(good_source, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert main(["content", "build", str(good_source), "--out", str(out)]) == 0
    assert {"manifest.json", "content.json", "search.json"} <= {p.name for p in out.iterdir()}
    assert (out / "media" / "slides" / "welcome.png").read_bytes() == (
        good_source / "slides" / "welcome.png").read_bytes()
    assert "written to" in capsys.readouterr().out

