"""Kill the outbox worker at random instants mid-delivery, many times; count what was lost or sent twice.

    python benchmarks/kill_stress.py [--kills 200] [--messages 400]

The dev server stores each message at once and answers 50 ms later, so a kill in
between leaves a message the worker did not record: the case a naive resend
turns into a duplicate. The worker is started again after each kill (a real
host would start it at its next run) until every message is delivered; then the
messages on the server are counted. ``--naive`` shows what happens without the
check of earlier tries (the worker of before), side by side.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _devserver import BENCH_KEY, BENCH_USER
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.devserver import DevServer
from wyzepal_notifier.outbox import Spool

NAIVE = ("import sys; from wyzepal_notifier.outbox import once; once.SendOnce.arrived = lambda *a: None; "
         "from wyzepal_notifier.outbox.worker import main; sys.exit(main())")


def trial(kills: int, messages: int, naive: bool, seed: int) -> dict[str, int]:
    with DevServer(users=[(BENCH_USER, BENCH_KEY)], streams=["bench"]) as server, \
            tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spool.sqlite3"
        spool = Spool(path)
        sender = spool.save_sender(Credentials(server.site, BENCH_USER, BENCH_KEY), "KillStress", "1")
        expected = [f"t{n % 4}-{n}" for n in range(messages)]
        for text in expected:
            spool.append(sender, Message.to_stream("bench", text.split("-")[0], text).checked())
        spool.close()
        server.faults.delay_answer(0.05, path="messages", method="POST")
        rng = random.Random(seed)
        module = ["-c", NAIVE] if naive else ["-m", "wyzepal_notifier.outbox.worker"]
        command = [sys.executable, *module, "--outbox", str(path), "--give-up-after", "30"]
        done = 0
        while done < kills:
            worker = subprocess.Popen(command, env=dict(os.environ))
            time.sleep(rng.uniform(0.25, 0.8))  # the worker takes about 0.25 s to start sending
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                done += 1
            worker.wait(10)
            if not Spool(path).pending_count():
                spool = Spool(path)  # refill: every kill should land mid-delivery
                for text in [f"r{done}-{n}" for n in range(20)]:
                    spool.append(sender, Message.to_stream("bench", "refill", text).checked())
                    expected.append(text)
                spool.close()
        subprocess.run(command, env=dict(os.environ), timeout=300, check=True)
        counts = collections.Counter(m["content"] for m in server.messages("bench"))
    return {"kills": done, "queued": len(expected), "delivered": len(counts),
            "lost": len(set(expected) - set(counts)), "duplicates": sum(n - 1 for n in counts.values() if n > 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--naive", action="store_true", help="also run the worker without the check, for contrast")
    args = parser.parse_args()
    rows = [("outbox worker (send once)", trial(args.kills, args.messages, False, 1))]
    if args.naive:
        rows.append(("naive resend (no check)", trial(args.kills, args.messages, True, 1)))
    print(f"{'':28} {'kills':>6} {'queued':>7} {'lost':>5} {'duplicates':>10}")
    for name, row in rows:
        print(f"{name:28} {row['kills']:6d} {row['queued']:7d} {row['lost']:5d} {row['duplicates']:10d}")


if __name__ == "__main__":
    main()
