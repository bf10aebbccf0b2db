"""A whole hall day, compressed: PostgreSQL, the server and five terminals as processes, 600
visitors in 30 minutes with the server killed, a terminal's network cut, the printer out of
paper and PostgreSQL restarted on the way; then every invariant is checked. Exits 1 on any
failure (unlike the other benchmarks: this one is a test that takes long).

The terminals run the real terminal core headless (devtools/soak/terminal.py: services,
server link, outbox, sync, heartbeat, simulated printer, speech to WAV) rather than five
Kivy windows, which this 2-core machine cannot draw at once.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--visitors 600] [--keep DIR]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import machine_note  # noqa: E402

from devtools.soak.processes import Faults  # noqa: E402
from devtools.soak.run import soak_day  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the day")
    parser.add_argument("--visitors", type=int, default=600)
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"{args.keep} is not empty: give a new folder to --keep")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hallkiosk-soak-"))
    print(f"soak: {args.visitors} visitors in {args.minutes:g} min; {machine_note()}; "
          f"folder {folder}", flush=True)
    started = time.monotonic()
    _soak, report = soak_day(folder, minutes=args.minutes, visitors=args.visitors,
                             faults=Faults())
    print("\n".join(report.lines))
    print(f"soak took {(time.monotonic() - started) / 60:.1f} min wall; {machine_note()}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    if report.failures:
        print(f"{len(report.failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
