"""A private PostgreSQL cluster on loopback, started from Debian's binaries, for tests and
benchmarks; it can be stopped and started again (the soak restarts it under load).

Set HALLKIOSK_TEST_POSTGRES to a URL to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from server.background import free_port


def _binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run 'make test' (it installs "
                           "postgresql) or set HALLKIOSK_TEST_POSTGRES")
    return os.path.dirname(found[-1])


class PostgresCluster:
    """A fresh cluster in a temporary folder with one database, hallkiosk, owned by hallkiosk."""

    def __init__(self) -> None:
        self.bin_dir = _binaries()
        self.root = tempfile.mkdtemp(prefix="hallkiosk-pg-")
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres")
        self.data, self.port = os.path.join(self.root, "data"), free_port()
        self.log = os.path.join(self.root, "log")
        self.url = f"postgresql+psycopg://hallkiosk@127.0.0.1:{self.port}/hallkiosk"

    def _run(self, *args: str, check: bool = True) -> None:
        run: dict[str, Any] = {"check": check, "stdout": subprocess.DEVNULL,
                               "stderr": subprocess.PIPE}
        subprocess.run([*self.as_user, *args], **run)

    def create(self) -> str:
        """initdb, start and create the database; return its SQLAlchemy URL."""
        self._run(f"{self.bin_dir}/initdb", "-D", self.data, "-U", "hallkiosk", "--auth=trust",
                  "-E", "UTF8", "--locale=C")
        self.start()
        self._run(f"{self.bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "hallkiosk", "hallkiosk")
        return self.url

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-w", "-l", self.log, "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200", "start")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        """Stop the server: fast (sessions cut, clean) or immediate (like a crash)."""
        self._run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop",
                  check=check)

    def postmaster_pid(self) -> int | None:
        """The server's process id while it runs."""
        try:
            with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as pid:
                return int(pid.readline().strip())
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        self.stop("fast", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL cluster on loopback; remove it after."""
    if os.environ.get("HALLKIOSK_TEST_POSTGRES"):
        yield os.environ["HALLKIOSK_TEST_POSTGRES"]
        return
    cluster = PostgresCluster()
    try:
        yield cluster.create()
    finally:
        cluster.remove()
