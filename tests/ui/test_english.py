"""English mode on the real app: content in English (materials, who may apply, FAQ, districts,
rating reasons), plurals, titles that wrap whole, and search by English words."""

from __future__ import annotations

import re
from typing import Any

from content.install import SEED
from content.loader import load_source

SEED_CONTENT = load_source(SEED)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _chinese(texts: list[str]) -> list[str]:
    """Texts with Chinese characters, except the language switch and deliberate glosses
    such as "Legal aid (法律援助)" (a Chinese term in brackets after its English)."""
    return [t for t in texts if t != "中文" and HAN.search(re.sub(r"（[^）]*）|\([^)]*\)", "", t))
            and len(t) > 1]  # the tiles' one-character glyphs (援, 办 ...) are pictures


def _title_whole(ui: Any) -> None:
    """The header title shows all its text: wrapped, not cut with "…"."""
    from kiosk.labels import FitLabel

    ui.frames(3)
    title = next(w for w in ui.widgets() if isinstance(w, FitLabel) and w.text == ui.screen.title)
    assert not title.shorten and title.text_size[0] == title.width
    assert title.texture_size[0] <= title.width + 1 and title.texture_size[1] <= title.height + 1


def test_english_mode_shows_english_content(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("English")
    home = ui.texts()
    assert "Type a word" in home and not any("pinyin" in t.lower() for t in home)

    ui.tap("Service guides")  # one guide is "1 guide", never "1 guides"
    texts = ui.texts()
    assert "1 guide" in texts and "1 guides" not in texts and "6 guides" in texts

    ui.tap("Legal aid")
    guide = next(g for g in SEED_CONTENT.guides if g.code == "FLYZ-001")
    ui.tap(guide.title_en)
    assert ui.app.nav.current == "guide_detail"
    _title_whole(ui)  # "Legal aid for criminal suspects and defendants", not "Legal ai…ndants"
    shown = "\n".join(ui.texts(root=ui.screen.ids.column))
    for applicant in guide.applicants_en:
        assert applicant in shown
    for material in guide.materials:
        assert material.name_en in shown and material.name not in shown
        assert not material.notes or material.notes_en in shown
    assert guide.steps[0].title_en in shown and guide.fees_en in shown
    assert "Legal aid (法律援助)" in shown  # where to go: the window's sign in brackets
    assert "Legal Aid Law of the PRC, Articles 24, 25, 38, 39, 41 and 43" in shown
    assert "Read Legal Aid Law Article 43" in shown  # the cited article, by its English name
    assert _chinese(shown.splitlines()) == []

    ui.app.nav.home()
    ui.frames(3)
    ui.tap("Questions")
    entry = next(q for q in SEED_CONTENT.faq if q.id == "FAQ-001")
    assert entry.question_en in ui.texts()
    ui.tap(entry.question_en)
    assert entry.answer_en in ui.texts()
    assert "Keywords: legal aid; free lawyer; who can apply" in ui.texts()
    assert _chinese(ui.texts()) == []

    ui.app.nav.home()
    ui.frames(3)
    ui.tap("Service points")
    from kiosk.widgets import Chip

    chips = [w.text for w in ui.widgets() if isinstance(w, Chip)]
    assert "Chengdong District" in chips and "Baisha County" in chips
    assert _chinese(chips) == []
    ui.tap(ui.find("Baisha County", kind=Chip))
    rows = ui.screen.ids.rows.data
    assert rows and all(row["subtitle"].endswith("Baisha County") for row in rows)
    assert _chinese([r["title"] for r in rows] + [r["subtitle"] for r in rows]) == []
    point = next(p for p in SEED_CONTENT.points if p.id == "P053")  # a law firm
    ui.tap(point.name_en, root=ui.screen.ids.rows)
    texts = ui.texts()
    assert point.address_en in texts and point.hours_en in texts
    assert "; ".join(point.services_en) in texts and _chinese(texts) == []

    ui.app.nav.home()
    ui.frames(3)
    ui.tap("Search")
    assert ui.screen.status == "Type an English word, e.g. divorce or wages"
    for letter in "DIVORCE":
        ui.tap(letter)
    results = ui.screen.ids.results.data
    assert results[0]["title"] == "Can a divorce be handled through people's mediation?"
    count = len(results)
    assert ui.screen.status == (f"{count} result" if count == 1 else f"{count} results")

    feedback = ui.app.services.feedback  # the server's reasons for level 2, with English
    feedback.reasons = {2: ["等候时间过长", "服务态度差", "多次跑腿"]}
    feedback.english = {"等候时间过长": "Waited too long", "服务态度差": "Unfriendly staff"}
    ui.app.nav.go("rate_reasons", level=2)
    ui.frames(3)
    texts = ui.texts()
    assert "Waited too long" in texts and "Unfriendly staff" in texts
    assert "多次跑腿" in texts  # no English from the server: the Chinese, not nothing
    ui.tap("Waited too long")
    assert ui.screen.chosen() == ["等候时间过长"]  # the server's own wording is sent
