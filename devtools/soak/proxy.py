"""A local TCP proxy in front of the server for one terminal, whose network the soak can cut.

While the link is down, open connections are cut and new ones are accepted but never
answered (a black hole, as a pulled cable looks to the terminal: its requests time out);
they are closed when the link comes back.
"""

from __future__ import annotations

import logging
import socket
import threading

log = logging.getLogger(__name__)
CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:port to 127.0.0.1:target_port until drop(), again after restore()."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._held: list[socket.socket] = []
        self._down = False
        self._closed = False
        self.drops = 0
        threading.Thread(target=self._accept, name=f"proxy-{self.port}", daemon=True).start()

    @property
    def down(self) -> bool:
        """Whether the link is cut now."""
        return self._down

    def drop(self) -> None:
        """Cut the link: close every forwarded connection, hold new ones unanswered."""
        with self._lock:
            self._down, self.drops = True, self.drops + 1
            cut, self._open = self._open, set()
        for sock in cut:
            _close(sock)
        log.info("proxy %d -> %d: link down", self.port, self.target_port)

    def restore(self) -> None:
        """Forward again; connections held while down are closed (the terminal retries)."""
        with self._lock:
            self._down = False
            held, self._held = self._held, []
        for sock in held:
            _close(sock)
        log.info("proxy %d -> %d: link up", self.port, self.target_port)

    def close(self) -> None:
        """Stop accepting and close everything."""
        self._closed = True
        self.restore()
        _close(self._listener)
        with self._lock:
            cut, self._open = self._open, set()
        for sock in cut:
            _close(sock)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._down:
                    self._held.append(client)
                    continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:  # the server is down: the terminal sees a refused connection
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True,
                                 name=f"proxy-{self.port}-pump").start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
