"""Server CPU per issued ticket, with a load generator that is not the bottleneck.

For each database (SQLite, and PostgreSQL in a temporary cluster), ``hallkiosk server``
process(es) on loopback with one hall of 10 services (999 tickets a day each) and
--clients accepted terminals (real Ed25519 keys, made here). Every request is signed
before the clock starts (each its own nonce and idempotency key), so the clients, one
asyncio task each over one keep-alive connection, only write bytes and read replies.

Printed per run: tickets per second, the server processes' CPU seconds per ticket
(psutil: user + system of each server process, divided by the tickets issued), the
per-request p50/p95; then the check: every ticket in the database once, numbers of
each service 1..n with no gap and no duplicate, one ticket per request.

Run: ``.venv/bin/python bench/bench_tickets.py [--only sqlite|postgresql] [--tickets 4000]
[--clients 4] [--processes 1] [--profile] [--keep DIR]``; ``--profile`` runs the server with
cProfile (``devtools/profile_server.py``) and prints its top functions; ``--keep DIR`` keeps
the databases, server logs and profiles (``profileN.loop``: the event loop's thread alone).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import machine_note, served_database, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SERVICES = 10
SETUP = {
    "services": [{"code": f"s{n}", "name": f"业务{n}", "prefix": chr(ord("A") + n),
                  "daily_cap": 999} for n in range(SERVICES)],
    "windows": [{"number": 1, "name": "窗口1", "services": [f"s{n}" for n in range(SERVICES)]}],
}


def prepare(database_url: str, clients: int) -> list:  # type: ignore[type-arg]
    """Migrate; the hall, its services and clients accepted terminals; their keys."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from protocol.signing import device_id, public_key_bytes
    from server.db import Database, upgrade
    from server.fleet.actions import create_hall
    from server.models import Terminal, utcnow
    from server.queue.setup import apply_setup, load_setup

    database = Database(database_url)
    upgrade(database.engine)
    keys = [Ed25519PrivateKey.generate() for _ in range(clients)]
    with database.sessions() as session:
        hall = create_hall(session, "TK-01", "青溪市公共法律服务中心")
        apply_setup(session, hall, load_setup(SETUP))
        for key in keys:
            raw = public_key_bytes(key)
            session.add(Terminal(device_id=device_id(raw), public_key=base64.b64encode(raw)
                                 .decode(), status="accepted", hall_id=hall.id,
                                 profile="dispenser", decided_at=utcnow()))
        session.commit()
    database.engine.dispose()
    return keys


def signed_requests(key: object, count: int, offset: int, host: str) -> list[bytes]:
    """count signed POST /api/v1/queue/tickets requests, ready to send."""
    from protocol.signing import sign_request

    path = "/api/v1/queue/tickets"
    requests = []
    for i in range(count):
        body = json.dumps({"service": f"s{(offset + i) % SERVICES}", "priority": "normal",
                           "idempotency_key": uuid.uuid4().hex}).encode()
        headers = sign_request(key, "POST", path, body)  # type: ignore[arg-type]
        head = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
                f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        requests.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return requests


async def client(host: str, port: int, requests: list[bytes], latencies: list[float],
                 replies: list[dict]) -> None:  # type: ignore[type-arg]
    reader, writer = await asyncio.open_connection(host, port)
    for request in requests:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        replies.append(json.loads(body))
    writer.close()


async def load(urls: list[str], batches: list[list[bytes]]) -> tuple[float, list, list]:  # type: ignore[type-arg]
    latencies: list[float] = []
    replies: list[dict] = []  # type: ignore[type-arg]
    started = time.perf_counter()
    tasks = []
    for index, batch in enumerate(batches):
        host, port = urls[index % len(urls)].removeprefix("http://").split(":")
        tasks.append(client(host, int(port), batch, latencies, replies))
    await asyncio.gather(*tasks)
    return time.perf_counter() - started, latencies, replies


def check(database_url: str, replies: list[dict]) -> str:  # type: ignore[type-arg]
    """Every reply one stored ticket; each service's numbers 1..n, none twice, none missing."""
    from sqlalchemy import select

    from server.db import Database
    from server.queue.models import Ticket

    database = Database(database_url)
    with database.sessions() as session:
        rows = session.execute(select(Ticket.id, Ticket.number, Ticket.service_id, Ticket.seq,
                                      Ticket.day)).all()
    database.engine.dispose()
    problems = []
    if len({r["id"] for r in replies}) != len(replies):
        problems.append("a ticket returned twice")
    if len(rows) != len(replies):
        problems.append(f"{len(rows)} tickets stored for {len(replies)} requests")
    by_service: dict[tuple[int, str], list[int]] = {}
    for row in rows:
        by_service.setdefault((row.service_id, row.day), []).append(row.seq)
    duplicates = sum(len(seqs) - len(set(seqs)) for seqs in by_service.values())
    missing = sum(max(seqs) - len(set(seqs)) for seqs in by_service.values())
    if len({r.number for r in rows}) != len(rows):
        problems.append("a number issued twice")
    return (f"{len(rows)} tickets, {duplicates} duplicate and {missing} missing numbers"
            + (f"; PROBLEMS: {', '.join(problems)}" if problems else ""))


def profiled_server(database_url: str, folder: Path, number: int) -> tuple:  # type: ignore[type-arg]
    """A server process under devtools/profile_server.py; its stats go to folder."""
    import subprocess

    import requests

    from server.background import free_port

    port = free_port()
    env = {**os.environ, "HALLKIOSK_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT),
           "HALLKIOSK_STORAGE_DIR": str(folder / "storage")}
    log = open(folder / f"server{number}.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "devtools.profile_server",
                                str(folder / f"profile{number}"), str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError((folder / f"server{number}.log").read_text())


def _loop_cpu(process: object) -> float:
    """CPU seconds of a server process's main thread (uvicorn's event loop); the rest is
    mostly the worker threads that run the database work."""
    for thread in process.threads():  # type: ignore[attr-defined]
        if thread.id == process.pid:  # type: ignore[attr-defined]
            return float(thread.user_time + thread.system_time)
    return 0.0


def run(kind: str, args: argparse.Namespace) -> None:
    import contextlib

    import psutil

    from devtools.server_process import start_server

    keep = args.keep / kind if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=False)
    with (contextlib.nullcontext(str(keep)) if keep
          else tempfile.TemporaryDirectory(prefix="hallkiosk-bench-tickets-")) as name, \
            served_database(kind, Path(name)) as database_url:
        folder = Path(name)
        keys = prepare(database_url, args.clients)
        servers = [profiled_server(database_url, folder, n) if args.profile
                   else start_server(database_url, folder, f"server{n}")
                   for n in range(args.processes)]
        try:
            urls = [url for _p, url in servers]
            host = urls[0].removeprefix("http://")
            per_client = args.tickets // args.clients
            warm = [signed_requests(key, 10, i, host) for i, key in enumerate(keys)]
            _elapsed, _latencies, warm_replies = asyncio.run(load(urls, warm))  # imports, pools
            batches = [signed_requests(key, per_client, i, host) for i, key in enumerate(keys)]
            processes = [psutil.Process(p.pid) for p, _url in servers]
            before = sum(sum(p.cpu_times()[:2]) for p in processes)
            loop_before = sum(_loop_cpu(p) for p in processes)
            elapsed, latencies, replies = asyncio.run(load(urls, batches))
            cpu = sum(sum(p.cpu_times()[:2]) for p in processes) - before
            loop = sum(_loop_cpu(p) for p in processes) - loop_before
            tickets = len(replies)
            print(f"{kind}, {args.processes} process(es), {args.clients} clients: {tickets} "
                  f"tickets in {elapsed:.1f} s = {tickets / elapsed:.0f} tickets/s; server CPU "
                  f"{cpu * 1000 / tickets:.2f} ms per ticket ({loop * 1000 / tickets:.2f} in the "
                  f"event loop's thread); per request {summary_ms(latencies)}")
            print(f"  check: {check(database_url, warm_replies + replies)}")
        finally:
            for process, _url in servers:
                process.terminate()
                process.wait(30)
        if args.profile:
            import pstats

            for path in sorted(folder.glob("profile?")):
                print(f"  profile {path.name}:")
                stats = pstats.Stats(str(path))
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", type=Path, help="a new folder for the databases, server logs "
                        "and profiles, kept after the run")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(machine_note())
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            run(kind, args)
    print(machine_note())


if __name__ == "__main__":
    main()
