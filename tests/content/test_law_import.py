"""hallkiosk content import-law: official-layout .txt and .docx into the law YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from law_sources import add_law_library, official_lines

from content.laws.importer import parse_law_lines
from content.loader import load_source
from hallkiosk_cli import main

OUTSIDE = "不属于任何一条的文字，无法归入 / text outside any article"


def test_official_layout_reads_into_chapters_sections_articles():
    lines = official_lines("中华人民共和国样例法", chapters=2, sections=2,
                           articles_per_section=2, paragraphs=3)
    imported = parse_law_lines(lines)
    assert imported.problems == []
    data = imported.data
    assert data["title"] == "中华人民共和国样例法"
    assert data["note"].startswith("（2020年1月1日")
    assert [c["title"] for c in data["chapters"]] == ["第1章标题", "第2章标题"]
    assert [s["title"] for s in data["chapters"][1]["sections"]] == ["第1节标题", "第2节标题"]
    numbers = [a["number"] for c in data["chapters"] for s in c["sections"]
               for a in s["articles"]]
    assert numbers == list(range(1, 9))
    first = data["chapters"][0]["sections"][0]["articles"][0]["text"]
    assert first.splitlines() == ["第1条正文，关于劳动合同与经济补偿的规定（编号1）。",
                                  "第1条第2款的内容，继续上一条。",
                                  "第1条第3款的内容，继续上一条。"]
    assert imported.article_count() == 8


def test_lines_that_cannot_be_placed_are_reported_with_their_number():
    lines = official_lines("样例法", chapters=1, sections=1, articles_per_section=3)
    lines.insert(lines.index("第一节　第1节标题") + 1, "一段不属于任何条文的文字")
    lines[lines.index(next(x for x in lines if x.startswith("第三条")))] = "第五条　跳过了第四条"
    lines.append("第五条　重复的条号")
    lines.append("　　重复条文的续段")
    problems = parse_law_lines(lines).problems
    assert [(p.line, p.message) for p in problems] == [
        (lines.index("一段不属于任何条文的文字") + 1, OUTSIDE),
        (lines.index("第五条　跳过了第四条") + 1, "此处应为第三条，无法归入 / "
                                             "article 5 where article 3 was expected"),
        (len(lines) - 1, "此处应为第六条，无法归入 / "
                         "article 5 where article 6 was expected"),
        (len(lines), OUTSIDE),
    ]


def test_articles_without_chapters_and_chapter_numbers_checked():
    imported = parse_law_lines(["某某条例", "第一条　甲。", "第二条　乙。", "　　乙的续段。"])
    assert imported.problems == []
    assert imported.data["articles"] == [{"number": 1, "text": "甲。"},
                                         {"number": 2, "text": "乙。\n乙的续段。"}]
    problems = parse_law_lines(["某法", "第一章 总则", "第一条 甲", "第三章 附则"]).problems
    assert [(p.line, p.message) for p in problems] == [
        (4, "此处应为第二章 / chapter 3 where chapter 2 was expected")]


def _cli_import(path: Path, out: Path, *extra: str) -> int:
    return main(["content", "import-law", str(path), "--code", "sample-law", "--out", str(out),
                 "--issuer", "全国人民代表大会常务委员会", "--promulgated", "2020-01-01",
                 "--in-force", "2020-06-01", "--topic", "labour", *extra])


def test_cli_imports_txt_into_a_source_that_validates(good_source, capsys):
    add_law_library(good_source)
    text = good_source.parent / "样例法.txt"
    text.write_text("\n".join(official_lines("中华人民共和国样例法")), encoding="gb18030")
    assert _cli_import(text, good_source / "laws") == 0
    assert "18 articles written" in capsys.readouterr().out
    data = yaml.safe_load((good_source / "laws" / "sample-law.yaml").read_text("utf-8"))
    assert data["code"] == "sample-law" and data["topics"] == ["labour"]
    content = load_source(good_source)
    law = next(law for law in content.laws if law.code == "sample-law")
    assert [a.number for _, a in law.all_articles()] == list(range(1, 19))


def test_cli_reports_bad_lines_and_exits_1(tmp_path, capsys):
    lines = official_lines("样例法", chapters=1, sections=1, articles_per_section=2)
    lines.append("第九条　跳号")
    text = tmp_path / "bad.txt"
    text.write_text("\n".join(lines), "utf-8")
    assert _cli_import(text, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert (f"bad.txt:{len(lines)}: 此处应为第三条，无法归入 / "
            "article 9 where article 3 was expected") in err


def test_cli_imports_docx(tmp_path):
    import docx  # python-docx, in the dev and editor extras
    document = docx.Document()
    for line in official_lines("中华人民共和国样例法", chapters=1, sections=1):
        document.add_paragraph(line)
    path = tmp_path / "sample.docx"
    document.save(str(path))
    assert _cli_import(path, tmp_path / "laws") == 0
    data = yaml.safe_load((tmp_path / "laws" / "sample-law.yaml").read_text("utf-8"))
    assert [a["number"] for a in data["chapters"][0]["sections"][0]["articles"]] == [1, 2, 3]
