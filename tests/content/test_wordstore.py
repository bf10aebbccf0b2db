"""Word tables read from files (issue #17): jieba's dictionary and the pinyin input's
tables answer exactly as the dicts in memory do, are built once by a child process,
and a damaged or unbuildable file never leaves the visitor without input."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jieba
import pytest
import yaml
from content_sources import SEED_DIR

from content import wordstore
from content.ime import LazyIME, PinyinIME, build_ime, open_ime
from content.loader import load_source

HALL_WORDS = ["劳动报酬", "讨薪", "法律援助"]
TYPED = ["laoban", "laob", "lao", "l", "falvyuanzhu", "flyz", "fly", "xi'an", "xian",
         "taoxin", "laodongbaochou", "zenmeshenqingfalvyuanzhu", "laobanpaole", "zh",
         "qian gongzi", "jiarenbeizhuale", "lihunxieyi", "gongzhengchu", "sfjd", "vvv", "'",
         "nv", "lve", "zhongcaishenqingshu", "hang", "a", "yinhang", "chongqing"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("word-tables")


@pytest.fixture(scope="module")
def in_memory() -> PinyinIME:
    return build_ime(HALL_WORDS)


def texts(ime: PinyinIME, letters: str) -> list[tuple[str, int]]:
    return [(c.text, c.consumed) for c in ime.candidates(letters, 40)]


def test_the_input_read_from_its_file_offers_what_the_one_in_memory_offers(
        tables: Path, in_memory: PinyinIME) -> None:
    on_disk = open_ime(tables, HALL_WORDS)
    assert not isinstance(on_disk.table, dict) and not isinstance(on_disk.initials, dict)
    assert on_disk.syllables == in_memory.syllables
    for letters in TYPED:
        assert texts(on_disk, letters) == texts(in_memory, letters), letters
    assert texts(on_disk, "taoxin")[0][0] == "讨薪"  # the hall's words still rank first
    assert texts(on_disk, "flyz")[0][0] == "法律援助"


def test_jieba_reading_its_file_cuts_every_seed_text_as_jieba_in_memory(tables: Path) -> None:
    content = json.dumps(load_source(SEED_DIR).model_dump(mode="json"), ensure_ascii=False)
    questions = [case["q"] for case in yaml.safe_load(
        (Path(__file__).parent / "ask_eval.yaml").read_text(encoding="utf-8"))]
    samples = [s for s in re.findall(r"[\u4e00-\u9fff，、；：。0-9A-Za-z]{2,}", content)]
    samples = list(dict.fromkeys(questions + samples))
    assert len(samples) > 500
    memory = jieba.Tokenizer()
    memory.initialize()
    disk = jieba.Tokenizer()
    frequencies = wordstore.jieba_freq(tables)
    disk.FREQ, disk.total, disk.initialized = frequencies, frequencies.total, True
    assert disk.total == memory.total
    for text in samples:
        assert list(disk.cut(text, HMM=False)) == list(memory.cut(text, HMM=False)), text
        assert (list(disk.cut_for_search(text, HMM=False))
                == list(memory.cut_for_search(text, HMM=False))), text
    assert "法律援助" in frequencies and frequencies["法律援助"] > 0
    assert frequencies["法律援"] == 0  # a word's beginning, as in jieba's prefix dict
    assert "援助法律" not in frequencies and frequencies.get("援助法律") is None
    with pytest.raises(TypeError):
        frequencies["新词"] = 1


def test_the_files_are_built_once_by_a_child_and_replaced_for_new_words(tmp_path: Path) -> None:
    probe = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from content.ime import open_ime
        ime = open_ime(Path({str(tmp_path)!r}), {HALL_WORDS!r})
        print(ime.candidates("taoxin", 1)[0].text, "pypinyin" in sys.modules,
              "jieba" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    # the process that reads the tables never loaded what they were built from
    assert done.stdout.split() == ["讨薪", "False", "False"]
    [built] = tmp_path.glob("ime-*.sqlite")
    stamp = built.stat().st_mtime_ns
    open_ime(tmp_path, HALL_WORDS)
    assert built.stat().st_mtime_ns == stamp  # opened, not built again
    assert texts(open_ime(tmp_path, [*HALL_WORDS, "诉前调解"]), "suqiantiaojie")[0][0] == "诉前调解"
    assert [p.name for p in tmp_path.glob("ime-*.sqlite")] != [built.name]
    assert len(list(tmp_path.glob("ime-*.sqlite"))) == 1  # the old file is removed
    assert not list(tmp_path.glob("*.tmp"))


def test_a_question_is_cut_without_importing_pkg_resources(tables: Path) -> None:
    """jieba's own import of pkg_resources cost a terminal's first question about 0.45 s
    and 18 MiB; the words cut must be jieba's all the same (its HMM data included)."""
    probe = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from content.answers import segment
        segment.use_store(Path({str(tables)!r}))
        words = segment.tokens("老板拖欠工资三个月了怎么申请法律援助")
        hmm = list(segment._jieba().cut("王小二在村委会调解", HMM=True))
        print(" ".join(words), "|", " ".join(hmm), "|", "pkg_resources" in sys.modules,
              sys.modules.get("pkg_resources", "absent") is None)
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    words, hmm, imported = (part.strip() for part in done.stdout.split("|"))
    memory = jieba.Tokenizer()
    memory.initialize()
    assert hmm.split() == list(memory.cut("王小二在村委会调解", HMM=True))
    assert {"拖欠", "工资", "法律援助"} <= set(words.split())
    assert imported.split() == ["False", "False"]  # not imported, and not left blocked


def test_a_damaged_file_is_built_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = open_ime(tmp_path, ["讨薪"]) and next(tmp_path.glob("ime-*.sqlite"))
    path.write_bytes(path.read_bytes()[:4096])  # cut short, as by a power cut mid-copy
    with caplog.at_level(logging.WARNING, logger="content.wordstore"):
        ime = open_ime(tmp_path, ["讨薪"])
    assert texts(ime, "taoxin")[0][0] == "讨薪"
    assert "building it again" in caplog.text


def test_without_a_usable_folder_the_input_is_built_in_memory(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the tables' folder should be")
    lazy = LazyIME(["讨薪"], blocked / "tables")
    with caplog.at_level(logging.WARNING, logger="content.ime"):
        ime = lazy.get()
    assert isinstance(ime.table, dict) and texts(ime, "taoxin")[0][0] == "讨薪"
    assert "building it in memory" in caplog.text
