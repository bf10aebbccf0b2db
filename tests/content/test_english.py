"""English content: every visitor text of the seed has English, gaps and mismatched lists are
reported at their line, and English mode searches English words."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from content_sources import PROJECT_ROOT, SEED_DIR

from content.english import untranslated
from content.errors import ContentInvalid
from content.library import Library
from content.loader import load_source
from content.search import SearchIndex, index_rows


@pytest.fixture(scope="module")
def seed():
    return load_source(SEED_DIR, require_english=True)


def test_every_visitor_text_of_the_seed_has_english(seed):
    """The completeness check: materials, who may apply, steps, FAQ, districts, addresses,
    flow questions and results, online services ... all have English."""
    assert untranslated(seed) == []
    guide = next(g for g in seed.guides if g.code == "FLYZ-001")
    assert len(guide.applicants_en) == len(guide.applicants)
    assert all(m.name_en for m in guide.materials)
    assert all(s.title_en for s in guide.steps)
    assert guide.legal_basis_en[0].startswith("Legal Aid Law of the PRC, Articles 24, 25")
    assert all(q.question_en and q.answer_en for q in seed.faq)
    assert all(p.name_en and p.district_en and p.address_en and p.services_en
               for p in seed.points)
    assert len({p.district_en for p in seed.points}) == len({p.district for p in seed.points})


@pytest.fixture
def seed_copy(tmp_path):
    return shutil.copytree(SEED_DIR, tmp_path / "seed")


def test_a_missing_translation_is_reported_at_its_line(seed_copy):
    faq = seed_copy / "faq.yaml"
    lines = faq.read_text("utf-8").splitlines()
    answer = next(i for i, line in enumerate(lines) if line.startswith("  answer_en:"))
    del lines[answer]
    faq.write_text("\n".join(lines) + "\n", "utf-8")
    guide = seed_copy / "guides" / "GZ-004.yaml"
    text = guide.read_text("utf-8")
    text = text.replace("    name_en: Resident ID card of the person giving the power\n", "")
    guide.write_text(text, "utf-8")
    chinese = text.splitlines().index("  - name: 委托人居民身份证") + 1  # where the editor adds it
    load_source(seed_copy)  # gaps are allowed: Chinese is the fallback
    with pytest.raises(ContentInvalid) as raised:
        load_source(seed_copy, require_english=True)
    report = raised.value.report().splitlines()
    assert report == [
        f"faq.yaml:{answer}: item FAQ-001: field answer_en: no English for this text",
        f"guides/GZ-004.yaml:{chinese}: item GZ-004: field materials.1.name_en: "
        "no English for this text",
    ]
    result = subprocess.run([sys.executable, "-m", "hallkiosk_cli", "content", "validate",
                             str(seed_copy), "--english"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 1
    assert f"guides/GZ-004.yaml:{chinese}: item GZ-004: field materials.1.name_en" in \
        result.stderr


def test_an_english_list_must_pair_with_the_chinese(seed_copy):
    guide = seed_copy / "guides" / "FLZX-001.yaml"
    text = guide.read_text("utf-8")
    guide.write_text(text.replace("  - Companies and social organisations\n", ""), "utf-8")
    with pytest.raises(ContentInvalid) as raised:
        load_source(seed_copy)  # wrong pairing is an error even without --english
    assert [str(e) for e in raised.value.errors] == [
        "guides/FLZX-001.yaml:10: item FLZX-001: field applicants_en: 1 English item(s) for "
        "2 Chinese: give one for each, in order"]


def test_points_sheet_without_english_columns_still_loads(tmp_path):
    from content_sources import write_good_source

    source = write_good_source(tmp_path / "src")
    content = load_source(source)
    assert content.points and all(p.name_en is None for p in content.points)
    assert untranslated(content)  # the check names what a province has not translated


@pytest.fixture(scope="module")
def index(seed):
    return SearchIndex(index_rows(seed))


def _keys(hits):
    return [h.key for h in hits]


def test_english_mode_searches_english_words(index):
    hits = index.search("divorce", language="en")
    assert hits and hits[0].key == "FAQ-015"  # the question says "divorce"
    # A word of the English answer only (its title says "legalisation"): English mode finds
    # it, the pinyin mode (which matches English titles only) does not.
    assert "FAQ-024" in _keys(index.search("apostille", language="en"))
    assert "FAQ-024" not in _keys(index.search("apostille"))
    assert "FLYZ-004" in _keys(index.search("unpaid wages", language="en"))[:3]
    assert _keys(index.search("wage", language="en")) == _keys(
        index.search("wages", language="en"))
    will = index.search("will", language="en")  # found by a word of the English text
    assert "GZ-006" in _keys(will)[:3] and "FAQ-022" in _keys(will)[:5]
    notary = index.search("notary office baisha", language="en")
    assert notary[0].key == "P065"  # Baisha County Notary Office, by its English name
    assert notary[0].subtitle_en.startswith("30 Jianshe Road")
    assert index.search("how do i get legal aid", language="en")[0].kind in ("category", "guide",
                                                                              "faq", "flow")
    assert index.search("xyzzy", language="en") == []


def test_english_mode_does_not_read_pinyin_initials(index):
    assert "lawyer" in _keys(index.search("lsfw"))  # 律师服务 by its pinyin initials
    assert index.search("lsfw", language="en") == []  # no English word starts so


def test_library_districts_in_english(seed, index):
    library = Library("test", seed, index)
    chinese = library.districts()
    english = library.districts("en")
    assert [key for key, _name in english] == [key for key, _name in chinese]
    assert dict(english)["城东区"] == "Chengdong District"
    assert dict(chinese)["城东区"] == "城东区"


def test_the_ask_engine_answers_english_questions_from_english_content(seed):
    from content.answers import build_engine

    engine = build_engine(seed)

    def first(question: str) -> str:
        answers = engine.ask(question).answers
        return answers[0].id if answers else "fallback"

    assert first("My boss has not paid my wages") == "FAQ-005"
    assert first("How do I get a divorce") == "FAQ-015"
    assert first("Where do I apply for legal aid") == "FAQ-008"
