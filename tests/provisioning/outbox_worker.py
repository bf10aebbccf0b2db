"""A terminal process that queues and delivers outbox items until it is killed (for tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from provisioning.client import ServerError, TerminalClient
from provisioning.identity import TerminalIdentity
from provisioning.outbox import Outbox, OutboxSender


def main(server_url: str, data_dir: str) -> None:
    """Put an item, print its key once put returned, deliver in small batches; forever."""
    client = TerminalClient(server_url, TerminalIdentity.load_or_create(Path(data_dir)),
                            timeout=5, retries=0)
    outbox = Outbox(Path(data_dir))
    sender = OutboxSender(outbox, client, batch_size=3)
    number = 0
    while True:
        number += 1
        key = outbox.put("usage.tap", {"number": number, "pad": "x" * 200})
        print(key, flush=True)
        if number % 4 == 0:
            try:
                sender.deliver()
            except ServerError as exc:
                print(f"error {exc}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
