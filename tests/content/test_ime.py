"""The on-screen pinyin input: syllable cutting, ranked candidates, phrases, abbreviations."""

from __future__ import annotations

import pytest

from content.ime import LazyIME, PinyinIME, build_ime


@pytest.fixture(scope="module")
def ime() -> PinyinIME:
    """The real IME on jieba's words and pypinyin's readings, with two hall words."""
    return build_ime(["劳动报酬", "讨薪", "法律援助"])


def texts(ime: PinyinIME, letters: str, count: int = 8) -> list[str]:
    return [c.text for c in ime.candidates(letters, count)]


def test_letters_are_cut_into_syllables(ime: PinyinIME) -> None:
    assert ime.split("laoban") == ["lao", "ban"]
    assert ime.split("xian") == ["xian"]  # fewest syllables: 先, not 西安
    assert ime.split("xi'an") == ["xi", "an"]  # the separator forces the cut
    assert ime.split("falvyuanzhu") == ["fa", "lv", "yuan", "zhu"]
    assert ime.split("laob") == ["lao", "b"]  # the last syllable unfinished
    assert ime.split("flyz") == ["f", "l", "y", "z"]  # initials only
    assert ime.split("LaoBan") == ["lao", "ban"]
    assert ime.split("") == []


def test_whole_words_rank_before_characters(ime: PinyinIME) -> None:
    assert texts(ime, "laoban")[0] == "老板"
    assert texts(ime, "lihun")[0] == "离婚"
    assert texts(ime, "gongzi")[0] == "工资"
    assert texts(ime, "yinhang")[0] == "银行"  # 行 read hang in this word (pypinyin phrases)
    single = texts(ime, "dai", 20)
    assert "带" in single[:5] and all(len(t) == 1 for t in single)


def test_a_typed_phrase_becomes_one_candidate(ime: PinyinIME) -> None:
    assert texts(ime, "laobanpaole")[0] == "老板跑了"
    assert texts(ime, "jiarenbeizhuale")[0] == "家人被抓了"
    assert texts(ime, "zenmeshenqingfalvyuanzhu")[0] == "怎么申请法律援助"


def test_unfinished_syllables_and_abbreviations(ime: PinyinIME) -> None:
    assert "老板" in texts(ime, "laob")
    assert texts(ime, "flyz")[0] == "法律援助"
    assert texts(ime, "l", 20) and all(len(t) == 1 for t in texts(ime, "l", 20))


def test_the_halls_own_words_rank_first(ime: PinyinIME) -> None:
    assert texts(ime, "taoxin")[0] == "讨薪"  # not in jieba's common words
    assert texts(ime, "laodongbaochou")[0] == "劳动报酬"


def test_a_candidate_consumes_its_letters(ime: PinyinIME) -> None:
    """Choosing 老板 from laobanpaole leaves paole; a separator counts as typed."""
    by_text = {c.text: c.consumed for c in ime.candidates("laobanpaole", 40)}
    assert by_text["老板跑了"] == len("laobanpaole")
    assert by_text["老板"] == len("laoban")
    assert by_text["老"] == len("lao")
    assert {c.text: c.consumed for c in ime.candidates("xi'an", 40)}["西"] == 2


def test_nothing_for_letters_that_start_no_syllable(ime: PinyinIME) -> None:
    assert ime.candidates("vvv") == []
    assert ime.candidates("'") == []


def test_a_small_table_ranks_by_frequency_and_reading() -> None:
    readings = {"好": ["hao"], "号": ["hao"], "耗": ["hao"], "行": ["xing", "hang"]}
    ime = PinyinIME([("号", 10), ("好", 1000), ("耗", 5), ("行", 900)], readings)
    assert texts(ime, "hao") == ["好", "号", "耗"]
    # 行's uncommon reading hang still finds it, but ranks it as rare
    assert texts(ime, "hang") == ["行"]
    assert ime.table[("hang",)][0][1] < ime.table[("xing",)][0][1]


def test_lazy_ime_builds_once_in_the_background() -> None:
    lazy = LazyIME(["讨薪"])
    assert lazy.ready is None
    lazy.start()
    built = lazy.get()
    assert lazy.ready is built and texts(built, "taoxin")[0] == "讨薪"
