"""The Vosk engine at its library boundary and the FunASR engine at its protocol boundary.

No Mandarin model can be installed here: Vosk's KaldiRecognizer is replaced by one that
gives back Vosk's JSON answers, and the FunASR runtime by a real WebSocket server on
loopback that checks what the terminal sends and answers with FunASR's messages.
The audio is real: espeak-ng's Mandarin voice through the same VAD pipeline.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from devices.audio_input import FRAME_BYTES, SAMPLE_RATE, WavSource
from devices.funasr import CHUNK_SIZE, FunasrEngine
from devices.listening import ENGINE_UNAVAILABLE, NOT_HEARD, Heard
from devices.recognizers import VoskEngine
from devices.speech_input import SpeechListener, make_listener
from protocol.config import parse_config
from tests.devices.listening_helpers import listen, seed_library, speak

QUESTION_ZH = "怎么申请法律援助"
RIGHT = ("FAQ-001", "FLYZ-", "flow:legal-aid-check", "intent:self-check")


@pytest.fixture(scope="module")
def mandarin_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question in espeak-ng's Mandarin voice."""
    return speak(QUESTION_ZH, tmp_path_factory.mktemp("zh") / "question.wav", voice="cmn")


# --- Vosk ------------------------------------------------------------------------------------

# What Vosk's Mandarin small model answers, one JSON string per call: words separated by
# spaces, a partial per frame, a closed segment when Kaldi finds a pause.
VOSK_PARTIALS = ['{\n  "partial" : ""\n}', '{\n  "partial" : "怎么"\n}',
                 '{\n  "partial" : "怎么 申请"\n}']
VOSK_SEGMENT = '{\n  "text" : "怎么 申请"\n}'
VOSK_FINAL = '{\n  "text" : "法律 援助"\n}'


@dataclass
class FakeKaldi:
    """vosk.KaldiRecognizer: takes PCM, answers with recorded JSON."""

    model: Any
    rate: float
    frames: list[bytes] = field(default_factory=list)
    reset: bool = False

    def AcceptWaveform(self, data: bytes) -> bool:  # noqa: N802  # Vosk's names
        self.frames.append(data)
        return len(self.frames) == 40  # a pause after 1.2 s closes the first segment

    def PartialResult(self) -> str:  # noqa: N802
        if len(self.frames) > 40:
            return '{\n  "partial" : "法律"\n}'
        return VOSK_PARTIALS[min(len(self.frames) // 10, 2)]

    def Result(self) -> str:  # noqa: N802
        return VOSK_SEGMENT

    def FinalResult(self) -> str:  # noqa: N802
        return VOSK_FINAL

    def Reset(self) -> None:  # noqa: N802
        self.reset = True


@pytest.fixture
def fake_vosk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A `vosk` module whose Model checks the folder and whose recognisers are FakeKaldi."""
    made: list[FakeKaldi] = []

    def model(path: str) -> SimpleNamespace:
        if not (Path(path) / "am").is_dir():
            raise Exception("Failed to create a model")  # what vosk raises
        return SimpleNamespace(path=path)

    def recognizer(model: Any, rate: float) -> FakeKaldi:
        made.append(FakeKaldi(model, rate))
        return made[-1]

    module = SimpleNamespace(Model=model, KaldiRecognizer=recognizer, SetLogLevel=lambda _: None,
                             made=made)
    monkeypatch.setitem(sys.modules, "vosk", module)
    return module


def vosk_model(tmp_path: Path) -> Path:
    """An (empty) unpacked model folder as the province installs it."""
    folder = tmp_path / "vosk-model-small-cn"
    for part in ("am", "conf", "graph", "ivector"):
        (folder / part).mkdir(parents=True)
    return folder


def test_vosk_hears_mandarin_and_the_engine_answers(fake_vosk: SimpleNamespace, tmp_path: Path,
                                                   mandarin_wav: Path) -> None:
    settings = {"engine": "vosk", "model_path": str(vosk_model(tmp_path)),
                "wav": str(mandarin_wav)}
    listener = make_listener(parse_config({"listening": settings}))
    assert isinstance(listener, SpeechListener)
    outcome = listen(listener)
    assert outcome.heard == Heard(text="怎么申请法律援助", language="zh")
    assert outcome.partials[:2] == ["怎么", "怎么申请"]  # spaces between words dropped
    assert "怎么申请法律" in outcome.partials  # the closed segment stays ahead of the partial
    [kaldi] = fake_vosk.made
    assert kaldi.rate == SAMPLE_RATE and kaldi.frames
    assert all(len(frame) == FRAME_BYTES for frame in kaldi.frames)
    answer = seed_library().ask(outcome.heard.text)
    assert not answer.fallback and answer.answers[0].id.startswith(RIGHT), answer.answers


def test_vosk_model_that_does_not_load_is_unavailable(fake_vosk: SimpleNamespace,
                                                      tmp_path: Path, mandarin_wav: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    listener = SpeechListener(VoskEngine(folder), lambda: WavSource(mandarin_wav))
    outcome = listen(listener)
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == ENGINE_UNAVAILABLE
    assert "Failed to create a model" in outcome.error.reason


def test_vosk_not_installed_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           mandarin_wav: Path) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)
    outcome = listen(SpeechListener(VoskEngine(vosk_model(tmp_path)),
                                    lambda: WavSource(mandarin_wav)))
    assert outcome.error is not None and "pip install vosk" in outcome.error.reason


# --- FunASR ----------------------------------------------------------------------------------

def funasr_replies(wav_name: str) -> dict[str, list[dict[str, Any]]]:
    """FunASR runtime messages: 2pass-online pieces while audio comes, the corrected
    2pass-offline sentence at the end."""
    online = [{"mode": "2pass-online", "text": piece, "wav_name": wav_name, "is_final": False}
              for piece in ("怎么", "申请", "法律")]
    final = [{"mode": "2pass-online", "text": "援助", "wav_name": wav_name, "is_final": False},
             {"mode": "2pass-offline", "text": "怎么申请法律援助？", "wav_name": wav_name,
              "is_final": True, "timestamp": "[[430,670],[670,810]]"}]
    return {"online": online, "final": final}


@dataclass
class FunasrServer:
    """A FunASR runtime stand-in on loopback: records what it gets, replays FunASR replies."""

    url: str
    first: list[dict[str, Any]] = field(default_factory=list)
    audio: list[int] = field(default_factory=list)  # bytes per binary message
    last: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def funasr_server() -> Iterator[Callable[[str], FunasrServer]]:
    """Start FunASR stand-ins: `answer` replies as the runtime does, `slow` never gives the
    final result, `drop` hangs up after ten frames of audio."""
    servers: list[Server] = []

    def start(behaviour: str) -> FunasrServer:
        record = FunasrServer(url="")

        def handler(connection: ServerConnection) -> None:
            record.first.append(json.loads(connection.recv()))
            replies = funasr_replies(record.first[0]["wav_name"])
            for message in connection:
                if isinstance(message, bytes):
                    record.audio.append(len(message))
                    if behaviour == "drop" and len(record.audio) == 10:
                        connection.close()  # the server goes away mid-question
                        return
                    if len(record.audio) % 15 == 0 and replies["online"]:
                        connection.send(json.dumps(replies["online"].pop(0), ensure_ascii=False))
                    continue
                record.last.append(json.loads(message))
                if behaviour == "answer":
                    for reply in replies["final"]:
                        connection.send(json.dumps(reply, ensure_ascii=False))

        server = serve(handler, "127.0.0.1", 0)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        record.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
        return record

    yield start
    for server in servers:
        server.shutdown()


def funasr_listener(url: str, wav: Path, timeout: float = 3.0,
                    realtime: bool = True) -> SpeechListener:
    """A listener on the FunASR server at url, fed the WAV file (at the pace of speech)."""
    return SpeechListener(FunasrEngine(url, timeout), lambda: WavSource(wav, realtime))


def test_funasr_protocol_and_answer(funasr_server: Callable[[str], FunasrServer],
                                    mandarin_wav: Path) -> None:
    server = funasr_server("answer")
    listener = make_listener(parse_config({"listening": {
        "engine": "funasr", "server_url": server.url, "wav": str(mandarin_wav)}}))
    outcome = listen(listener)
    assert outcome.error is None, outcome.error
    assert outcome.heard == Heard(text="怎么申请法律援助？", language="zh")
    # The first message announces the utterance, then 16 kHz PCM, then is_speaking false.
    [first] = server.first
    assert first["mode"] == "2pass" and first["chunk_size"] == list(CHUNK_SIZE)
    assert first["is_speaking"] is True and first["wav_name"].startswith("hallkiosk-")
    assert server.audio and all(size == FRAME_BYTES for size in server.audio)
    assert server.last == [{"is_speaking": False}]
    # Partial text grows with the 2pass-online pieces while the visitor speaks.
    assert outcome.partials and outcome.partials[0] == "怎么"
    assert all("怎么申请法律援助".startswith(partial) for partial in outcome.partials)
    answer = seed_library().ask(outcome.heard.text)
    assert not answer.fallback and answer.answers[0].id.startswith(RIGHT), answer.answers


def test_funasr_server_down_fails_fast(mandarin_wav: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    outcome = listen(funasr_listener(f"ws://127.0.0.1:{port}", mandarin_wav))
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == ENGINE_UNAVAILABLE
    assert outcome.seconds < 2.0  # well inside the 3 s engine timeout: refused is refused


def test_funasr_server_that_never_answers_the_handshake(mandarin_wav: Path) -> None:
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        url = f"ws://127.0.0.1:{mute.getsockname()[1]}"
        outcome = listen(funasr_listener(url, mandarin_wav, timeout=0.5))
    assert outcome.error is not None and outcome.error.zh == ENGINE_UNAVAILABLE[0]
    assert "timed out" in outcome.error.reason
    assert outcome.seconds < 2.5


def test_funasr_slow_server_gives_up_after_the_timeout(
        funasr_server: Callable[[str], FunasrServer], mandarin_wav: Path) -> None:
    server = funasr_server("slow")
    started = time.monotonic()
    outcome = listen(funasr_listener(server.url, mandarin_wav, timeout=0.5, realtime=False))
    assert outcome.error is not None and outcome.error.zh == ENGINE_UNAVAILABLE[0]
    assert "no final result within 0.5 s" in outcome.error.reason
    assert server.last == [{"is_speaking": False}]
    assert 0.5 < time.monotonic() - started < 3.0


def test_funasr_server_hanging_up_mid_question(funasr_server: Callable[[str], FunasrServer],
                                              mandarin_wav: Path) -> None:
    server = funasr_server("drop")
    outcome = listen(funasr_listener(server.url, mandarin_wav, realtime=False))
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == ENGINE_UNAVAILABLE
    assert outcome.calls == 1 and len(server.audio) == 10
    assert outcome.seconds < 3


def test_funasr_empty_result_is_not_heard(funasr_server: Callable[[str], FunasrServer],
                                          mandarin_wav: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "funasr_replies", lambda name: {
        "online": [], "final": [{"mode": "2pass-offline", "text": "", "wav_name": name,
                                 "is_final": True}]})
    server = funasr_server("answer")
    outcome = listen(funasr_listener(server.url, mandarin_wav))
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == NOT_HEARD
