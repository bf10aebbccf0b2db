"""Live event streams at province scale: one server process, 10,000 streams over 1,000 halls.

A ``hallkiosk server`` process on loopback (SQLite by default, ``--postgresql`` for a
temporary PostgreSQL cluster) with --halls halls, each with an accepted calling display
(its own Ed25519 key); one asyncio client in this process opens --streams signed event
streams spread evenly over the halls (plain sockets, no HTTP library). Then:

1. calls: --calls times, in a random staffed hall, a ticket is taken by the hall's display
   (signed) and its staff member presses 叫号 (session, CSRF); from sending 叫号 to each of
   that hall's streams receiving the ``called`` event, p50/p95/max; every call must reach
   exactly that hall's streams;
2. a broadcast (``feed.broadcast``, an event in every hall's feed) written by this process,
   as another server process would: the time until every stream has it (on SQLite the
   server sees another process's commit at its next poll, within 5 s; on PostgreSQL by
   NOTIFY);
3. the limit: the server runs with max_streams = --streams; one stream more must be refused
   with 503 and Retry-After, and a ticket taken meanwhile must not be slower.

Server RSS (and PSS) before the streams and with them, per stream; open file descriptors
of the server at the peak (what LimitNOFILE must allow).

Run: ``.venv/bin/python bench/bench_streams.py [--streams 10000] [--halls 1000]
[--calls 100] [--postgresql]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from common import machine_note, percentile, served_database, summary_ms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _memory(pid: int) -> tuple[float, float]:
    """RSS and PSS of pid in MiB."""
    import psutil

    rss = psutil.Process(pid).memory_info().rss / 2**20
    pss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def _raise_nofile(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def scenario(args: argparse.Namespace, url: str, database_url: str, pid: int) -> None:
    import psutil

    from devtools.staff_client import StaffSession
    from devtools.stream_load import PASSWORD, StreamClient, make_halls
    from kiosk.queue_client import QueueClient, new_request_key
    from protocol.enums import QueueEventKind
    from provisioning.client import TerminalClient
    from server.db import Database
    from server.queue import broker, feed

    server = psutil.Process(pid)
    started = time.perf_counter()
    halls = await asyncio.to_thread(make_halls, database_url, args.halls, args.staffed)
    print(f"  {args.halls} halls, {args.staffed} staffed, made in "
          f"{time.perf_counter() - started:.1f} s")
    # Warm the server (imports, pools) with one stream, then measure its memory.
    client = StreamClient(url)
    await client.open(halls[0])
    await asyncio.sleep(1)
    rss_before, pss_before = _memory(pid)
    fds_before = server.num_fds()
    await client.close()
    client = StreamClient(url)
    await asyncio.sleep(0.5)

    called: dict[int, list[tuple[int, float]]] = {}  # ticket id -> (hall, received)
    wanted: dict[int, asyncio.Event] = {}
    notices: list[float] = []
    everyone = asyncio.Event()

    def on_event(stream: object, name: str, data: str, at: float) -> None:
        if name == "called":
            ticket = json.loads(data).get("ticket")
            called.setdefault(ticket, []).append((stream.hall.id, at))  # type: ignore[attr-defined]
            if ticket in wanted and len(called[ticket]) >= args.streams // args.halls:
                wanted[ticket].set()
        elif name == "notices_changed":
            notices.append(at)
            if len(notices) >= args.streams:
                everyone.set()

    client.on_event = on_event
    gate = asyncio.Semaphore(200)

    async def open_one(hall: object) -> None:
        async with gate:
            await client.open(hall)  # type: ignore[arg-type]

    per_hall = args.streams // args.halls
    started = time.perf_counter()
    await asyncio.gather(*(open_one(hall) for hall in halls for _ in range(per_hall)))
    opened = time.perf_counter() - started
    statuses = [s.status for s in client.streams]
    ok = statuses.count(200)
    print(f"  {ok} of {len(statuses)} streams open in {opened:.1f} s "
          f"({len(statuses) / opened:.0f}/s); refused: {len(statuses) - ok}")
    await asyncio.sleep(3)  # catch-up reads done, server settled
    rss_after, pss_after = _memory(pid)
    fds_after = server.num_fds()
    print(f"  server RSS {rss_before:.0f} -> {rss_after:.0f} MiB "
          f"({(rss_after - rss_before) * 1024 / max(ok, 1):.1f} KiB per stream); "
          f"PSS {pss_before:.0f} -> {pss_after:.0f} MiB "
          f"({(pss_after - pss_before) * 1024 / max(ok, 1):.1f} KiB per stream)")
    print(f"  server open files {fds_before} -> {fds_after}: LimitNOFILE >= "
          f"{fds_after + 1024} for these streams (max_streams + ~1024)")

    # 1. calls in random staffed halls
    staffed = halls[:args.staffed]
    displays = {h.id: QueueClient(TerminalClient(url, SimpleNamespace(private_key=h.key)))
                for h in staffed}
    staff = {h.id: await asyncio.to_thread(StaffSession, url, h.staff, PASSWORD)
             for h in staffed}
    latencies: list[float] = []
    misdelivered = 0
    cpu_before = server.cpu_times()
    for _ in range(args.calls):
        hall = random.choice(staffed)
        await asyncio.to_thread(displays[hall.id].take_ticket, "legal-aid", new_request_key())
        sent = time.monotonic()
        reply = await asyncio.to_thread(staff[hall.id].post, "/windows/1/call-next")
        ticket = reply.json()["id"]
        wanted[ticket] = asyncio.Event()
        if len(called.get(ticket, ())) < per_hall:
            await asyncio.wait_for(wanted[ticket].wait(), 30)
        received = called[ticket]
        misdelivered += sum(1 for h, _at in received if h != hall.id)
        latencies.extend(at - sent for _h, at in received)
        await asyncio.to_thread(staff[hall.id].post, f"/windows/1/tickets/{ticket}/finish")
    cpu = server.cpu_times()
    cpu_calls = (cpu.user + cpu.system) - (cpu_before.user + cpu_before.system)
    print(f"  call to each of its hall's {per_hall} streams: {summary_ms(latencies)}; "
          f"target p95 <= 1 s ({'met' if percentile(latencies, 0.95) <= 1 else 'missed'})")
    print(f"  calls reaching another hall's stream: {misdelivered}; server CPU "
          f"{cpu_calls * 1000 / args.calls:.1f} ms per call (ticket + call + finish)")

    # 2. a broadcast from another process
    idle_cpu = server.cpu_times()
    await asyncio.sleep(10)
    idle = server.cpu_times()
    print(f"  server CPU while {ok} streams idle: "
          f"{((idle.user + idle.system) - (idle_cpu.user + idle_cpu.system)) / 10 * 100:.1f} % "
          "of a core")
    await asyncio.sleep(random.uniform(0, broker.POLL_SECONDS))  # anywhere between two polls
    database = Database(database_url)
    sent = time.monotonic()
    with database.sessions() as session:
        feed.broadcast(session, QueueEventKind.NOTICES_CHANGED, "bench", version="b1", count=1)
        session.commit()
    database.engine.dispose()
    try:
        await asyncio.wait_for(everyone.wait(), 30)
    except TimeoutError:
        pass
    spans = [at - sent for at in notices]
    print(f"  broadcast (committed by another process) to all {ok} streams: "
          f"{len(notices)} received; {summary_ms(spans)}")

    # 3. the limit
    extra = await client.open(halls[0])
    timing = []
    for _ in range(20):
        hall = random.choice(staffed)
        begun = time.perf_counter()
        await asyncio.to_thread(displays[hall.id].take_ticket, "legal-aid", new_request_key())
        timing.append(time.perf_counter() - begun)
    print(f"  one stream more than max_streams: HTTP {extra.status}, Retry-After "
          f"{extra.retry_after or '-'}; a ticket meanwhile: median "
          f"{statistics.median(timing) * 1000:.0f} ms")
    closed = sum(1 for s in client.streams if s.closed and s.status == 200)
    print(f"  streams ended by the server during the run: {closed}")
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--halls", type=int, default=1000)
    parser.add_argument("--staffed", type=int, default=20, help="halls where calls are made")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    from devtools.server_process import start_server

    limit = _raise_nofile(args.streams + 1024)
    print(machine_note())
    kind = "postgresql" if args.postgresql else "sqlite"
    print(f"{kind}: {args.streams} streams over {args.halls} halls (client fd limit {limit})")
    with tempfile.TemporaryDirectory(prefix="hallkiosk-bench-streams-") as name, \
            served_database(kind, Path(name)) as database_url:
        process, url = start_server(database_url, Path(name), "server",
                                    settings={"max_streams": str(args.streams)})
        try:
            asyncio.run(scenario(args, url, database_url, process.pid))
        finally:
            process.terminate()
            process.wait(30)
    print(machine_note())


if __name__ == "__main__":
    main()
