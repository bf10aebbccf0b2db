"""Run the server in a thread of this process (the demo; tests on loopback)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


def free_port(preferred: int = 0) -> int:
    """preferred when it is free on loopback, else any free port."""
    for candidate in (preferred, 0) if preferred else (0,):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free port on loopback")


@contextmanager
def serve_in_thread(app: FastAPI, port: int = 0) -> Iterator[str]:
    """Serve app on loopback in a daemon thread; yield its base URL; stop on exit."""
    port = free_port(port)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        broker = getattr(app.state, "broker", None)
        if broker is not None:  # end the live streams, or shutting down waits for them
            broker.close()
        server.should_exit = True
        thread.join(10)
