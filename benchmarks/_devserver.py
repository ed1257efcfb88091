"""Run the dev server in its own process, so it does not share the benchmark's GIL."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from typing import Iterator

import requests

BENCH_USER = "bench@example.com"
BENCH_KEY = "benchkey0123456789abcdefghijklmn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def devserver_process(*extra: str) -> Iterator[str]:
    """Yield the site of a dev server with the bench user and the channel ``bench``."""
    port = free_port()
    command = [sys.executable, "-m", "wyzepal_notifier.devserver", "--port", str(port),
               "--user", f"{BENCH_USER}:{BENCH_KEY}", "--stream", "bench", *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    site = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"{site}/api/v1/server_settings", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the dev server did not start") from None
                time.sleep(0.1)
        yield site
    finally:
        process.terminate()
        process.wait(10)
