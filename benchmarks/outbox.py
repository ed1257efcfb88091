"""The outbox and the events client, side by side with the ``zulip`` client, in one run.

1. What one notification costs the host: ``Outbox.put`` (durable SQLite, WAL with
   synchronous=NORMAL; in a burst while the worker sends, and one at a time) against the alternatives
   considered (synchronous=FULL, a plain in-memory queue) and against sending
   directly with ``zulip.Client`` or our ``Client`` (what a host pays without an outbox).
   Also what a handle operation (an edit, a reaction) costs the caller.
2. Delivery throughput of the outbox worker (topics side by side, each in order) against sending
   in a loop with ``zulip.Client``; and, against a server with a rate limit, how close the
   outbox comes to the limit's bound and how many 429s it meets.
3. Latency from a message posted to its event reaching a ``call_on_each_message``
   callback, ours and ``zulip.Client.call_on_each_message`` listening to the same messages (p50/p99).
4. Time from ``Outbox.edit`` to the server having applied the edit.

    python benchmarks/outbox.py [--puts 2000] [--messages 1000] [--latency 200] [--edits 100]

The dev server runs in its own process, so it does not share this one's GIL.
"""
from __future__ import annotations

import argparse
import collections
import math
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from _devserver import BENCH_KEY, BENCH_USER, devserver_process
from wyzepal_notifier import Client, Credentials, Message
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
    ours, theirs = Client(site, BENCH_USER, BENCH_KEY), zulip_client(site)
    ours_samples, theirs_samples = [], []
    for _ in range(direct):  # alternating, so load on the machine hits both alike
        ours_samples += timed_calls(1, lambda n: ours.send_message(Message.to_stream("bench", "direct", f"ours {n}")))
        theirs_samples += timed_calls(1, lambda n: zulip_send(theirs, "direct", n))
    costs["direct send, wyzepal Client"] = ours_samples
    costs["direct send, zulip.Client"] = theirs_samples
    costs.update(operation_costs(site, count, folder))
    return costs


def operation_costs(site: str, count: int, folder: Path) -> dict[str, list[float]]:
    """What ``edit`` and ``add_reaction`` on a handle cost the caller (the message is delivered already)."""
    outbox = Outbox(folder / "ops.sqlite3", Credentials(site, BENCH_USER, BENCH_KEY))
    handles = [f"bench:{n}" for n in range(min(count, 300))]
    for handle in handles:
        outbox.put(Message.to_stream("bench", "ops", f"build {handle} started"), handle=handle)
    outbox.flush(120)
    costs = {
        "Outbox.edit (handle operation)": timed_calls(
            len(handles), lambda n: outbox.edit(handles[n], f"build {handles[n]} passed")),
        "Outbox.add_reaction (handle operation)": timed_calls(
            len(handles), lambda n: outbox.add_reaction(handles[n], "check")),
    }
    outbox.flush(120)
    outbox.close()
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


def outbox_throughput(outbox: Outbox, count: int, offset: int) -> float:
    """Seconds to put ``count`` messages and see them all delivered."""
    started = time.perf_counter()
    for number in range(offset, offset + count):
        outbox.put(Message.to_stream("bench", f"throughput {number % 4}", f"message {number}"))
    assert outbox.flush(300), "not everything was delivered"
    return time.perf_counter() - started


def zulip_throughput(client, count: int, offset: int) -> float:
    started = time.perf_counter()
    for number in range(offset, offset + count):
        zulip_send(client, f"throughput {number % 4}", number)
    return time.perf_counter() - started


def parallel_zulip_throughput(site: str, count: int, offset: int, threads: int = 4) -> float:
    """Seconds for ``threads`` zulip clients, one topic each, to send ``count`` messages: the server's ceiling."""
    clients = [zulip_client(site) for _ in range(threads)]

    def send(which: int) -> None:
        for number in range(offset + which, offset + count, threads):
            zulip_send(clients[which], f"throughput {which}", number)

    workers = [threading.Thread(target=send, args=(which,)) for which in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def throughputs(site: str, count: int, folder: Path, rounds: int = 4) -> tuple[float, float, float]:
    """Messages per second of the outbox, a zulip send loop and 4 zulip clients at once, in alternating rounds."""
    outbox = Outbox(folder / "throughput.sqlite3", Credentials(site, BENCH_USER, BENCH_KEY))
    theirs = zulip_client(site)
    per_round = max(1, count // rounds)
    ours_time = theirs_time = ceiling_time = 0.0
    for round_number in range(rounds):
        ours_time += outbox_throughput(outbox, per_round, round_number * per_round)
        theirs_time += zulip_throughput(theirs, per_round, round_number * per_round)
        ceiling_time += parallel_zulip_throughput(site, per_round, round_number * per_round)
    outbox.close()
    total = per_round * rounds
    return total / ours_time, total / theirs_time, total / ceiling_time


def limited_throughput(count: int, folder: Path, limit: int = 300, window: float = 10.0) -> dict[str, float]:
    """Drain ``count`` messages over 4 topics into a server allowing ``limit`` requests per ``window`` (sliding).

    Two bounds: the limit's rate (``limit / window`` per second), and the least time its
    requests can take (``limit`` at once, then ``limit`` per ``window``: at least
    ``(ceil(requests / limit) - 1) * window`` seconds, counting every request the outbox made).
    """
    import requests

    with devserver_process("--rate-limit", f"{limit}/{window:g}") as site:
        outbox = Outbox(folder / "limited.sqlite3", Credentials(site, BENCH_USER, BENCH_KEY))
        started = time.perf_counter()
        for number in range(count):
            outbox.put(Message.to_stream("bench", f"limited {number % 4}", f"message {number}"))
        assert outbox.flush(600), "not everything was delivered"
        elapsed = time.perf_counter() - started
        outbox.close()
        log = requests.get(f"{site}/devserver/requests", timeout=10).json()["requests"]
    made = [r for r in log if r["email"] == BENCH_USER or r["status"] == 429]
    least = (math.ceil(len(made) / limit) - 1) * window
    return {"seconds": elapsed, "least": least, "requests": len(made), "limit": limit, "window": window,
            "rate_share": count / elapsed / (limit / window), "429s": sum(r["status"] == 429 for r in made)}


# -- 3. post-to-callback latency --------------------------------------------------------------


#: One listener in a process of its own: each callback prints the moment it ran (CLOCK_MONOTONIC,
#: the same clock in every process on the machine) and the content it got.
LISTENER = """
import signal, sys, threading, time
site, email, key, which = sys.argv[1:5]
def callback(message):
    print(time.clock_gettime(time.CLOCK_MONOTONIC), message["content"], flush=True)
if which == "ours":
    from wyzepal_notifier import Client
    from wyzepal_notifier.events import call_on_each_message, stop_on_signals
    stop = threading.Event()
    with stop_on_signals(stop):
        call_on_each_message(Client(site, email, key), callback, stop=stop)
else:
    import zulip
    zulip.Client(site=site, email=email, api_key=key).call_on_each_message(callback)
"""


class LatencyProbe:
    """Posts one message at a time as another user and times its arrival at each listener's callback.

    Each listener runs in its own process: in one process the second listener to be
    answered waits for the first one's hold on the GIL, and the figure says more about
    the order the server answered in than about either client.
    """

    def __init__(self, site: str, listeners: list[str]) -> None:
        self.site = site
        self.sender = Client(site, SENDER, SENDER_KEY)
        self.listeners = listeners
        self.expected = ""
        self.sent_at = 0.0
        self.arrivals: dict[str, float] = {}
        self.all_arrived = threading.Event()
        self.lock = threading.Lock()

    def start(self, listener: str, which: str):
        """A listener process (``which``: ours or zulip) whose arrivals count as ``listener``'s."""
        import subprocess
        import sys

        process = subprocess.Popen([sys.executable, "-c", LISTENER, self.site, BENCH_USER, BENCH_KEY, which],
                                   stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(listener, process.stdout), daemon=True).start()
        return process

    def _read(self, listener: str, lines) -> None:
        for line in lines:
            at, _, content = line.rstrip("\n").partition(" ")
            self.arrived(listener, content, float(at))

    def arrived(self, listener: str, content: str, at: float) -> None:
        with self.lock:
            if content != self.expected or listener in self.arrivals:
                return
            self.arrivals[listener] = at - self.sent_at
            if len(self.arrivals) == len(self.listeners):
                self.all_arrived.set()

    def post(self, content: str, timeout: float) -> dict[str, float]:
        with self.lock:
            self.arrivals, self.expected = {}, content
            self.all_arrived.clear()
            self.sent_at = time.clock_gettime(time.CLOCK_MONOTONIC)
        self.sender.send_message(Message.to_stream("bench", "latency", content))
        self.all_arrived.wait(timeout)
        with self.lock:
            return dict(self.arrivals)

    def warm_up(self, listeners: list[str]) -> None:
        """Post until each of ``listeners`` hears one: their queues surely exist then."""
        for attempt in range(200):
            if set(listeners) <= set(self.post(f"warm-up {attempt}", 0.2)):
                return
        raise RuntimeError(f"{listeners} never all started")


def latencies(site: str, count: int) -> dict[str, list[float]]:
    """Both listeners hear the same messages at the same time: the fairest side by side.

    The server answers parked polls in the order their queues were registered, so half
    the messages are timed with our queue registered first and half with ours registered
    again after zulip's.
    """
    ours_name, theirs_name = "wyzepal_notifier.events.call_on_each_message", "zulip.Client.call_on_each_message"
    probe = LatencyProbe(site, [ours_name, theirs_name])
    results: dict[str, list[float]] = {ours_name: [], theirs_name: []}
    ours = probe.start(ours_name, "ours")
    probe.warm_up([ours_name])  # ours is registered: answered first in the first half
    theirs = probe.start(theirs_name, "zulip")
    try:
        for half, number_of_messages in enumerate((count // 2, count - count // 2)):
            if half == 1:
                ours.terminate()  # SIGTERM: it deletes its queue; the next one registers after zulip's
                ours.wait(10)
                ours = probe.start(ours_name, "ours")
            probe.warm_up([ours_name, theirs_name])
            for number in range(number_of_messages):
                arrivals = probe.post(f"latency {half}.{number}", 10)
                if len(arrivals) != 2:
                    raise RuntimeError(f"message {half}.{number} reached only {sorted(arrivals)}")
                for name, seconds in arrivals.items():
                    results[name].append(seconds)
    finally:
        for process in (ours, theirs):
            process.kill()
            process.wait(10)
    return results


def print_latencies(results: dict[str, list[float]]) -> None:
    print("3. post-to-callback latency (milliseconds)")
    zulip_p50 = percentile(results["zulip.Client.call_on_each_message"], 0.5)
    for name, samples in results.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"   {name:45} p50 {p50 * 1e3:7.2f}  p99 {p99 * 1e3:7.2f}  p50 ours/zulip {p50 / zulip_p50:5.2f}x")


# -- 4. edit applied -----------------------------------------------------------------------------


def edit_latencies(site: str, count: int, folder: Path) -> list[float]:
    """Seconds from ``Outbox.edit`` returning to the server holding the new content (polled every ms)."""
    outbox = Outbox(folder / "edits.sqlite3", Credentials(site, BENCH_USER, BENCH_KEY))
    reader = Client(site, BENCH_USER, BENCH_KEY)
    samples = []
    for number in range(count):
        handle = f"edit:{number}"
        outbox.put(Message.to_stream("bench", "edits", f"build {number} started"), handle=handle)
        assert outbox.flush(30)
        message_id = outbox.handle_state(handle).message_id
        wanted = f"build {number} passed"
        started = time.perf_counter()
        outbox.edit(handle, wanted)
        while reader.get_message(message_id)["content"] != wanted:
            time.sleep(0.001)
        samples.append(time.perf_counter() - started)
    outbox.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=2000, help="enqueues timed one by one")
    parser.add_argument("--messages", type=int, default=1000, help="messages for the throughput comparison")
    parser.add_argument("--latency", type=int, default=200, help="messages timed from post to callback")
    parser.add_argument("--edits", type=int, default=100, help="edits timed from Outbox.edit to applied")
    args = parser.parse_args()
    with devserver_process("--user", f"{SENDER}:{SENDER_KEY}") as site, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print_costs(enqueue_costs(site, args.puts, folder))

        ours, theirs, ceiling = throughputs(site, args.messages, folder)
        print(f"2. delivery throughput over {args.messages} messages, 4 topics, alternating rounds (messages/s)")
        print(f"   outbox (put all, then flush; topics side by side)   {ours:8.1f}")
        print(f"   zulip.Client send loop                              {theirs:8.1f}")
        print(f"   4 zulip.Clients at once (what this server takes)    {ceiling:8.1f}")
        print(f"   ratio outbox/zulip loop                             {ours / theirs:8.2f}")
        print(f"   ratio outbox/server's ceiling                       {ours / ceiling:8.2f}")
        limited = limited_throughput(args.messages, folder)
        print(f"   against a server limit of {limited['limit']} per {limited['window']:.0f} s (sliding): "
              f"{args.messages} messages ({limited['requests']} requests) in {limited['seconds']:.1f} s, where "
              f"the limit allows {limited['least']:.0f} s at best; {limited['rate_share'] * 100:.1f}% of the "
              f"limit's rate; {limited['429s']:.0f} answers 429")

        print_latencies(latencies(site, args.latency))

        edits = edit_latencies(site, args.edits, folder)
        print("4. Outbox.edit to the edit applied on the server (milliseconds)")
        print(f"   p50 {percentile(edits, 0.5) * 1e3:7.2f}  p99 {percentile(edits, 0.99) * 1e3:7.2f}")


if __name__ == "__main__":
    main()
