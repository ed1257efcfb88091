"""Command line: ``python -m wyzepal_notifier.devserver`` or ``wyzepal-integrations devserver``.

``add_arguments`` (from ``options``, importable without aiohttp) and ``run`` let the
project's main CLI mount this as a sub-command.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, List, Optional, TextIO

from .options import add_arguments, realm_settings
from .ratelimit import parse_rate
from .responses import ApiError
from .runner import DevServer
from .settings import ZULIP_FEATURE_LEVEL

DEFAULT_BOT = "bot@example.com"


def build_server(args: argparse.Namespace) -> DevServer:
    """A DevServer from parsed options; with no users at all, one bot with a random key."""
    try:
        rate = parse_rate(args.rate_limit)
    except ValueError as exc:
        raise SystemExit(f"--rate-limit: {exc}") from None
    level = args.feature_level if args.feature_level is not None else ZULIP_FEATURE_LEVEL
    if not 1 <= level <= ZULIP_FEATURE_LEVEL:
        raise SystemExit(f"--feature-level: {level} is not between 1 and {ZULIP_FEATURE_LEVEL}")
    try:
        server = DevServer(
            host=args.host,
            port=args.port,
            db=args.db,
            rate_limit=rate,
            heartbeat_seconds=args.heartbeat,
            queue_timeout=args.queue_timeout,
            feature_level=level,
            realm=realm_settings(args),
        )
    except ApiError as exc:
        raise SystemExit(f"devserver: {exc.msg}") from None
    for name in args.stream or ([] if server.store.streams() else ["general"]):
        server.add_stream(name)
    for spec in args.user:
        email, _, key = spec.partition(":")
        server.add_user(email, key or None)
    if not server.store.users():
        server.add_user(DEFAULT_BOT)
    return server


def describe(server: DevServer, out: TextIO) -> None:
    """Print the site and a ready wyzepalrc per user."""
    out.write(f"WyzePal dev server listening on {server.site}\n")
    streams = ", ".join(s.name for s in server.store.streams()) or "(none)"
    out.write(f"Channels: {streams}\n")
    for email, _ in server.credentials():
        out.write(f"\n# wyzepalrc for {email}\n{server.wyzepalrc(email)}")
    out.write("\nPress Ctrl+C to stop.\n")
    out.flush()


def run(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    """Serve until SIGINT or SIGTERM; returns the exit status."""
    out = out or sys.stdout
    server = build_server(args)
    stop = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            server.start()
        except OSError as exc:
            sys.stderr.write(f"cannot listen on {args.host}:{args.port}: {exc}\n")
            return 1
        describe(server, out)
        while not stop.wait(0.5):
            pass
        out.write("Stopping.\n")
        return 0
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Optional[List[str]] = None, **kwargs: Any) -> int:
    """Entry point of ``python -m wyzepal_notifier.devserver``."""
    parser = argparse.ArgumentParser(
        prog="wyzepal-devserver", description="Run a WyzePal-compatible server for development and tests."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv), **kwargs)
