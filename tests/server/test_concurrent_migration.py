"""Several server processes starting together on a new database: one migrates, the others
wait for it and find the schema at head (nginx deployments start two or more at once)."""

from __future__ import annotations

import threading
import traceback

from sqlalchemy import inspect, text

from content.migrate import _heads
from server.db import MIGRATIONS, make_engine, upgrade

STARTING = 4


def test_servers_starting_together_migrate_a_new_database_once(empty_database_url: str) -> None:
    engines = [make_engine(empty_database_url) for _ in range(STARTING)]
    ready = threading.Barrier(STARTING)
    failures: list[BaseException] = []

    def start(index: int) -> None:
        ready.wait()
        try:
            upgrade(engines[index])
        except BaseException as exc:  # noqa: BLE001 - reported below with the others
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(STARTING)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, "\n".join("".join(traceback.format_exception(f)) for f in failures)
    with engines[0].connect() as connection:
        versions = set(connection.execute(text("SELECT version_num FROM alembic_version"))
                       .scalars())
        assert versions == set(_heads(MIGRATIONS))
        assert {"ticket", "queue_event", "hall"} <= set(inspect(connection).get_table_names())
    for engine in engines:
        engine.dispose()
