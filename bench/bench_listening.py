"""Speech input: what pocketsphinx's bundled English model hears, and how fast.

espeak-ng speaks each English question into a WAV file (two voices: en-us+f2, the one
the tests use, and en-us+m3); the file goes through the terminal's own pipeline
(WavSource -> webrtcvad -> pocketsphinx, a SpeechListener as the ask screen uses it)
and the recognised text through the answer engine on the seed content. Per question it
prints the text heard, the word error rate, the time from the end of the speech to the
final text (``SpeechListener.last_latency``), and whether the answer to the heard text is
the answer to the spoken text. Then the decoder's load time and resident memory.

Run: ``.venv/bin/python bench/bench_listening.py`` (about a minute).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
from common import machine_note, percentile

import content
from content.library import Library
from content.loader import load_source
from content.search import SearchIndex
from devices.audio_input import WavSource
from devices.listening import Heard, ListenError
from devices.recognizers import PocketsphinxEngine
from devices.speech_input import SpeechListener

QUESTIONS = [
    "how do I apply for legal aid",
    "where can I get legal aid",
    "can I get a free lawyer",
    "my boss did not pay my wages",
    "how do I make a complaint",
    "I want to take a ticket",
    "where is the notary office",
    "how much does a lawyer cost",
    "I was injured at work",
    "how do I apply for mediation",
    "what documents do I need",
    "I want to call the hotline",
]
VOICES = ("en-us+f2", "en-us+m3")


def word_errors(spoken: str, heard: str) -> tuple[int, int]:
    """Word-level edit distance between the spoken and the heard text, and the spoken words."""
    reference, hypothesis = spoken.lower().split(), heard.lower().split()
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, 1):
        current = [i]
        for j, other in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (word != other)))
        previous = current
    return previous[-1], len(reference)


def hear(listener: SpeechListener) -> Heard | ListenError:
    """One press of the talk button on the listener's WAV file."""
    results: list[Heard | ListenError] = []
    done = threading.Event()

    def report(result: Heard | ListenError) -> None:
        results.append(result)
        done.set()

    listener.start(lambda _: None, report, report)
    done.wait(60)
    return results[0]


def top(library: Library, question: str) -> str:
    """The top answer's id, or 'fallback'."""
    result = library.ask(question)
    return "fallback" if result.fallback else result.answers[0].id


def main() -> None:
    print(machine_note())
    process = psutil.Process()
    before = process.memory_info().rss
    engine = PocketsphinxEngine()
    started = time.perf_counter()
    engine.open().abort()
    print(f"pocketsphinx decoder load {time.perf_counter() - started:.2f} s, "
          f"RSS +{(process.memory_info().rss - before) / 1e6:.0f} MB")
    library = Library("seed", load_source(Path(content.__file__).parent / "seed"),
                      SearchIndex([]))
    latencies: list[float] = []
    errors = words = exact = same_answer = answerable = kept = 0
    with tempfile.TemporaryDirectory() as folder:
        for voice in VOICES:
            print(f"\nvoice {voice}")
            print(f"{'spoken':32} {'heard':36} {'WER':>5} {'after':>6}  answer (spoken -> heard)")
            for question in QUESTIONS:
                wav = Path(folder) / "q.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav),
                                question], check=True)
                listener = SpeechListener(engine, lambda path=wav: WavSource(path))
                result = hear(listener)
                heard = result.text if isinstance(result, Heard) else f"<{result.zh}>"
                wrong, count = word_errors(question, heard if isinstance(result, Heard) else "")
                errors, words = errors + wrong, words + count
                exact += wrong == 0
                latencies.append(listener.last_latency)
                expected = top(library, question)
                got = top(library, heard) if isinstance(result, Heard) else "not heard"
                same_answer += expected == got
                answerable += expected != "fallback"
                kept += expected != "fallback" and expected == got
                print(f"{question:32} {heard[:36]:36} {wrong / count:5.0%} "
                      f"{listener.last_latency:5.2f}s  {expected} -> {got}")
    total = len(QUESTIONS) * len(VOICES)
    print(f"\n{total} questions: word error rate {errors / words:.1%}, exact {exact}/{total}, "
          f"same answer as the spoken text {same_answer}/{total}; of the {answerable} the "
          f"content answers when typed, {kept} get the same answer when spoken")
    print(f"end of speech to final text: p50 {percentile(latencies, 0.5):.2f} s, "
          f"p95 {percentile(latencies, 0.95):.2f} s")


if __name__ == "__main__":
    main()
