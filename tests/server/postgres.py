"""A private PostgreSQL server for tests, started from Debian's binaries when none is given.

Set HALLKIOSK_TEST_POSTGRES to a URL to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def _binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run 'make test' (it installs "
                           "postgresql) or set HALLKIOSK_TEST_POSTGRES")
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL cluster on loopback; remove it after."""
    if os.environ.get("HALLKIOSK_TEST_POSTGRES"):
        yield os.environ["HALLKIOSK_TEST_POSTGRES"]
        return
    bin_dir = _binaries()
    root = tempfile.mkdtemp(prefix="hallkiosk-pg-")
    # PostgreSQL refuses to run as root: run it as the postgres user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run([*as_user, f"{bin_dir}/initdb", "-D", data, "-U", "hallkiosk",
                    "--auth=trust", "-E", "UTF8", "--locale=C"], **run)  # type: ignore[call-overload]
    subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l",
                    os.path.join(root, "log"), "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c max_connections=200", "start"], **run)  # type: ignore[call-overload]
    try:
        subprocess.run([*as_user, f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port),
                        "-U", "hallkiosk", "hallkiosk"], **run)  # type: ignore[call-overload]
        yield f"postgresql+psycopg://hallkiosk@127.0.0.1:{port}/hallkiosk"
    finally:
        subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
