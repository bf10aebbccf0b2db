"""Send a burst of sign-ins from a process of its own, so the test's health watch shares no
interpreter lock with the 50 senders.

``python -m tests.server.sign_in_burst_client URL PASSWORD NAME...``: opens one connection
per name, prints ``ready``, waits for a line on standard input, posts every sign-in at
once, then prints one JSON line: [[status, detail, Retry-After], ...].
"""

from __future__ import annotations

import json
import sys
import threading

import requests


def main(url: str, password: str, names: list[str]) -> None:
    """Run the burst and print what each sign-in got."""
    sessions = [requests.Session() for _ in names]
    for http in sessions:  # the connections are open before the burst
        http.get(f"{url}/api/v1/health", timeout=30)
    start = threading.Barrier(len(names) + 1)
    answers: list[list[object]] = []
    lock = threading.Lock()

    def sign_in(http: requests.Session, name: str) -> None:
        start.wait()
        answer = http.post(f"{url}/api/v1/session", timeout=180,
                           json={"username": name, "password": password})
        try:
            detail = answer.json().get("detail", "") if answer.status_code != 200 else ""
        except ValueError:  # not JSON: an error page, kept for the test to show
            detail = answer.text[:200]
        with lock:
            answers.append([answer.status_code, detail, answer.headers.get("Retry-After")])

    threads = [threading.Thread(target=sign_in, args=pair)
               for pair in zip(sessions, names, strict=True)]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    sys.stdin.readline()
    start.wait()
    for thread in threads:
        thread.join()
    print(json.dumps(answers), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
