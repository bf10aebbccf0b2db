"""What visitors ask most on this terminal, for the ask screen's suggested questions.

Only questions that found a confident answer are counted, by the answer they found,
keeping the most frequent wording of each; phone and ID numbers are masked before
anything is kept. The tally is a small JSON file in the data folder, written on a
worker thread (never on the UI thread).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from pathlib import Path

from content.answers.text import mask_private

log = logging.getLogger(__name__)
FILE = "asked.json"
MAX_QUESTION = 40  # characters: longer wordings are not suggested
MIN_COUNT = 2  # asked at least this often before it is suggested


class AskedQuestions:
    """Counts of answered questions by answer id, and each answer's usual wording."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / FILE
        self._lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.wordings: dict[str, Counter[str]] = {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
            for answer, wordings in data.items():
                self.wordings[answer] = Counter({str(k): int(v) for k, v in wordings.items()})
                self.answers[answer] = sum(self.wordings[answer].values())
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as error:
            log.warning("asked questions in %s unreadable, starting again: %s", self.path, error)

    def record(self, question: str, answer_id: str) -> None:
        """Count a question that found answer_id (the file is written in the background)."""
        wording = mask_private(question).strip()
        if not wording or len(wording) > MAX_QUESTION:
            return
        with self._lock:
            self.answers[answer_id] += 1
            self.wordings.setdefault(answer_id, Counter())[wording] += 1
            data = {a: dict(w) for a, w in self.wordings.items()}
        threading.Thread(target=self._write, args=(data,), name="asked", daemon=True).start()

    def _write(self, data: dict[str, dict[str, int]]) -> None:
        with self._lock:
            try:
                partial = self.path.with_suffix(".part")
                partial.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
                partial.replace(self.path)
            except OSError as error:
                log.warning("asked questions not saved: %s", error)

    def top(self, count: int) -> list[str]:
        """The usual wording of the most asked answers (each asked MIN_COUNT times or more)."""
        with self._lock:
            return [self.wordings[answer].most_common(1)[0][0]
                    for answer, times in self.answers.most_common(count) if times >= MIN_COUNT]
