"""法律知识 with real touches: topic → law → article → read aloud; search by number;
a guide's legal basis opens the article it cites."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from content.install import SEED
from content.loader import load_source

SOURCE = load_source(SEED)
LABOUR_CONTRACT = next(law for law in SOURCE.laws if law.code == "labour-contract-law")
ARTICLE_47 = next(a for _p, a in LABOUR_CONTRACT.all_articles() if a.number == 47)


def open_law_library(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("法律知识")
    assert ui.app.nav.current == "laws"


def test_browse_topic_law_article_and_read_aloud(ui: Any, ui_data_dir: Path) -> None:
    open_law_library(ui)
    ui.tap("劳动")
    shown = ui.texts()
    assert LABOUR_CONTRACT.title in shown
    assert "中华人民共和国民法典" not in shown, "the labour topic lists only labour laws"
    ui.tap(LABOUR_CONTRACT.title)
    assert ui.app.nav.current == "law_detail"
    contents = [text for text in ui.texts() if text.startswith("第四十七条")]
    assert contents, "the table of contents lists article 47"
    ui.tap(contents[0])
    assert ui.app.nav.current == "law_article"
    shown = "\n".join(ui.texts())
    assert "《中华人民共和国劳动合同法》第四十七条" in shown
    assert ARTICLE_47.explanation and ARTICLE_47.explanation in shown
    cases = [c for c in SOURCE.cases if any(r.law == "labour-contract-law" and 47 in r.articles
                                            for r in c.cites)]
    assert cases and all(case.title in shown for case in cases)
    speech_dir = ui_data_dir / "speech"
    before = sorted(speech_dir.glob("*.wav")) if speech_dir.exists() else []
    ui.tap("朗读")
    assert ui.app.speaker.wait_idle(timeout=60)
    files = sorted(speech_dir.glob("*.wav"))
    assert len(files) == len(before) + 1
    with wave.open(str(files[-1])) as audio:
        assert audio.getnframes() / audio.getframerate() > 2.0, "the article is read, not a word"
    assert ARTICLE_47.explanation in ui.app.speaker.spoken[-1][2]


def test_search_law_and_number_opens_the_article(ui: Any) -> None:
    open_law_library(ui)
    ui.tap("查找条文：选法律输条号，或按关键词")
    screen = ui.screen
    ui.tap("劳动合同法", screen.ids.laws)
    for digit in "47":
        ui.tap(digit, screen.ids.digits)
    assert screen.query == "劳动合同法 47"
    ui.tap("劳动合同法 第四十七条")
    assert ui.app.nav.current == "law_article"
    assert ui.screen.params["key"] == "labour-contract-law:47"
    assert ARTICLE_47.explanation in "\n".join(ui.texts())


def test_search_article_number_in_every_law(ui: Any) -> None:
    open_law_library(ui)
    ui.tap("查找条文：选法律输条号，或按关键词")
    screen = ui.screen
    for key in "第47条":
        ui.tap(key, screen.ids.digits)
    assert screen.query == "第47条"
    titles = [row["title"] for row in screen.ids.results.data]
    holding = [law for law in SOURCE.laws
               if any(a.number == 47 for _p, a in law.all_articles())]
    assert len(titles) == len(holding) and "劳动合同法 第四十七条" in titles


def test_search_by_word_and_unknown_number(ui: Any) -> None:
    open_law_library(ui)
    ui.tap("查找条文：选法律输条号，或按关键词")
    screen = ui.screen
    ui.tap("经济补偿", screen.ids.words)
    titles = [row["title"] for row in screen.ids.results.data]
    assert "劳动合同法 第四十七条" in titles
    ui.tap("清空")
    ui.tap("劳动合同法", screen.ids.laws)
    for digit in "999":
        ui.tap(digit, screen.ids.digits)
    assert screen.ids.results.data == []
    assert "没有找到条文。请检查条号，或换个关键词。" in ui.texts()


def test_guide_legal_basis_opens_the_cited_article(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("办事指南")
    ui.tap("法律援助")
    ui.tap("刑事案件被害人、自诉人申请法律援助")
    assert ui.app.nav.current == "guide_detail"
    ui.tap("查看 法律援助法 第二十九条")
    assert ui.app.nav.current == "law_article"
    assert ui.screen.params["key"] == "legal-aid-law:29"
    assert "刑事案件被害人、自诉人申请法律援助" in ui.texts(), \
        "the article lists the guides relying on it"


NOTARY = next(law for law in SOURCE.laws if law.code == "notary-law")
ARTICLE_26 = next(a for _p, a in NOTARY.all_articles() if a.number == 26)
WILL_CASE = next(c for c in SOURCE.cases if c.id == "case-notary-will")
WILL_GUIDE = next(g for g in SOURCE.guides if g.code == "GZ-006")


def test_notary_topic_article_and_case_in_english_and_elder_mode(ui: Any) -> None:
    open_law_library(ui)
    ui.tap("长辈版")
    ui.tap("English")
    ui.tap("Notarization")
    shown = ui.texts()
    assert NOTARY.title_en in shown
    assert LABOUR_CONTRACT.title_en not in shown, "the notary topic lists only its laws"
    ui.tap(NOTARY.title_en)
    assert ui.app.nav.current == "law_detail"
    assert ui.screen.title == "Notarization Law"
    ui.tap(next(t for t in ui.texts() if t.startswith("Article 26")))
    assert ui.app.nav.current == "law_article"
    shown = "\n".join(ui.texts())
    assert "In plain words (释义)" in shown and ARTICLE_26.explanation_en in shown
    assert ARTICLE_26.explanation not in shown, "English mode shows the English 释义"
    assert WILL_GUIDE.title_en in shown, "the article lists the guides relying on it"
    for text in (WILL_CASE.title_en, WILL_CASE.facts_en, f"Answer: {WILL_CASE.answer_en}",
                 "An illustration written for this library: the people and events are "
                 "invented, not a real judgment."):
        assert text in shown, text
    ui.app.open_item("article", "labour-contract-law:47")
    ui.frames(3)
    shown = ui.texts()
    assert "In plain words (释义)" in shown
    assert ui.screen.title == "Labour Contract Law Article 47"  # the law's English name
    assert ARTICLE_47.explanation_en in "\n".join(shown)
