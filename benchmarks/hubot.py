"""Hubot on WyzePal: round trip from a message on the dev server to Hubot's answer stored there.

Side by side in one run, against the same dev server:

- ``library bot``: the floor, a Python process answering with the library alone
  (``EventStream`` in, ``Client.send_message`` out);
- ``hubot``: a real Hubot 14 with the hubot-wyzepal adapter and the bridge.

Alice posts ``@**Hubot** ping N`` and waits (on her own event queue) for ``PONG N``;
p50/p99 of the round trip over ``--messages`` pings, the ratio to the floor, and
the resident memory of each process (now / peak).

    npm ci --prefix tests/hubot --install-links     # Hubot 14 and the adapter, once
    python benchmarks/hubot.py [--messages 200]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "hubot"))

from hubot_harness import ALICE, HUBOT  # noqa: E402
from hubot_process import HubotRun, memory_kib  # noqa: E402
from wyzepal_notifier import Client, Message  # noqa: E402
from wyzepal_notifier.events import EventStream, stop_on_signals  # noqa: E402

if TYPE_CHECKING:
    from wyzepal_notifier.devserver import DevServer

BENCH_SCRIPT = """\
export default robot => {
  robot.respond(/ping (\\d+)$/i, res => res.send(`PONG ${res.match[1]}`))
}
"""


def library_bot(site: str) -> None:
    """``--library-bot``: answer ``ping N`` with ``PONG N`` using the library alone."""
    client = Client(site, HUBOT[0], HUBOT[1])
    stop = threading.Event()
    with stop_on_signals(stop), EventStream(client, ["message"], stop=stop) as stream:
        for message in stream.messages():
            words = message["content"].split()
            if message["sender_email"] != HUBOT[0] and len(words) == 3 and words[1] == "ping":
                client.send_message(Message.to_stream(message["display_recipient"], message["subject"],
                                                      f"PONG {words[2]}"))


class Answers:
    """Alice's own event queue: when each ``PONG N`` reached the server."""

    def __init__(self, server: DevServer) -> None:
        self.seen: dict[str, float] = {}
        self.arrived = threading.Condition()
        self.stream = EventStream(Client(server.site, ALICE["email"], ALICE["api_key"]), ["message"])
        threading.Thread(target=self._listen, daemon=True).start()
        while self.stream.registrations == 0:
            time.sleep(0.01)

    def _listen(self) -> None:
        for message in self.stream.messages():
            if message["sender_email"] == HUBOT[0]:
                with self.arrived:
                    self.seen[(message["subject"], message["content"])] = time.perf_counter()
                    self.arrived.notify_all()

    def wait_for(self, topic: str, content: str, timeout: float = 30.0) -> float:
        with self.arrived:
            if not self.arrived.wait_for(lambda: (topic, content) in self.seen, timeout):
                raise RuntimeError(f"no {content!r} in {topic!r} within {timeout} s")
            return self.seen[(topic, content)]


def round_trips(server: DevServer, answers: Answers, topic: str, count: int) -> list[float]:
    ping = lambda n: server.send_message(ALICE["email"], "general", f"@**Hubot** ping {n}", topic=topic)  # noqa: E731
    ping("1000000")
    answers.wait_for(topic, "PONG 1000000")  # warm-up
    times = []
    for number in range(count):
        started = time.perf_counter()
        ping(str(number))
        times.append(answers.wait_for(topic, f"PONG {number}") - started)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(name: str, server: DevServer, answers: Answers, count: int, start: Callable[[], Callable[[], dict]]):
    memory = start()
    times = round_trips(server, answers, name, count)
    return name, times, memory()


def kib(now_peak: tuple[int, int]) -> str:
    return f"{now_peak[0] / 1024:.1f} / {now_peak[1] / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--library-bot", metavar="SITE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.library_bot:
        library_bot(args.library_bot)
        return
    from wyzepal_notifier.devserver import DevServer  # not in the library bot's process: its memory is measured

    server = DevServer(users=[HUBOT, ALICE], streams=["general"]).start()
    answers = Answers(server)
    results, cleanups = [], []
    try:
        def start_library_bot():
            before = set(server.queue_ids())
            proc = subprocess.Popen([sys.executable, __file__, "--library-bot", server.site])
            cleanups.append(lambda: (proc.terminate(), proc.wait(10)))
            while not set(server.queue_ids()) - before:
                time.sleep(0.02)
            return lambda: {"library bot (python)": memory_kib(proc.pid)}

        def start_hubot():
            folder = Path(tempfile.mkdtemp(prefix="hubot-bench-"))
            run = HubotRun(server, folder, script=BENCH_SCRIPT, HUBOT_LOG_LEVEL="warn")
            cleanups.append(run.stop)
            run.wait_until_listening()
            bridge = run.bridge_pid()
            return lambda: {"hubot (node, adapter)": run.rss_kib(), "bridge (python)": memory_kib(bridge)}

        results.append(measure("library bot", server, answers, args.messages, start_library_bot))
        cleanups.pop()()
        results.append(measure("hubot", server, answers, args.messages, start_hubot))
    finally:
        for cleanup in cleanups:
            cleanup()
        answers.stream.close()
        server.close()
    report(results, args.messages)


def report(results: list, count: int) -> None:
    floor = percentile(results[0][1], 0.5)
    print(f"round trip: @**Hubot** ping posted -> PONG stored, {count} messages, sequential")
    print(f"{'':14} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'p50 ratio':>10}")
    for name, times, _ in results:
        p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
        print(f"{name:14} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {statistics.mean(times) * 1000:8.1f} "
              f"{p50 / floor:9.2f}x")
    print("resident memory (now / peak):")
    for _, _, memory in results:
        for process, now_peak in memory.items():
            print(f"  {process:24} {kib(now_peak)}")


if __name__ == "__main__":
    main()
