"""What the Trac plugin costs the person filing a ticket, side by side in one run.

Each row is the median wall time of ``POST /newticket`` (the web form, with its
``__FORM_TOKEN``, answered by Trac's 303) in a real tracd on loopback: without
the plugin, then with it and the WyzePal dev server healthy, slow (every answer
held 2 s) and down. Ratios are to the run without the plugin. The plugin only
writes the message to the outbox spool; a background thread delivers it, so the
server's state should not show in the form's time.

Run: ``PYTHONPATH=shared:plugins/trac python benchmarks/trac_overhead.py [--runs 15]``
with Trac 1.6 installed (``pip install '.[trac,devserver]'``); the plugin must be
installed (its ``trac.plugins`` entry point) for tracd to load it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "trac"))

from tracd_rig import TracServer, trac_admin  # noqa: E402 - the test rig, found through the line above
from tracrig import BOT_EMAIL, BOT_KEY  # noqa: E402
from wyzepal_notifier.devserver import DevServer  # noqa: E402

SLOW = 2.0


def post_times(server: TracServer, session, token: str, runs: int) -> list[float]:
    """Seconds per ``POST /newticket``, after two unmeasured ones (Trac reloads trac.ini, the plugin its config)."""
    samples = []
    for number in range(runs + 2):
        started = time.perf_counter()
        response = session.post(server.url + "/newticket", allow_redirects=False, timeout=60,
                                data={"__FORM_TOKEN": token, "field_summary": f"bench {number}",
                                      "field_description": "A '''bench''' ticket, see #1.", "submit": "Create"})
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            raise RuntimeError(f"POST /newticket answered {response.status_code}")
        if number >= 2:
            samples.append(elapsed)
    return samples


def plugin_enabled(server: TracServer, on: bool) -> None:
    trac_admin(server.env_path, "config", "set", "components", "wyzepal_trac.*", "enabled" if on else "disabled")


def row(label: str, samples: list[float], base: float | None = None) -> float:
    value = statistics.median(samples) * 1000
    ratio = f"  x{value / base:5.2f}  ({value - base:+6.1f} ms)" if base else ""
    print(f"  {label:<40} {value:8.1f} ms{ratio}")
    return value


class Scenarios:
    """The four states, set up in turn; rounds alternate them so Trac's warming up does not favour one."""

    def __init__(self, server: TracServer, chat: DevServer) -> None:
        self.server, self.chat = server, chat

    def without_plugin(self) -> None:
        self._chat_healthy()
        plugin_enabled(self.server, False)

    def healthy(self) -> None:
        self._chat_healthy()
        plugin_enabled(self.server, True)

    def slow(self) -> None:
        self.healthy()
        self.chat.faults.delay(SLOW, path="messages")

    def down(self) -> None:
        self.healthy()
        self.chat.stop()

    def _chat_healthy(self) -> None:
        self.chat.faults.clear()
        self.chat.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="POSTs per row (in three rounds)")
    runs_per_round = max(1, parser.parse_args().runs // 3)
    chat = DevServer(users=[(BOT_EMAIL, BOT_KEY, "Trac Bot")], streams=["trac"]).start()
    labels = {"without_plugin": "without the plugin", "healthy": "with the plugin, server healthy",
              "slow": f"with the plugin, server slow ({SLOW:.0f} s)", "down": "with the plugin, server down"}
    samples: dict[str, list[float]] = {name: [] for name in labels}
    with tempfile.TemporaryDirectory() as tmp:
        server = TracServer(Path(tmp), chat.site).start()
        try:
            session = server.login()
            token = server.form(session, "/newticket")["__FORM_TOKEN"]
            scenarios = Scenarios(server, chat)
            post_times(server, session, token, 10)  # warm Trac up
            for _ in range(3):
                for name in labels:
                    getattr(scenarios, name)()
                    samples[name] += post_times(server, session, token, runs_per_round)
            scenarios.healthy()
            queued = 9 * (runs_per_round + 2) + 12  # every POST with the plugin enabled
            arrived = len(chat.wait_for_messages(queued, timeout=120))
        finally:
            server.stop()
            chat.close()
    print(f"POST /newticket in tracd, median of {3 * runs_per_round} (Trac 1.6, Python {sys.version.split()[0]})")
    base = row(labels["without_plugin"], samples["without_plugin"])
    for name in ("healthy", "slow", "down"):
        row(labels[name], samples[name], base)
    print(f"  messages delivered in the end: {arrived} of {queued} (slow and down ones included)")


if __name__ == "__main__":
    main()
