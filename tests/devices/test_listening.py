"""Speech input on real audio: espeak-ng speaks, the VAD pipeline cuts, pocketsphinx hears, and
the answer engine answers; bad audio, push-to-talk, the microphone and the configuration."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from devices.audio_input import FRAME_BYTES, MicrophoneSource, WavSource, microphone_present
from devices.listening import ENGINE_UNAVAILABLE, NO_MICROPHONE, NOT_HEARD, Heard, NullListener
from devices.recognizers import PocketsphinxEngine
from devices.speech_input import SpeechListener, make_listener
from devices.utterance import Timing, utterance_frames
from hallkiosk_cli import main
from protocol.config import ConfigSchemaError, TerminalConfig, parse_config
from tests.devices.listening_helpers import LEGAL_AID, listen, seed_library, sox_wav, speak

QUESTION = "how do I apply for legal aid"


@pytest.fixture(scope="module")
def engine() -> PocketsphinxEngine:
    """One pocketsphinx engine for the module (its decoder loads in about a second)."""
    return PocketsphinxEngine()


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The English question, spoken by espeak-ng with a second of silence before and after."""
    folder = tmp_path_factory.mktemp("speech")
    spoken = speak(QUESTION, folder / "spoken.wav")
    padded = folder / "question.wav"
    subprocess.run(["sox", str(spoken), str(padded), "pad", "1", "1"], check=True)
    return padded


def wav_listener(engine: PocketsphinxEngine, path: Path, **timing: float) -> SpeechListener:
    """A listener on a WAV file with the given timing."""
    return SpeechListener(engine, lambda: WavSource(path), Timing(**timing))  # type: ignore[arg-type]


def config(**listening: object) -> TerminalConfig:
    """A terminal config with these [listening] settings."""
    return parse_config({"listening": listening})


def test_spoken_question_is_recognised_and_answered(question_wav: Path) -> None:
    listener = make_listener(config(engine="pocketsphinx", wav=str(question_wav)))
    assert isinstance(listener, SpeechListener) and listener.available
    outcome = listen(listener)
    assert outcome.error is None, outcome.error
    assert outcome.heard == Heard(text="how do i apply for legal aid", language="en")
    assert outcome.calls == 1
    assert outcome.threads == {"listener"}  # off the caller's thread
    assert outcome.partials, "no partial text while speaking"
    # Streamed partial text is rougher than the final decode, but it follows the speech.
    assert any("legal" in partial for partial in outcome.partials), outcome.partials
    assert len(set(outcome.partials)) == len(outcome.partials)  # only changes are reported
    answer = seed_library().ask(outcome.heard.text)
    assert not answer.fallback
    assert answer.answers[0].id.startswith(LEGAL_AID), answer.answers
    # What the engine made of a mishearing is not an answer: the check above means something.
    assert seed_library().ask("how do i like or legal any").fallback


def test_listen_command_prints_what_it_heard(question_wav: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["listen", "--engine", "pocketsphinx", "--wav", str(question_wav)]) == 0
    printed = capsys.readouterr()
    assert printed.out == "how do i apply for legal aid\n"
    assert "s after the speech" in printed.err and "  … " in printed.err
    silence = sox_wav(tmp_path / "silence.wav")
    assert main(["listen", "--engine", "pocketsphinx", "--wav", str(silence)]) == 1
    assert "没听清，请再说一遍" in capsys.readouterr().err
    assert main(["listen", "--engine", "vosk"]) == 2  # no model_path
    assert "needs model_path" in capsys.readouterr().err


def test_a_second_question_reuses_the_engine(engine: PocketsphinxEngine,
                                             tmp_path: Path) -> None:
    wav = speak("where can I get legal aid", tmp_path / "where.wav")
    first = listen(wav_listener(engine, wav))
    second = listen(wav_listener(engine, wav))
    assert first.heard is not None and second.heard is not None
    assert first.heard.text == second.heard.text == "where can i get legal aid"
    assert not seed_library().ask(second.heard.text).fallback


@pytest.mark.parametrize("effect", [(), ("whitenoise", "vol", "0.005"),
                                    ("whitenoise", "vol", "0.3"), ("pinknoise", "vol", "0.3"),
                                    ("sine", "50", "vol", "0.3")],
                         ids=["silence", "quiet-noise", "loud-noise", "pink-noise", "hum"])
def test_no_speech_is_not_heard(engine: PocketsphinxEngine, tmp_path: Path,
                                effect: tuple[str, ...]) -> None:
    noise = sox_wav(tmp_path / "noise.wav", *effect, seconds=1.5)
    outcome = listen(wav_listener(engine, noise))
    assert outcome.heard is None and outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == NOT_HEARD
    assert outcome.error.zh == "没听清，请再说一遍"
    assert outcome.calls == 1


def test_silence_times_out(engine: PocketsphinxEngine, tmp_path: Path) -> None:
    wav = sox_wav(tmp_path / "long.wav", seconds=8)
    outcome = listen(wav_listener(engine, wav, no_speech_timeout=2))
    assert outcome.error is not None and outcome.error.zh == NOT_HEARD[0]
    assert "no speech within 2 s" in outcome.error.reason


def test_release_before_speaking_is_not_heard(engine: PocketsphinxEngine) -> None:
    silent = _EndlessSilence()
    listener = SpeechListener(engine, lambda: silent)
    outcome = listen(listener, release_after=0.3)
    assert outcome.error is not None and outcome.error.zh == NOT_HEARD[0]
    assert "released" in outcome.error.reason
    assert silent.closed


def test_cancel_reports_nothing(engine: PocketsphinxEngine, question_wav: Path) -> None:
    reports: list[object] = []
    silent = _EndlessSilence()
    listener = SpeechListener(engine, lambda: silent)
    listener.start(reports.append, reports.append, reports.append)
    listener.cancel()
    listener.stop()
    threading.Event().wait(1.5)
    assert reports == [] and silent.closed


def test_utterance_is_cut_at_the_maximum_length(question_wav: Path) -> None:
    frames = list(utterance_frames(WavSource(question_wav), Timing(max_utterance=1.0),
                                   threading.Event(), threading.Event()))
    assert 1.0 <= len(frames) * 0.03 <= 1.1
    assert all(len(frame) == FRAME_BYTES for frame in frames)
    whole = list(utterance_frames(WavSource(question_wav), Timing(), threading.Event(),
                                  threading.Event()))
    assert 1.8 < len(whole) * 0.03 < 3.5  # the speech and its ending silence, not the padding


def test_wav_source_converts_rate_and_channels(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-b", "16", "-c", "2", str(stereo), "synth",
                    "1", "sine", "440"], check=True)
    source = WavSource(stereo)
    frames = []
    while (frame := source.read(timeout=1)) is not None:
        frames.append(frame)
    assert len(frames) == 34  # 1 s at 16 kHz in 30 ms frames, the last one padded
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(Exception) as raised:
        WavSource(broken)
    assert getattr(raised.value, "zh", "") == NO_MICROPHONE[0]


class _PlayingStream:
    """sounddevice.RawInputStream for a machine without a microphone: PortAudio's callback
    thread delivers a WAV file's frames at the pace of speech, then silence."""

    def __init__(self, wav: Path, **options: object) -> None:
        assert options["samplerate"] == 16000 and options["channels"] == 1
        assert options["dtype"] == "int16" and options["blocksize"] == 480
        self.callback = options["callback"]
        self.source = WavSource(wav, realtime=True)
        self.running = threading.Event()

    def start(self) -> None:
        self.running.set()
        threading.Thread(target=self._play, daemon=True).start()

    def _play(self) -> None:
        while self.running.is_set():
            frame = self.source.read(timeout=1) or bytes(FRAME_BYTES)
            if frame == bytes(FRAME_BYTES):
                threading.Event().wait(0.03)
            self.callback(memoryview(frame), 480, None, None)  # type: ignore[operator]

    def stop(self) -> None:
        self.running.clear()

    def close(self) -> None:
        self.running.clear()


def test_microphone_source_feeds_the_same_pipeline(engine: PocketsphinxEngine,
                                                    question_wav: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice

    streams: list[_PlayingStream] = []

    def stream(**options: object) -> _PlayingStream:
        streams.append(_PlayingStream(question_wav, **options))
        return streams[-1]

    monkeypatch.setattr(sounddevice, "query_devices", lambda *_, **__: {"name": "USB mic"})
    monkeypatch.setattr(sounddevice, "RawInputStream", stream)
    outcome = listen(SpeechListener(engine, MicrophoneSource))
    assert outcome.heard is not None and outcome.heard.text == "how do i apply for legal aid"
    [played] = streams
    assert not played.running.is_set()  # the stream was stopped and closed after the question


def test_unknown_input_device_is_no_microphone(engine: PocketsphinxEngine) -> None:
    # Real PortAudio: a device name that matches no input device (on any machine).
    def source() -> MicrophoneSource:
        return MicrophoneSource("no-such-microphone")

    assert not microphone_present("no-such-microphone")
    listener = SpeechListener(engine, source, has_input=microphone_present("no-such-microphone"))
    assert not listener.available
    outcome = listen(listener)
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == NO_MICROPHONE
    assert "no-such-microphone" in outcome.error.reason
    assert outcome.calls == 1


def test_microphone_that_will_not_open_is_no_microphone(engine: PocketsphinxEngine,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice

    def busy(**_: object) -> None:
        raise sounddevice.PortAudioError(
            "Error opening RawInputStream: Device unavailable [PaErrorCode -9985]")

    monkeypatch.setattr(sounddevice, "query_devices", lambda *_, **__: {"name": "USB mic"})
    monkeypatch.setattr(sounddevice, "RawInputStream", busy)
    outcome = listen(SpeechListener(engine, MicrophoneSource))
    assert outcome.error is not None and outcome.error.zh == NO_MICROPHONE[0]
    assert "Device unavailable" in outcome.error.reason


def test_portaudio_missing_is_no_microphone(engine: PocketsphinxEngine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as without PortAudio
    assert not microphone_present()
    outcome = listen(SpeechListener(engine, MicrophoneSource))
    assert outcome.error is not None and outcome.error.zh == NO_MICROPHONE[0]
    assert "sounddevice" in outcome.error.reason


def test_make_listener_without_a_microphone_is_unavailable() -> None:
    listener = make_listener(config(engine="pocketsphinx", device="no-such-microphone"))
    assert isinstance(listener, SpeechListener) and not listener.available


def test_engine_failure_reports_unavailable(question_wav: Path) -> None:
    class Broken:
        name, language = "broken", "en"

        def open(self) -> object:
            raise RuntimeError("segmentation of the universe")

    outcome = listen(SpeechListener(Broken(), lambda: WavSource(question_wav)))  # type: ignore[arg-type]
    assert outcome.error is not None
    assert (outcome.error.zh, outcome.error.en) == ENGINE_UNAVAILABLE


def test_default_configuration_is_the_null_listener() -> None:
    listener = make_listener(TerminalConfig())
    assert isinstance(listener, NullListener) and not listener.available
    outcome = listen(listener)
    assert outcome.error is not None and outcome.error.zh == NO_MICROPHONE[0]


def test_missing_vosk_model_is_a_logged_null_listener(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="devices.speech_input")
    listener = make_listener(config(engine="vosk", model_path=str(tmp_path / "nowhere")))
    assert isinstance(listener, NullListener)
    assert "Vosk model folder" in caplog.text and "nowhere" in caplog.text


@pytest.mark.parametrize(("listening", "fragment"), [
    ({"engine": "vosk"}, "needs model_path"),
    ({"engine": "funasr"}, "needs server_url"),
    ({"engine": "funasr", "server_url": "http://asr:10095"}, "server_url is not in the expected"),
    ({"engine": "whisper"}, "engine must be one of"),
    ({"max_utterance": 0}, "must be more than 0"),
])
def test_bad_listening_settings_are_named(listening: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigSchemaError) as raised:
        parse_config({"listening": listening})
    assert "[listening]" in str(raised.value) and fragment in str(raised.value)


class _EndlessSilence:
    """A microphone in a quiet room: silent frames at real time until closed."""

    def __init__(self) -> None:
        self.closed = False

    def read(self, timeout: float) -> bytes | None:
        threading.Event().wait(0.03)
        return bytes(FRAME_BYTES)

    def close(self) -> None:
        self.closed = True
