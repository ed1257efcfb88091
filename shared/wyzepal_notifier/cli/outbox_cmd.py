"""``wyzepal-integrations outbox flush|status|retry``: look after a spool of undelivered messages.

Exit status: 0 all is well, 1 messages need attention (``flush``/``retry``: some are
still pending or dead; ``status``: some are dead, since pending ones are on their way),
2 bad usage (no spool at that path, not a spool).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import sys
import time
from typing import Iterator, Optional

from ..config import resolve_credentials
from ..errors import ConfigError
from ..outbox.detached import CLI_TOOL
from ..outbox.drain import DrainReport, drain
from ..outbox.paths import ENV_VAR, default_outbox_path
from ..outbox.redis_store import RedisStore, is_redis_url
from ..outbox.salvage import SpoolDamaged, salvage
from ..outbox.spool import Spool, SpoolStatus
from ..version import __version__
from .common import EXIT_OK, EXIT_UNDELIVERED, exits_cleanly

#: Seconds between progress lines while a backlog is delivered.
PROGRESS_EVERY = 1.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "outbox", help="deliver, inspect or retry messages waiting in an outbox spool",
        description="Messages queued by plugins or by 'send --outbox' wait in a spool until delivered.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    flush = _action(actions, "flush", "deliver the waiting messages now, showing progress", run_flush)
    flush.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                       help="stop after this long and leave the rest in the spool (default %(default)s)")
    status = _action(actions, "status", "counts by state, the oldest waiting message, the last error", run_status)
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    retry = _action(actions, "retry", "deliver dead messages again (after fixing the config)", run_retry)
    retry.add_argument("--id", type=int, action="append", dest="ids", metavar="N",
                       help="only this message (repeatable; ids are shown by 'outbox status')")
    retry.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                       help="stop delivering after this long (default %(default)s)")
    retry.add_argument("--config", metavar="FILE",
                       help="send as the bot of this config or wyzepalrc (after fixing its key); "
                            "default: as the bot that queued each message")
    _action(actions, "salvage", "move a damaged spool aside and keep its readable messages in a fresh one",
            run_salvage)
    _serve_parser(actions)


def _serve_parser(actions: argparse._SubParsersAction) -> None:
    """``outbox serve``: the shared outbox's delivery service (see outbox/REDIS.md)."""
    serve = actions.add_parser(
        "serve", help="deliver the site's shared outbox (Redis) from this machine; run it on any number",
        description="Deliver the messages every machine of the site appends to the shared outbox on Redis. "
                    "Order per topic and per message handle holds however many services run; the bots' keys "
                    "come from --config (never from Redis).")
    serve.add_argument("--outbox-url", metavar="URL", default=None,
                       help="the shared outbox, e.g. redis://host:6379/0 (default: $WYZEPAL_OUTBOX_URL)")
    serve.add_argument("--config", metavar="FILE", action="append", dest="configs", default=[],
                       help="a plugin config or wyzepalrc of a bot to send as (repeatable)")
    serve.add_argument("--concurrency", type=int, default=4, metavar="N",
                       help="topics delivered at once by this service (default %(default)s)")
    serve.add_argument("--lease", type=float, default=60.0, metavar="SECONDS",
                       help="a killed service's topics are taken over after this long (default %(default)s)")
    serve.add_argument("--rate-limit", default="", metavar="N/SECONDS",
                       help="each bot's limit before the server's first answer tells it, e.g. 200/60 "
                            "(default: none until the server says)")
    serve.set_defaults(func=run_serve)


def _action(actions: argparse._SubParsersAction, name: str, help_text: str, func) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
    parser.add_argument("--outbox", metavar="PATH",
                        help=f"the spool file (default: ${ENV_VAR}, else the spool of 'send --outbox')")
    parser.add_argument("--tool", metavar="ID", help="use the default spool of this plugin (trac, jenkins, git, ...)")
    parser.add_argument("--outbox-url", metavar="URL",
                        help="the site's shared outbox on Redis instead of a spool (redis://host:6379/0)")
    parser.set_defaults(func=func)
    return parser


@contextlib.contextmanager
def opened_spool(args: argparse.Namespace) -> Iterator[Spool]:
    """The named spool; a missing file is a usage error, not an empty spool (a typo must show)."""
    url = getattr(args, "outbox_url", None) or (args.outbox if is_redis_url(args.outbox) else None)
    if url:
        store = RedisStore(url)
        try:
            yield store  # type: ignore[misc]  # the same status and retry methods, site-wide
        finally:
            store.close()
        return
    spool = Spool(default_outbox_path(args.tool or CLI_TOOL, explicit=args.outbox), create=False)
    try:
        yield spool
    finally:
        spool.close()


@exits_cleanly
def run_flush(args: argparse.Namespace) -> int:
    with opened_spool(args) as spool:
        spool.wake_senders()  # someone asked for delivery now: skip the backoff waits
        if isinstance(spool, RedisStore):
            return _shared_summary(spool)
        return _summary(spool, _drain_with_progress(spool, args.timeout))


@exits_cleanly
def run_retry(args: argparse.Namespace) -> int:
    with opened_spool(args) as spool:
        sender = None
        if args.config:
            sender = spool.save_sender(resolve_credentials(args.config), "WyzePalCLI", __version__)
        count = spool.requeue_dead(args.ids or (), sender_id=sender)
        print(f"{count} dead message{'s' if count != 1 else ''} queued again")
        if isinstance(spool, RedisStore):
            return _shared_summary(spool)
        return _summary(spool, _drain_with_progress(spool, args.timeout))


@exits_cleanly
def run_salvage(args: argparse.Namespace) -> int:
    """What a plugin does by itself when its spool is damaged, for the admin who saw ``outbox status`` fail."""
    path = default_outbox_path(args.tool or CLI_TOOL, explicit=args.outbox)
    if not path.is_file():
        raise ConfigError("there is no outbox here", path=str(path), key="outbox",
                          fix="give the path of the damaged spool with --outbox")
    try:
        Spool(path, create=False).close()
        print(f"{path} is not damaged: nothing to do")
        return EXIT_OK
    except SpoolDamaged:
        pass
    result = salvage(path)
    print(result.describe())
    return EXIT_OK if not result.unreadable else EXIT_UNDELIVERED


@exits_cleanly
def run_status(args: argparse.Namespace) -> int:
    with opened_spool(args) as spool:
        status = spool.status()
    if args.json:
        print(json.dumps(status.as_dict(), indent=2))
    else:
        print(format_status(status))
    return EXIT_UNDELIVERED if status.dead else EXIT_OK


@exits_cleanly
def run_serve(args: argparse.Namespace) -> int:
    import os
    import signal
    import threading

    from ..errors import ConfigError
    from ..outbox.paths import URL_ENV
    from ..outbox.serve import load_credentials, serve

    url = args.outbox_url or os.environ.get(URL_ENV)
    if not url:
        raise ConfigError("is not given", path="the command line", key="--outbox-url",
                          fix=f"pass --outbox-url redis://host:6379/0 or set ${URL_ENV}")
    if not args.configs:
        raise ConfigError("is not given", path="the command line", key="--config",
                          fix="name the config (or wyzepalrc) of each bot this service sends as")
    rate = (0, 60.0)
    if args.rate_limit:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", args.rate_limit)
        if not match:
            raise ConfigError(f"is {args.rate_limit!r}", path="the command line", key="--rate-limit",
                              expected="N/SECONDS", fix="for example --rate-limit 200/60")
        rate = (int(match.group(1)), float(match.group(2)))
    credentials = load_credentials(args.configs)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serve(url, credentials, stop=stop, lease=args.lease, concurrency=args.concurrency, rate=rate)
    return EXIT_OK


def _shared_summary(store: RedisStore) -> int:
    """The shared outbox is delivered by ``outbox serve``: say what waits and what is dead."""
    status = store.status()
    print(f"{status.pending} waiting in {status.path} for 'wyzepal-integrations outbox serve', {status.dead} dead")
    return EXIT_UNDELIVERED if status.dead else EXIT_OK


def _drain_with_progress(spool: Spool, timeout: float) -> DrainReport:
    total = spool.pending_count()
    if total:
        print(f"delivering {total} message{'s' if total != 1 else ''} from {spool.path}", file=sys.stderr)
    shown = [time.monotonic()]

    def progress(report: DrainReport) -> None:
        if time.monotonic() - shown[0] >= PROGRESS_EVERY:
            shown[0] = time.monotonic()
            print(f"  {report.delivered} delivered, {report.remaining} to go", file=sys.stderr)

    return drain(spool, timeout=timeout, on_progress=progress)


def _summary(spool: Spool, report: DrainReport) -> int:
    status = spool.status()
    print(f"{report.delivered} delivered, {status.pending} still waiting, {status.dead} dead")
    if status.pending:
        why = {"deadline": "time ran out", "no progress": "the server did not accept them"}.get(report.stopped_by,
                                                                                              report.stopped_by)
        print(f"not all delivered ({why}); last error: {status.last_error or 'none'}", file=sys.stderr)
    if status.dead:
        print("dead messages need a fix first; see 'wyzepal-integrations outbox status' for the command that "
              "sends them once fixed", file=sys.stderr)
    return EXIT_UNDELIVERED if status.pending or status.dead else EXIT_OK


def format_status(status: SpoolStatus, now: Optional[float] = None) -> str:
    """The human-readable ``outbox status``."""
    now = time.time() if now is None else now
    lines = [
        f"outbox {status.path}",
        f"  pending:   {status.pending} ({status.in_flight} being sent, {status.waiting} waiting to retry)",
        f"  dead:      {status.dead}",
        f"  delivered: {status.delivered}",
    ]
    if status.oldest_pending is not None:
        lines.append(f"  oldest pending: queued {_ago(now - status.oldest_pending)} ago")
    if status.last_error:
        lines.append(f"  last error ({_ago(now - (status.last_error_at or now))} ago): {status.last_error}")
    lines.append(f"  last hour: {status.delivered_last_hour} delivered, {status.rate_limited_last_hour} rate-limited "
                 f"(429), {status.refused_last_hour} operations refused")
    for refusal in status.refusals[:5]:
        lines.append(f"  refused {refusal['operation']} of {refusal['handle']} ({_ago(now - refusal['at'])} ago): "
                     f"{refusal['reason']}")
    for alert in status.alerts[:5]:
        lines.append(f"  alert told ({alert['name']}) {_ago(now - alert['at'])} ago")
    for dead in status.dead_messages:
        lines.append(f"  dead #{dead['id']} to {dead['to']}: {dead['reason']}")
    if status.dead > len(status.dead_messages):
        lines.append(f"  ... and {status.dead - len(status.dead_messages)} more dead")
    if status.dead:
        lines.extend(retry_advice(status))
    return "\n".join(lines)


_KEY_REFUSED = re.compile(r"\b(401|403)\b|api key|unauthori[sz]ed|credential|deactivated", re.IGNORECASE)


def retry_advice(status: SpoolStatus) -> list[str]:
    """The retry command that works for these dead messages.

    A message keeps the key it was queued with: after a wrong key is fixed,
    ``retry`` must be told where the fixed one is (``--config``), or it sends
    with the old key again and the messages die again.
    """
    command = f"wyzepal-integrations outbox retry --outbox {shlex.quote(status.path)}"
    if is_redis_url(status.path):
        return ["  fix the cause (a bot's key: in the delivery service's --config, then restart 'outbox serve'),",
                f"  then: {command}"]
    if any(_KEY_REFUSED.search(str(dead.get("reason") or "")) for dead in status.dead_messages):
        return ["  the server refused the bot's key: fix WYZEPAL_API_KEY (or WYZEPAL_USER) in the config, then",
                f"  send them with the fixed key: {command} --config FILE",
                "  (FILE: the fixed plugin config or wyzepalrc; without --config the old key is used again)"]
    return [f"  fix the cause (e.g. create the channel), then: {command}"]


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
