"""A FunASR runtime server run by the province, over its WebSocket protocol.

Per utterance: a JSON first message (mode, chunk_size, wav_name, is_speaking true),
then binary 16 kHz 16-bit mono PCM, then ``{"is_speaking": false}``. The server
answers with JSON messages carrying ``mode``, ``text`` and ``is_final``: in 2pass
mode ``2pass-online`` pieces while the visitor speaks and a corrected
``2pass-offline`` sentence after each pause; in online mode only pieces.
This is the only engine that sends speech out of the terminal, and only to the
server the configuration names.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import ExitStack
from typing import Any, Literal

from devices.recognizers import Recognizer, unavailable

log = logging.getLogger(__name__)

FunasrMode = Literal["2pass", "online"]
CHUNK_SIZE = (5, 10, 5)  # 600 ms chunks: the runtime's default for streaming
CHUNK_INTERVAL = 10


class FunasrEngine:
    """Recognition on a FunASR runtime server (``ws://`` or ``wss://`` URL)."""

    name = "funasr"

    def __init__(self, url: str, timeout: float = 3.0, mode: FunasrMode = "2pass",
                 language: str = "zh") -> None:
        self.url = url
        self.timeout = timeout
        self.mode = mode
        self.language = language

    def prepare(self) -> None:
        """Nothing to load: the server is reached per utterance."""

    def open(self) -> Recognizer:
        """Connect and announce an utterance; a server that is down or slow fails within the
        timeout."""
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        connection = ExitStack()  # connect() is a context manager; abort() leaves it
        try:
            socket = connection.enter_context(
                connect(self.url, open_timeout=self.timeout, close_timeout=1))
            socket.send(json.dumps({
                "mode": self.mode, "chunk_size": list(CHUNK_SIZE),
                "chunk_interval": CHUNK_INTERVAL, "wav_name": f"hallkiosk-{uuid.uuid4().hex[:8]}",
                "is_speaking": True, "itn": True}))
        except (OSError, TimeoutError, WebSocketException) as error:
            connection.close()
            raise unavailable(f"FunASR server {self.url}: {error}") from error
        return _FunasrUtterance(socket, connection, self.timeout, self.url)


class _FunasrUtterance:
    def __init__(self, socket: Any, connection: ExitStack, timeout: float, url: str) -> None:
        self._socket = socket
        self._connection = connection
        self._timeout = timeout
        self._url = url
        self._sentences = ""  # corrected (offline) text of the finished sentences
        self._pieces = ""  # online pieces of the sentence under way
        self._ended = False  # is_speaking false sent

    def _take(self, raw: str | bytes) -> bool:
        """Fold one server message into the text; whether it is the final one."""
        message = json.loads(raw)
        if message.get("error"):
            raise unavailable(f"FunASR server {self._url}: {message['error']}")
        text = str(message.get("text", ""))
        mode = str(message.get("mode", ""))
        if mode.endswith("offline"):
            self._sentences += text
            self._pieces = ""
        else:
            self._pieces += text
        return bool(message.get("is_final")) or mode == "2pass-offline" and self._ended

    @property
    def text(self) -> str:
        return (self._sentences + self._pieces).strip()

    def feed(self, frame: bytes) -> str:
        from websockets.exceptions import WebSocketException

        try:
            self._socket.send(frame)
            while True:  # drain what has arrived without waiting
                self._take(self._socket.recv(timeout=0))
        except TimeoutError:
            return self.text
        except (OSError, WebSocketException, ValueError) as error:
            self.abort()
            raise unavailable(f"FunASR server {self._url}: {error}") from error

    def finish(self) -> str:
        from websockets.exceptions import WebSocketException

        self._ended = True
        deadline = time.monotonic() + self._timeout
        try:
            self._socket.send(json.dumps({"is_speaking": False}))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if self._take(self._socket.recv(timeout=remaining)):
                    return self.text
        except TimeoutError as error:
            raise unavailable(f"FunASR server {self._url}: no final result within "
                              f"{self._timeout:.1f} s") from error
        except (OSError, WebSocketException, ValueError) as error:
            raise unavailable(f"FunASR server {self._url}: {error}") from error
        finally:
            self.abort()

    def abort(self) -> None:
        self._connection.close()
