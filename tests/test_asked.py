"""What visitors ask most: counted by answer, private numbers masked, kept on disk."""

from __future__ import annotations

import time
from pathlib import Path

from kiosk.asked import FILE, AskedQuestions


def wait_written(path: Path, text: str) -> None:
    deadline = time.monotonic() + 5
    while not (path.exists() and text in path.read_text("utf-8")):
        assert time.monotonic() < deadline, f"{text} never written to {path}"
        time.sleep(0.02)


def test_the_most_asked_answers_with_their_usual_wording(tmp_path: Path) -> None:
    asked = AskedQuestions(tmp_path)
    for question in ("老板欠我工资", "老板欠我工资", "老板不给工资"):
        asked.record(question, "FAQ-005")
    asked.record("离婚怎么办", "RMTJ-001")  # asked once: not yet a suggestion
    for _ in range(2):
        asked.record("邻居吵架", "RMTJ-002")
    assert asked.top(8) == ["老板欠我工资", "邻居吵架"]
    wait_written(tmp_path / FILE, "邻居吵架")
    assert AskedQuestions(tmp_path).top(1) == ["老板欠我工资"]  # kept across restarts


def test_phone_numbers_are_masked_and_long_questions_not_kept(tmp_path: Path) -> None:
    asked = AskedQuestions(tmp_path)
    for _ in range(2):
        asked.record("我电话13812345678老板欠钱", "FAQ-005")
    asked.record("很" * 60, "FAQ-001")
    (top,) = asked.top(8)
    assert "13812345678" not in top and top.startswith("我电话")
    assert "FAQ-001" not in asked.answers


def test_an_unreadable_file_starts_again(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text("{not json", "utf-8")
    assert AskedQuestions(tmp_path).top(8) == []
