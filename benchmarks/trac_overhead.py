"""What the Trac plugin costs the person saving a ticket, measured as ratios in one run.

Four real tracd processes on loopback, each with its own environment: one
without the plugin, and three with it, whose WyzePal server is healthy, slow
(every ``POST /messages`` answered after 2 s) or down (nothing listens). Each
round sends one request to each of the four, in a shuffled order, and divides
each plugin server's time by the plugin-free server's time of the same round;
the figure is the median of those per-round ratios (so a moment when the machine
is busy costs every server of that round alike).

Two kinds of rounds: ``POST /newticket`` (the new-ticket form with its
``__FORM_TOKEN``, answered by Trac's 303), and ``POST /batchmodify`` of 20
tickets (the batch form under a query; one message per configuration).

The plugin only writes messages to its spool; a delivery process of each
environment's own sends them, so the server's state should not show in these
times.

Run: ``python benchmarks/trac_overhead.py [--rounds 60]`` with Trac 1.6 and the
package installed (``pip install -e '.[trac,devserver]'``: tracd loads the plugin
through its ``trac.plugins`` entry point).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "trac"))

from tracd_rig import TracServer, free_port, trac_admin  # noqa: E402 - the test rig, found through the line above
from tracrig import BOT_EMAIL, BOT_KEY  # noqa: E402
from wyzepal_notifier.devserver import DevServer  # noqa: E402

SLOW = 2.0
BATCH = 20
WARM_UP = 10
LABELS = {"without": "without the plugin", "healthy": "with the plugin, server healthy",
          "slow": f"with the plugin, server slow ({SLOW:.0f} s)", "down": "with the plugin, server down"}


class Bench:
    """One tracd with a logged-in session, its form token and (for batches) its 20 tickets."""

    def __init__(self, root: Path, site: str, plugin: bool) -> None:
        self.server = TracServer(root, site)
        if not plugin:
            trac_admin(self.server.env_path, "config", "set", "components", "wyzepal_trac.*", "disabled")
        try:
            self.server.start()
            self.session = self.server.login()
            self.token = self.server.form(self.session, "/newticket")["__FORM_TOKEN"]
        except BaseException:
            self.server.stop()  # a tracd that started but did not answer in time must not outlive the run
            raise
        self.tickets: list[int] = []
        self.posts = 0

    def new_ticket(self) -> float:
        self.posts += 1
        started = time.perf_counter()
        response = self.session.post(self.server.url + "/newticket", allow_redirects=False, timeout=60, data={
            "__FORM_TOKEN": self.token, "field_summary": f"bench {self.posts}",
            "field_description": "A '''bench''' ticket, see #1.", "submit": "Create"})
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            raise RuntimeError(f"POST /newticket answered {response.status_code}")
        self.tickets.append(int(response.headers["Location"].rsplit("/", 1)[1]))
        return elapsed

    def batch_modify(self, priority: str) -> float:
        started = time.perf_counter()
        response = self.session.post(self.server.url + "/batchmodify", allow_redirects=False, timeout=60, data={
            "__FORM_TOKEN": self.token, "selected_tickets": ",".join(map(str, self.tickets[:BATCH])),
            "batchmod_value_priority": priority, "batchmod_value_comment": "Triaged.", "action": "leave",
            "query_href": "/query"})
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            raise RuntimeError(f"POST /batchmodify answered {response.status_code}")
        return elapsed

    def stop(self) -> None:
        self.server.stop()


def run_rounds(benches: dict[str, Bench], rounds: int, measure) -> dict[str, list[float]]:
    """``measure(bench, round)`` for every bench per round, shuffled; the seconds by bench."""
    order = list(benches)
    rng = random.Random(42)
    times: dict[str, list[float]] = {name: [] for name in benches}
    for number in range(rounds):
        rng.shuffle(order)
        for name in order:
            times[name].append(measure(benches[name], number))
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    base = times["without"]
    print(f"{title}: {len(base)} interleaved rounds (Trac 1.6, Python {sys.version.split()[0]})")
    print(f"  {LABELS['without']:<40} median {statistics.median(base) * 1000:7.1f} ms")
    for name in ("healthy", "slow", "down"):
        ratios = [mine / theirs for mine, theirs in zip(times[name], base)]
        print(f"  {LABELS[name]:<40} median {statistics.median(times[name]) * 1000:7.1f} ms   "
              f"median ratio x{statistics.median(ratios):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds of each kind (at least 60)")
    rounds = parser.parse_args().rounds
    users = [(BOT_EMAIL, BOT_KEY, "Trac Bot")]
    healthy_chat = DevServer(users=users, streams=["trac"]).start()
    slow_chat = DevServer(users=users, streams=["trac"]).start()
    slow_chat.faults.delay(SLOW, path="messages")
    down_site = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    sites = {"without": healthy_chat.site, "healthy": healthy_chat.site, "slow": slow_chat.site, "down": down_site}
    benches: dict[str, Bench] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name, site in sites.items():
                benches[name] = Bench(Path(tmp) / name, site, plugin=name != "without")
            run_rounds(benches, max(WARM_UP, BATCH), lambda bench, _: bench.new_ticket())  # warm up, file 20
            tickets = run_rounds(benches, rounds, lambda bench, _: bench.new_ticket())
            priorities = ("minor", "major")
            batches = run_rounds(benches, rounds, lambda bench, n: bench.batch_modify(priorities[n % 2]))
            queued = benches["healthy"].posts + rounds  # a message per ticket, one per batch
            arrived = len(healthy_chat.wait_for_messages(queued, timeout=120))
        finally:
            for bench in benches.values():
                bench.stop()
            healthy_chat.close()
            slow_chat.close()
    report("POST /newticket", tickets)
    report(f"POST /batchmodify of {BATCH} tickets", batches)
    print(f"  messages the healthy server got: {arrived} of {queued}")


if __name__ == "__main__":
    main()
