"""The law library: validation with exact locations, guide <-> article links, search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from law_sources import add_law_library

from content.bundle import build_bundle, read_bundle
from content.errors import ContentInvalid
from content.laws.numerals import article_label, parse_number, to_chinese
from content.library import Library
from content.loader import load_source
from content.search import SearchIndex


def _errors(source: Path) -> list[tuple[str, int | None, str | None, str | None, str]]:
    with pytest.raises(ContentInvalid) as caught:
        load_source(source)
    return [(e.file, e.line, e.item, e.field, e.message) for e in caught.value.errors]


def _line(path: Path, needle: str) -> int:
    """The 1-based line of the first line of path that contains needle."""
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in line)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def law_source(good_source: Path) -> Path:
    return add_law_library(good_source)


def _library(source: Path) -> Library:
    content = load_source(source)
    return Library("test", content, SearchIndex([]))


@pytest.mark.parametrize(("number", "text"), [
    (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (47, "四十七"), (100, "一百"),
    (102, "一百零二"), (110, "一百一十"), (1000, "一千"), (1005, "一千零五"),
    (1260, "一千二百六十"),
])
def test_chinese_numerals_both_ways(number, text):
    assert to_chinese(number) == text
    assert parse_number(text) == number


def test_numerals_refuse_what_is_not_a_number():
    assert parse_number("四七") is None
    assert parse_number("abc") is None
    assert parse_number("４７") == 47
    assert article_label(47) == "第四十七条"


def test_good_law_library_loads(law_source):
    content = load_source(law_source)
    assert [law.code for law in content.laws] == ["test-law"]
    assert [c.id for c in content.cases] == ["case-one"]
    assert content.cases[0].illustrative is True


def test_articles_out_of_order_name_the_line(law_source):
    law = law_source / "laws" / "test-law.yaml"
    _edit(law, "      - number: 2\n", "      - number: 4\n")
    assert _errors(law_source) == [
        ("cases/case-one.yaml", _line(law_source / "cases" / "case-one.yaml", "articles:"),
         "case-one", "cites.0.articles.0", "法规 'test-law' 中没有第二条 / "
                                           "unknown article 第二条 (2) of 'test-law'"),
        ("laws/test-law.yaml", _line(law, "number: 3"), "test-law",
         "chapters.1.sections.0.articles.0.number",
         "条号顺序错误：第三条排在第四条之后 / article 第三条 (3) out of order: "
         "it follows article 4")]


def test_duplicate_article_names_its_line(law_source):
    law = law_source / "laws" / "test-law.yaml"
    _edit(law, "          - number: 3\n", "          - number: 2\n")
    assert _errors(law_source) == [
        ("laws/test-law.yaml", _line(law, "          - number: 2"), "test-law",
         "chapters.1.sections.0.articles.0.number",
         "条号重复：第二条 / duplicate article 第二条 (2)")]


def test_unknown_topic_of_a_law_and_a_case(law_source):
    _edit(law_source / "laws" / "test-law.yaml", "topics: [labour]", "topics: [labor]")
    _edit(law_source / "cases" / "case-one.yaml", "topics: [labour]", "topics: [tax]")
    assert sorted(_errors(law_source)) == [
        ("cases/case-one.yaml", 3, "case-one", "topics.0", "没有这个专题 'tax' / "
                                                           "unknown topic 'tax'"),
        ("laws/test-law.yaml", 7, "test-law", "topics.0", "没有这个专题 'labor' / "
                                                          "unknown topic 'labor'"),
    ]
    assert [_line(law_source / "cases" / "case-one.yaml", "topics:"),
            _line(law_source / "laws" / "test-law.yaml", "topics:")] == [3, 7
    ]


def test_case_citing_an_unknown_article_or_law(law_source):
    _edit(law_source / "cases" / "case-one.yaml", "articles: [2]", "articles: [2, 9]")
    assert _errors(law_source) == [
        ("cases/case-one.yaml", 9, "case-one", "cites.0.articles.1",
         "法规 'test-law' 中没有第九条 / unknown article 第九条 (9) of 'test-law'")]
    _edit(law_source / "cases" / "case-one.yaml", "law: test-law", "law: no-such-law")
    assert _errors(law_source) == [
        ("cases/case-one.yaml", 8, "case-one", "cites.0.law",
         "法律库中没有这部法规 'no-such-law' / unknown law 'no-such-law'")]


def test_article_without_text_or_explanation_and_law_file_name(law_source):
    _edit(law_source / "laws" / "test-law.yaml", "        text: 为了测试，制定本法。\n", "")
    errors = _errors(law_source)
    line = _line(law_source / "laws" / "test-law.yaml", "      - number: 1")
    assert errors == [("laws/test-law.yaml", line, "test-law", "chapters.0.articles.0",
                       "Value error, an article needs its text, its explanation, or both")]


def test_dates_and_chapter_order(law_source):
    _edit(law_source / "laws" / "test-law.yaml", "in_force: 2020-06-01", "in_force: 2019-06-01")
    _edit(law_source / "laws" / "test-law.yaml", "  - number: 2\n    title: 附则",
          "  - number: 3\n    title: 附则")
    errors = _errors(law_source)
    assert ("laws/test-law.yaml", 1, "test-law", None,
            "Value error, in_force is before promulgated") in errors


def test_chapter_numbers_in_order(law_source):
    _edit(law_source / "laws" / "test-law.yaml", "  - number: 2\n    title: 附则",
          "  - number: 3\n    title: 附则")
    line = _line(law_source / "laws" / "test-law.yaml", "  - number: 3")
    assert _errors(law_source) == [("laws/test-law.yaml", line, "test-law", "chapters.1.number",
                                    "章序错误：第三章处应为第二章 / "
                                    "chapter 3 out of order: expected 2")]


def test_guide_refs_link_both_ways_and_unknown_article_is_an_error(law_source):
    guide = law_source / "guides" / "LA-001.yaml"
    text = guide.read_text("utf-8")
    assert "legal_refs" not in text
    text = text.replace("legal_basis:\n", "legal_refs:\n  - law: test-law\n    articles: [2, 3]\n"
                        "legal_basis:\n", 1)
    guide.write_text(text, "utf-8")
    library = _library(law_source)
    assert [g.code for g in library.guides_citing("test-law", 2)] == ["LA-001"]
    assert library.guides_citing("test-law", 1) == []
    refs = library.guide("LA-001").legal_refs
    assert [(r.law, r.articles) for r in refs] == [("test-law", [2, 3])]
    assert library.guide("LA-001").legal_basis  # the text field still shows
    assert [c.id for c in library.laws.cases_citing("test-law", 2)] == ["case-one"]
    _edit(guide, "articles: [2, 3]", "articles: [2, 30]")
    line = guide.read_text("utf-8").splitlines().index("    articles: [2, 30]") + 1
    assert _errors(law_source) == [("guides/LA-001.yaml", line, "LA-001",
                                    "legal_refs.0.articles.1",
                                    "法规 'test-law' 中没有第三十条 / "
                                    "unknown article 第三十条 (30) of 'test-law'")]


@pytest.mark.parametrize("query", ["测试法 2", "测试法第二条", "《中华人民共和国测试法》第二条",
                                   "中华人民共和国测试法 第二条", "测试法 第 2 条"])
def test_search_by_law_and_number(law_source, query):
    hits = _library(law_source).laws.search(query)
    assert [(h.law.code, h.article.number) for h in hits] == [("test-law", 2)]


def test_search_by_number_within_a_law_and_by_words(law_source):
    laws = _library(law_source).laws
    assert [h.article.number for h in laws.search("第三条", within="test-law")] == [3]
    assert [h.article.number for h in laws.search("3", within="test-law")] == [3]
    assert [h.article.number for h in laws.search("第九条", within="test-law")] == []
    assert [h.article.number for h in laws.search("经济补偿")] == [2]
    assert [h.article.number for h in laws.search("一个月 工资")] == [2]  # 释义 is searched
    assert [h.article.number for h in laws.search("测试法")] == [1, 2, 3]
    assert laws.article("test-law", 2).explanation == "干满一年给一个月工资。"
    assert laws.law("test-law").title == "中华人民共和国测试法"


def test_seed_laws_cover_every_structured_reference(seed_dir):
    library = Library("seed", load_source(seed_dir), SearchIndex([]))
    assert len(library.content.cases) >= 12
    assert all(c.illustrative and "说明性示例" in c.note for c in library.content.cases)
    # every seed case reads in English too (a province's own cases may fall back to Chinese)
    assert all(c.title_en and c.facts_en and c.question_en and c.answer_en
               for c in library.content.cases)
    assert all(a.text is None and a.explanation for law in library.content.laws
               for _, a in law.all_articles())  # the seed holds no official text
    hits = library.laws.search("劳动合同法第四十七条")
    assert [(h.law.code, h.article.number) for h in hits] == [("labour-contract-law", 47)]
    assert [h.article.number for h in library.laws.search("劳动合同法 47")] == [47]
    citing = [g.code for g in library.guides_citing("legal-aid-law", 43)]
    assert {"FLYZ-001", "FLYZ-002", "FLYZ-003", "FLYZ-004", "FLYZ-005"} <= set(citing)


def test_seed_topics_include_notary_and_review_and_every_cited_article_links(seed_dir):
    library = Library("seed", load_source(seed_dir), SearchIndex([]))
    content = library.content
    for topic in ("labour", "family", "legal-aid", "mediation", "notary", "admin-review"):
        assert any(topic in law.topics for law in content.laws), topic
        assert any(topic in case.topics for case in content.cases), topic
    assert {g.code for g in library.guides_citing("notary-law", 30)} == {
        g.code for g in content.guides if g.category == "notary"}
    assert [g.code for g in library.guides_citing("administrative-reconsideration-law", 20)] \
        == ["XZFY-001"]
    assert library.laws.search("行政复议法 第八十七条")[0].article.explanation_en
    # a guide's legal_basis that names an article of a law the library holds links to it
    by_title = {law.title: law for law in content.laws}
    for guide in content.guides:
        for line in guide.legal_basis:
            for title, law in by_title.items():
                if f"《{title}》" not in line:
                    continue
                refs = {n for r in guide.legal_refs if r.law == law.code for n in r.articles}
                named = re.findall(r"第([一二三四五六七八九十百零]+)条", line.split("》", 1)[1])
                assert {parse_number(n) for n in named} <= refs, (guide.code, line)
                assert all(library.laws.has_article(law.code, n) for n in refs), guide.code


def test_law_library_survives_a_bundle(law_source, tmp_path):
    build_bundle(law_source, tmp_path / "bundle")
    manifest, content, _ = read_bundle(tmp_path / "bundle")
    assert manifest["counts"]["laws"] == 1 and manifest["counts"]["cases"] == 1
    assert content == load_source(law_source)


def test_source_without_laws_still_loads(good_source):
    content = load_source(good_source)
    assert content.laws == [] and content.cases == [] and content.figures == []
