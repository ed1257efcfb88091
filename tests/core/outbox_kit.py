"""What the outbox tests share: the dev server's bot, short waits, an outbox for it (``spool_path``: conftest)."""
from __future__ import annotations

from wyzepal_notifier import Credentials, RetryPolicy
from wyzepal_notifier.outbox import Outbox

BOT, KEY = "bot@example.com", "x" * 32  # the conftest's devserver bot
#: Short waits so outages of a second are ridden out quickly.
FAST = {"backoff": RetryPolicy(base=0.05, cap=0.3), "call_retry": RetryPolicy(budget=0.5, base=0.05, cap=0.1)}


def make_outbox(server, path, **options) -> Outbox:
    """An outbox of the dev server's bot with short waits (``courier_options`` replace them)."""
    options.setdefault("courier_options", FAST)
    return Outbox(path, Credentials(server.site, BOT, KEY), client_name="OutboxTest", **options)
