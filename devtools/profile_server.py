"""``hallkiosk server`` under cProfile in every thread (the event loop and the worker threads
that run the sync endpoints), for finding what a request costs.

Run: ``python -m devtools.profile_server STATS_FILE PORT`` with the HALLKIOSK_* settings in
the environment; on SIGTERM or SIGINT the server stops and the merged statistics are
written to STATS_FILE, and the event loop's thread alone to STATS_FILE.loop (read them
with ``pstats``).
"""

from __future__ import annotations

import cProfile
import pstats
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any


def main() -> None:
    stats_file, port = sys.argv[1], int(sys.argv[2])
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start(_frame: FrameType, _event: str, _arg: Any) -> None:
        profile = cProfile.Profile(time.thread_time)  # CPU, not waiting
        with lock:
            profiles.append(profile)
        profile.enable()  # replaces this hook in the new thread

    threading.setprofile(start)  # every thread started from now on
    import uvicorn

    from server.app import create_app
    from server.settings import load_settings

    main_profile = cProfile.Profile(time.thread_time)  # CPU, not waiting

    def dump(*_args: object) -> None:
        main_profile.disable()
        pstats.Stats(main_profile).dump_stats(f"{stats_file}.loop")  # the event loop alone
        stats = pstats.Stats(main_profile)
        with lock:
            for profile in profiles:
                try:
                    profile.create_stats()
                    stats.add(profile)
                except (TypeError, ValueError):
                    pass
        stats.dump_stats(stats_file)
        raise SystemExit(0)

    # uvicorn restores this handler after its graceful shutdown and raises the signal again.
    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGINT, dump)
    main_profile.enable()
    uvicorn.run(create_app(load_settings()), host="127.0.0.1", port=port, log_level="warning",
                timeout_graceful_shutdown=2)
    dump()


if __name__ == "__main__":
    main()
