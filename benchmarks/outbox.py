"""The outbox and the events client, side by side with the ``zulip`` client, in one run.

1. What one notification costs the host: ``Outbox.put`` (durable SQLite, WAL with
   synchronous=NORMAL; in a burst while the worker sends, and one at a time) against the alternatives
   considered (synchronous=FULL, a plain in-memory queue) and against sending
   directly with ``zulip.Client`` or our ``Client`` (what a host pays without an outbox).
2. Delivery throughput of the outbox worker against sending in a loop with ``zulip.Client``.
3. Latency from a message posted to its event reaching a ``call_on_each_message``
   callback, ours against ``zulip.Client.call_on_each_message`` (p50/p99).

    python benchmarks/outbox.py [--puts 2000] [--messages 1000] [--latency 200]

The dev server runs in its own process, so it does not share this one's GIL.
"""
from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from _devserver import BENCH_KEY, BENCH_USER, devserver_process
from wyzepal_notifier import Client, Credentials, Message
from wyzepal_notifier.events import call_on_each_message
from wyzepal_notifier.outbox import Outbox, Spool

SENDER, SENDER_KEY = "alice@example.com", "alicekey0123456789abcdefghijklmn"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed_calls(count: int, call: Callable[[int], object]) -> list[float]:
    samples = []
    for number in range(count):
        started = time.perf_counter()
        call(number)
        samples.append(time.perf_counter() - started)
    return samples


def zulip_client(site: str):
    import zulip

    return zulip.Client(site=site, email=BENCH_USER, api_key=BENCH_KEY)


def zulip_send(client, topic: str, number: int) -> None:
    result = client.send_message({"type": "stream", "to": "bench", "topic": topic, "content": f"message {number}"})
    assert result["result"] == "success", result


# -- 1. the cost of one enqueue -------------------------------------------------------------


def enqueue_costs(site: str, count: int, folder: Path) -> dict[str, list[float]]:
    credentials = Credentials(site, BENCH_USER, BENCH_KEY)
    outbox = Outbox(folder / "put.sqlite3", credentials)
    costs = {"Outbox.put, burst (worker sending meanwhile)": timed_calls(
        count, lambda n: outbox.put(Message.to_stream("bench", f"put {n % 4}", f"message {n}")))}
    outbox.flush(120)
    spaced = []
    for number in range(min(count, 300)):  # the usual case: a notification now and then
        started = time.perf_counter()
        outbox.put(Message.to_stream("bench", "spaced", f"message {number}"))
        spaced.append(time.perf_counter() - started)
        outbox.flush(10)
        time.sleep(0.005)  # the worker goes back to waiting, as between two real notifications
    costs["Outbox.put, one at a time (worker idle)"] = spaced
    outbox.close()

    full = Spool(folder / "full.sqlite3", synchronous="FULL")
    sender = full.save_sender(credentials, "Bench", "1")
    costs["spool append, synchronous=FULL"] = timed_calls(
        count, lambda n: full.append(sender, Message.to_stream("bench", "full", f"message {n}").checked()))
    full.close()

    memory: collections.deque = collections.deque(maxlen=10000)
    costs["in-memory queue (not durable)"] = timed_calls(
        count, lambda n: memory.append(Message.to_stream("bench", "memory", f"message {n}").checked()))

    direct = min(count, 300)
    client = Client(site, BENCH_USER, BENCH_KEY)
    costs["direct send, wyzepal Client"] = timed_calls(
        direct, lambda n: client.send_message(Message.to_stream("bench", "direct", f"message {n}")))
    theirs = zulip_client(site)
    costs["direct send, zulip.Client"] = timed_calls(direct, lambda n: zulip_send(theirs, "direct", n))
    return costs


def print_costs(costs: dict[str, list[float]]) -> None:
    baseline = statistics.median(costs["direct send, zulip.Client"])
    print("1. cost of one notification to the caller (microseconds)")
    print(f"   {'':44} {'p50':>9} {'p99':>9} {'mean':>9}  p50 vs zulip send")
    for name, samples in costs.items():
        p50, p99, mean = (x * 1e6 for x in (percentile(samples, 0.5), percentile(samples, 0.99),
                                            statistics.mean(samples)))
        print(f"   {name:44} {p50:9.1f} {p99:9.1f} {mean:9.1f}  {percentile(samples, 0.5) / baseline:8.4f}x")


# -- 2. delivery throughput -----------------------------------------------------------------


def outbox_throughput(site: str, count: int, folder: Path) -> float:
    outbox = Outbox(folder / "throughput.sqlite3", Credentials(site, BENCH_USER, BENCH_KEY))
    started = time.perf_counter()
    for number in range(count):
        outbox.put(Message.to_stream("bench", f"throughput {number % 4}", f"message {number}"))
    assert outbox.flush(300), "not everything was delivered"
    elapsed = time.perf_counter() - started
    outbox.close()
    return count / elapsed


def zulip_throughput(site: str, count: int) -> float:
    client = zulip_client(site)
    started = time.perf_counter()
    for number in range(count):
        zulip_send(client, f"throughput {number % 4}", number)
    return count / (time.perf_counter() - started)


# -- 3. post-to-callback latency --------------------------------------------------------------


class LatencyProbe:
    """Posts one message at a time as another user and times its arrival at the callback."""

    def __init__(self, site: str) -> None:
        self.sender = Client(site, SENDER, SENDER_KEY)
        self.arrived = threading.Event()
        self.expected = ""
        self.sent_at = 0.0
        self.samples: list[float] = []

    def callback(self, message: dict) -> None:
        if message.get("content") == self.expected:
            self.samples.append(time.perf_counter() - self.sent_at)
            self.arrived.set()

    def run(self, label: str, count: int) -> list[float]:
        self.samples = []
        for number in range(count):
            self.arrived.clear()
            self.expected = f"{label} {number}"
            self.sent_at = time.perf_counter()
            self.sender.send_message(Message.to_stream("bench", "latency", self.expected))
            if not self.arrived.wait(10):
                raise RuntimeError(f"{label}: message {number} never reached the callback")
        return self.samples


def wait_listening(probe: LatencyProbe, label: str) -> None:
    """Post until one arrives: then the listener's queue is surely registered."""
    for attempt in range(100):
        probe.arrived.clear()
        probe.expected = f"{label} warm-up {attempt}"
        probe.sent_at = time.perf_counter()
        probe.sender.send_message(Message.to_stream("bench", "latency", probe.expected))
        if probe.arrived.wait(0.2):
            return
    raise RuntimeError(f"{label} never started listening")


def latencies(site: str, count: int) -> dict[str, list[float]]:
    probe = LatencyProbe(site)
    stop = threading.Event()
    ours = Client(site, BENCH_USER, BENCH_KEY)
    listener = threading.Thread(target=call_on_each_message, args=(ours, probe.callback), kwargs={"stop": stop},
                                daemon=True)
    listener.start()
    wait_listening(probe, "ours")
    results = {"wyzepal_notifier.events.call_on_each_message": list(probe.run("ours", count))}
    stop.set()
    listener.join(5)

    theirs = zulip_client(site)  # runs until the process ends: zulip's loop has no stop
    threading.Thread(target=theirs.call_on_each_message, args=(probe.callback,), daemon=True).start()
    wait_listening(probe, "zulip")
    results["zulip.Client.call_on_each_message"] = list(probe.run("zulip", count))
    return results


def print_latencies(results: dict[str, list[float]]) -> None:
    print("3. post-to-callback latency (milliseconds)")
    zulip_p50 = percentile(results["zulip.Client.call_on_each_message"], 0.5)
    for name, samples in results.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"   {name:45} p50 {p50 * 1e3:7.2f}  p99 {p99 * 1e3:7.2f}  p50 ours/zulip {p50 / zulip_p50:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=2000, help="enqueues timed one by one")
    parser.add_argument("--messages", type=int, default=1000, help="messages for the throughput comparison")
    parser.add_argument("--latency", type=int, default=200, help="messages timed from post to callback")
    args = parser.parse_args()
    with devserver_process("--user", f"{SENDER}:{SENDER_KEY}") as site, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print_costs(enqueue_costs(site, args.puts, folder))

        zulip_throughput(site, 20)  # warm up the server
        ours, theirs = outbox_throughput(site, args.messages, folder), zulip_throughput(site, args.messages)
        print(f"2. delivery throughput over {args.messages} messages, 4 topics (messages per second)")
        print(f"   outbox (put all, then flush)  {ours:8.1f}")
        print(f"   zulip.Client send loop        {theirs:8.1f}")
        print(f"   ratio outbox/zulip            {ours / theirs:8.2f}")

        print_latencies(latencies(site, args.latency))


if __name__ == "__main__":
    main()
