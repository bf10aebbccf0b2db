"""Search: pinyin initials, full pinyin, Chinese, English and keywords, ranked by match quality."""

from __future__ import annotations

import random

import pytest
from content_sources import SEED_DIR

from content.loader import load_source
from content.search import (
    SEGMENT_MARK,
    SYLLABLE_MARK,
    IndexRow,
    SearchIndex,
    _row,
    index_rows,
    syllables,
)

LEGAL_AID = "法律援助"


@pytest.fixture(scope="module")
def seed_index() -> SearchIndex:
    """The search index over the seed content, built as a bundle build does."""
    return SearchIndex(index_rows(load_source(SEED_DIR)))


def _is_legal_aid(hit) -> bool:
    return (hit.kind == "category" and hit.key == "legal-aid") or (
        hit.kind == "guide" and LEGAL_AID in hit.title)


@pytest.mark.parametrize("query", ["FLYZ", "flyz", "falvyuanzhu", "fa lv yuan zhu", LEGAL_AID])
def test_legal_aid_comes_first(seed_index, query):
    hits = seed_index.search(query)
    assert hits, query
    assert _is_legal_aid(hits[0]), hits[0]


def test_legal_aid_category_is_the_exact_chinese_match(seed_index):
    first = seed_index.search(LEGAL_AID)[0]
    assert (first.kind, first.key, first.title) == ("category", "legal-aid", LEGAL_AID)


def test_mid_syllable_fragment_matches_no_legal_aid_title(seed_index):
    assert [h for h in seed_index.search("alvyuan", limit=1000) if LEGAL_AID in h.title] == []
    # The same letters from the start of a syllable do match.
    assert any(LEGAL_AID in h.title for h in seed_index.search("lvyuan"))


@pytest.mark.parametrize("query", ["讨薪", "taoxin", "TX", "包工头跑了", "baogongtou"])
def test_keywords_find_the_wage_arrears_guide(seed_index, query):
    guides = seed_index.search(query, kinds=["guide"])
    assert guides and guides[0].key == "FLYZ-004", query


@pytest.mark.parametrize("query", ["欠工资", "qiangongzi", "QGZ", "包工头", "bgt"])
def test_keyword_only_match_finds_a_guide_whose_title_lacks_the_word(seed_index, query):
    hits = {h.key: h for h in seed_index.search(query, kinds=["guide"])}
    assert "FLYZ-004" in hits, query
    # Found through its keywords, so scored below even a mid-title pinyin match.
    mid_title = {h.key: h.score for h in seed_index.search("gongshang", kinds=["guide"])}
    assert hits["FLYZ-004"].score < mid_title["FLYZ-004"]


def test_english_prefix_finds_notary_items_by_title_en(seed_index):
    hits = seed_index.search("notar")
    assert hits[0].kind == "category" and hits[0].key == "notary"
    assert all("notar" in h.title_en.lower() for h in hits)
    assert {h.kind for h in hits} >= {"category", "guide"}


def test_kinds_filter_keeps_only_the_requested_kinds(seed_index):
    everything = seed_index.search(LEGAL_AID, limit=1000)
    assert {h.kind for h in everything} >= {"category", "guide", "faq", "point"}
    only_faq = seed_index.search(LEGAL_AID, limit=1000, kinds=["faq"])
    assert only_faq and {h.kind for h in only_faq} == {"faq"}
    assert [h.key for h in only_faq] == [h.key for h in everything if h.kind == "faq"]
    two = seed_index.search(LEGAL_AID, limit=1000, kinds={"point", "category"})
    assert {h.kind for h in two} == {"point", "category"}


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_empty_query_returns_nothing(seed_index, query):
    assert seed_index.search(query) == []


def test_limit_caps_the_results(seed_index):
    assert len(seed_index.search("fl", limit=3)) == 3


def _ranking_index() -> SearchIndex:
    # Rows in the opposite order of the expected ranking, all of one kind, so neither the
    # position nor the kind tie-breaks can produce the order on their own.
    return SearchIndex([
        _row("guide", "substring", "办理公证", "Getting a notarization", "", []),
        _row("guide", "prefix", "公证预约", "Notary appointments", "", []),
        _row("guide", "exact", "公证", "Notary", "", []),
        _row("guide", "keyword", "遗产继承", "Inheritance", "", ["公证"]),
        _row("guide", "unrelated", "法律援助", "Legal aid", "", ["免费"]),
    ])


@pytest.mark.parametrize("query", ["公证", "gz", "gongzheng"])
def test_exact_title_beats_prefix_beats_substring_beats_keyword(query):
    hits = _ranking_index().search(query)
    assert [h.key for h in hits] == ["exact", "prefix", "substring", "keyword"]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[1] > scores[2] > scores[3]


def test_chinese_exact_title_scores_above_prefix():
    hits = _ranking_index().search("公证")
    assert hits[0].key == "exact" and hits[0].score > hits[1].score


def test_english_word_start_beats_inside_a_word():
    index = SearchIndex([
        _row("online", "inside", "甲", "Denotary", "", []),
        _row("online", "word", "乙", "Book a notary", "", []),
        _row("online", "start", "丙", "Notary office", "", []),
    ])
    assert [h.key for h in index.search("notary")] == ["start", "word", "inside"]


def test_search_hit_carries_what_the_screen_shows():
    index = SearchIndex([_row("point", "P1", "城东区公证处", "Notary office", "东湖路1号", [])])
    [hit] = index.search("gzc")
    assert (hit.kind, hit.key, hit.title, hit.title_en, hit.subtitle) == (
        "point", "P1", "城东区公证处", "Notary office", "东湖路1号")


WORDS = ["法律", "援助", "公证", "调解", "仲裁", "鉴定", "律师", "咨询", "复议", "工资",
         "继承", "遗嘱", "赡养", "工伤", "合同", "借款", "房屋", "交通", "事故", "婚姻"]


def _generated_rows(count: int) -> list[IndexRow]:
    rng = random.Random(12348)
    rows = []
    for number in range(count):
        title = "".join(rng.sample(WORDS, rng.randint(2, 4))) + f"{number % 97}号"
        keywords = rng.sample(WORDS, rng.randint(0, 2))
        rows.append(_row(rng.choice(["guide", "faq", "point"]), f"K{number}", title, None,
                         rng.choice(["城东区", "城西区"]), keywords))
    return rows


def _pinyin_matches(pinyin: str, query: str, initials_only: bool) -> bool:
    """Reference matcher: query at a syllable start of one segment (or in its initials)."""
    for segment in pinyin.split(SEGMENT_MARK):
        parts = [p for p in segment.split(SYLLABLE_MARK) if p]
        if initials_only:
            if query in "".join(p[0] for p in parts):
                return True
            continue
        joined = "".join(parts)
        for start in range(len(parts)):
            if joined.startswith(query, len("".join(parts[:start]))):
                return True
    return False


def _expected_keys(rows: list[IndexRow], query: str) -> set[str]:
    if any("\u4e00" <= ch <= "\u9fff" for ch in query):
        return {r.key for r in rows
                if query in r.title or query in r.subtitle or query in r.text}
    return {r.key for r in rows if any(
        _pinyin_matches(pinyin, query, initials_only)
        for pinyin in (r.title_pinyin, r.keyword_pinyin) for initials_only in (True, False))}


@pytest.fixture(scope="module")
def large() -> tuple[list[IndexRow], SearchIndex]:
    """A generated 10,000-row index and its rows."""
    rows = _generated_rows(10_000)
    return rows, SearchIndex(rows)


@pytest.mark.parametrize("query", ["公证", "遗嘱继承", "城西区", "gz", "yz", "gongzheng",
                                   "zhengtiao", "jch", "hunyin", "96hao", "ongzh"])
def test_large_index_returns_exactly_the_matching_rows(large, query):
    rows, index = large
    assert len(index) == 10_000
    expected = _expected_keys(rows, query)
    found = index.search(query, limit=len(rows))
    assert len(found) == len({h.key for h in found})
    assert {h.key for h in found} == expected
    if query != "ongzh":
        assert expected, f"{query} should match some generated rows"


def test_large_index_ranks_title_matches_above_keyword_matches(large):
    rows, index = large
    titles = {r.key for r in rows if "遗嘱" in r.title}
    found = index.search("遗嘱", limit=len(rows))
    first = [h.key for h in found[:len(titles)]]
    assert set(first) == titles


def test_syllables_are_toneless_and_lower_case():
    assert syllables("法律援助") == ["fa", "lv", "yuan", "zhu"]
    assert syllables("12348热线 Hotline") == ["12348", "re", "xian", "hotline"]
