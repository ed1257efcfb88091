"""Messages per second to the dev server: our client against the ``zulip`` client, one run.

Also the whole-process time of ``wyzepal-integrations send`` against ``zulip-send``,
which is what a hook or a cron job pays per notification.

    python benchmarks/client_throughput.py [--messages 500] [--runs 10]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from _devserver import BENCH_KEY, BENCH_USER, devserver_process
from wyzepal_notifier import Client, Message


def ours(site: str, count: int) -> float:
    client = Client(site, BENCH_USER, BENCH_KEY)
    started = time.perf_counter()
    for number in range(count):
        client.send_message(Message.to_stream("bench", "throughput", f"message {number}"))
    return count / (time.perf_counter() - started)


def theirs(site: str, count: int) -> float:
    import zulip

    client = zulip.Client(site=site, email=BENCH_USER, api_key=BENCH_KEY)
    started = time.perf_counter()
    for number in range(count):
        result = client.send_message({"type": "stream", "to": "bench", "topic": "throughput",
                                      "content": f"message {number}"})
        assert result["result"] == "success", result
    return count / (time.perf_counter() - started)


def process_time(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with devserver_process() as site:
        ours(site, 20), theirs(site, 20)  # warm up both
        rate_ours, rate_theirs = ours(site, args.messages), theirs(site, args.messages)
        print(f"throughput over {args.messages} messages (keep-alive, one process):")
        print(f"  wyzepal_notifier.Client  {rate_ours:8.1f} msg/s")
        print(f"  zulip.Client             {rate_theirs:8.1f} msg/s")
        print(f"  ratio ours/zulip         {rate_ours / rate_theirs:8.2f}")

        env = dict(os.environ, WYZEPAL_SITE=site, WYZEPAL_USER=BENCH_USER, WYZEPAL_API_KEY=BENCH_KEY,
                   ZULIP_SITE=site, ZULIP_EMAIL=BENCH_USER, ZULIP_API_KEY=BENCH_KEY)
        bindir = os.path.dirname(sys.executable)
        our_cli = [shutil.which("wyzepal-integrations", path=bindir) or "wyzepal-integrations", "send",
                   "--stream", "bench", "--topic", "cli", "--content", "hello"]
        their_cli = [shutil.which("zulip-send", path=bindir) or "zulip-send", "--stream", "bench",
                     "--subject", "cli", "--message", "hello"]
        t_ours = process_time(our_cli, env, args.runs)
        t_theirs = process_time(their_cli, env, args.runs)
        print(f"whole-process send, median of {args.runs}:")
        print(f"  wyzepal-integrations send {t_ours * 1000:8.1f} ms")
        print(f"  zulip-send                {t_theirs * 1000:8.1f} ms")
        print(f"  ratio ours/zulip          {t_ours / t_theirs:8.2f}")


if __name__ == "__main__":
    main()
