"""The shared outbox on Redis: what ``put`` costs, how a site drains at its limit, how workers scale.

1. ``put`` cost to the caller: ``SharedOutbox.put`` (Redis with AOF and
   ``appendfsync always``, the recommended setting; and ``everysec``) against
   ``Outbox.put`` on the local SQLite spool.
2. Site-wide drain: 10 producer processes queue a backlog (2,000 messages, one
   bot) while the chat server limits that bot to N requests per W seconds; three
   ``outbox serve`` processes drain it. Printed: the time against the limit's
   bound (``floor((requests - 1) / N) * W``: the last window's first request can
   go no sooner) and the 429s met (goal: within 5 % of the bound, at most one 429
   per window).
3. No server limit: drain throughput with 1, 2 and 4 ``outbox serve`` processes.

    python benchmarks/shared_outbox.py [--puts 2000] [--backlog 2000] [--limit 750/30] [--scale 1000]

The dev server runs in its own process (``_devserver.py``); so does redis-server
(a temporary folder, a free loopback port).
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Iterator

from _devserver import BENCH_KEY, BENCH_USER, devserver_process, free_port
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.outbox import Outbox, SharedOutbox
from wyzepal_notifier.outbox.redis_store import RedisStore

LIBRARY_ROOT = str(Path(__file__).resolve().parent.parent / "shared")


@contextlib.contextmanager
def redis_process(folder: Path, fsync: str = "always") -> Iterator[str]:
    """A redis-server with AOF on and the given ``appendfsync``; yields its URL."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                                "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes",
                                "--appendfsync", fsync, "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed_puts(outbox, count: int) -> list[float]:
    samples = []
    for i in range(count):
        message = Message.to_stream("bench", f"topic {i % 20}", f"message {i}")
        start = time.perf_counter()
        outbox.put(message)
        samples.append(time.perf_counter() - start)
    return samples


def line(label: str, samples: list[float]) -> str:
    return (f"  {label:<44} median {statistics.median(samples) * 1e6:7.0f} us   "
            f"p99 {percentile(samples, 0.99) * 1e6:7.0f} us")


def put_cost(tmp: Path, count: int) -> None:
    print(f"1. put cost to the caller ({count} puts each, one at a time)")
    credentials = Credentials("http://127.0.0.1:9", BENCH_USER, BENCH_KEY)  # nobody delivers: cost only
    local = Outbox(tmp / "local.sqlite3", credentials, exit_timeout=0)
    local._start_worker = lambda: None  # measure the caller's cost only, not a worker competing for the CPU
    print(line("Outbox.put, local SQLite spool (WAL, NORMAL)", timed_puts(local, count)))
    local.close(0)
    for fsync in ("always", "everysec"):
        with redis_process(tmp / f"redis-{fsync}", fsync) as url:
            outbox = SharedOutbox(url, credentials, tmp / f"park-{fsync}.sqlite3", forward_in_background=False)
            timed_puts(outbox, 50)  # connect and load the script first
            print(line(f"SharedOutbox.put, Redis appendfsync {fsync}", timed_puts(outbox, count)))
            outbox.close(0)


PRODUCER = textwrap.dedent("""
    import sys
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import SharedOutbox
    url, site, user, key, park, name, count = sys.argv[1:8]
    outbox = SharedOutbox(url, Credentials(site, user, key), park, forward_in_background=False)
    for i in range(int(count)):
        outbox.put(Message.to_stream("bench", f"{name} topic {i % 5}", f"{name} {i}"))
    outbox.close(30)
""")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_")}
    env["PYTHONPATH"] = os.pathsep.join([LIBRARY_ROOT, env.get("PYTHONPATH", "")])
    return env


def produce(url: str, site: str, tmp: Path, total: int, producers: int = 10) -> float:
    start = time.monotonic()
    running = [subprocess.Popen([sys.executable, "-c", PRODUCER, url, site, BENCH_USER, BENCH_KEY,
                                 str(tmp / f"park{p}.sqlite3"), f"p{p}", str(total // producers)], env=environment())
               for p in range(producers)]
    for process in running:
        if process.wait(300) != 0:
            raise RuntimeError("a producer failed")
    return time.monotonic() - start


def services(url: str, rc: Path, count: int, rate: str = "") -> list[subprocess.Popen]:
    extra = ["--rate-limit", rate] if rate else []
    return [subprocess.Popen([sys.executable, "-m", "wyzepal_notifier", "outbox", "serve", "--outbox-url", url,
                              "--config", str(rc), *extra], env=environment(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]


def drain(url: str, rc: Path, workers: int, rate: str = "", timeout: float = 600) -> tuple[float, dict[str, int]]:
    """Start ``workers`` services on a waiting backlog; seconds until Redis is empty, and the figures."""
    store = RedisStore(url)
    running = services(url, rc, workers, rate)
    start = time.monotonic()
    try:
        while store.pending_count():
            if time.monotonic() - start > timeout:
                raise RuntimeError("the backlog did not drain")
            time.sleep(0.05)
        elapsed = time.monotonic() - start
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.wait(20)
    return elapsed, store.figures()


def write_rc(site: str, path: Path) -> Path:
    path.write_text(f"[api]\nemail={BENCH_USER}\nkey={BENCH_KEY}\nsite={site}\n")
    path.chmod(0o600)
    return path


def server_requests(site: str) -> list[dict]:
    import requests

    return requests.get(f"{site}/devserver/requests", timeout=10).json()["requests"]


def site_drain(tmp: Path, backlog: int, limit: str) -> None:
    count, window = (int(limit.split("/")[0]), float(limit.split("/")[1]))
    print(f"2. site-wide drain: {backlog} messages from 10 producers, one bot, server limit {count}/{window:.0f} s, "
          "3 services")
    with devserver_process("--rate-limit", limit) as site, redis_process(tmp / "redis-drain") as url:
        rc = write_rc(site, tmp / "rc-drain")
        print(f"  queued by 10 producer processes in {produce(url, site, tmp / 'drain', backlog):.1f} s")
        before = len(server_requests(site))
        elapsed, figures = drain(url, rc, 3, rate=limit)
        log = server_requests(site)[before:]
        made = len(log)
        bound = math.floor((made - 1) / count) * window
        too_many = sum(1 for r in log if r["status"] == 429)
        took = log[-1]["time"] - log[0]["time"]  # the services' start (imports) is not the drain's
        windows = max(1, math.ceil(took / window))
        print(f"  drained in {took:.1f} s from the first request to the last ({elapsed:.1f} s with the services' "
              f"start); {made} requests (posts, queue registrations, polls)")
        print(f"  the limit's bound for {made} requests: {bound:.1f} s; took {took / bound:.3f} x the bound "
              f"({(took / bound - 1) * 100:+.1f} %)")
        starts = [log[i]["time"] - log[0]["time"] for i in range(count, made, count)]
        print(f"  where the time went: window {', '.join(str(n + 2) for n in range(len(starts)))} began "
              f"{', '.join(f'{t:.1f}' for t in starts)} s after the first request "
              f"(the limit allows {', '.join(f'{(n + 1) * window:.0f}' for n in range(len(starts)))}); "
              f"its {made - count * len(starts)} requests took {took - starts[-1]:.1f} s to send")
        print(f"  429 answers: {too_many} over {windows} windows "
              f"(the services counted {figures.get('rate_limited', 0)})")


def scaling(tmp: Path, backlog: int) -> None:
    print(f"3. no server limit: {backlog} messages (50 topics) drained by 1, 2 and 4 'outbox serve' processes")
    with devserver_process() as site:
        rc = write_rc(site, tmp / "rc-scale")
        for workers in (1, 2, 4):
            with redis_process(tmp / f"redis-scale-{workers}") as url:
                outbox = SharedOutbox(url, Credentials(site, BENCH_USER, BENCH_KEY), tmp / "p.sqlite3",
                                      forward_in_background=False)
                for i in range(backlog):
                    outbox.put(Message.to_stream("bench", f"scale topic {i % 50}", f"scale {i}"))
                outbox.close(0)
                before = len(server_requests(site))
                elapsed, _ = drain(url, rc, workers)
                log = server_requests(site)[before:]
                took = log[-1]["time"] - log[0]["time"]
                print(f"  {workers} worker{'s' if workers > 1 else ' '}: {took:6.1f} s from the first request to "
                      f"the last, {backlog / took:6.0f} messages/s ({elapsed:.1f} s with the services' start)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--limit", default="750/30", help="the server's limit for the drain, N/SECONDS")
    parser.add_argument("--scale", type=int, default=1000, help="backlog for the scaling runs")
    args = parser.parse_args()
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    print(f"machine: {os.cpu_count()} cores, redis-server {version}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        put_cost(tmp, args.puts)
        site_drain(tmp, args.backlog, args.limit)
        scaling(tmp, args.scale)


if __name__ == "__main__":
    main()
