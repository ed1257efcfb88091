"""Command line: ``python -m wyzepal_notifier.devserver`` or ``wyzepal-integrations devserver``.

``add_arguments`` (from ``options``, importable without aiohttp) and ``run`` let the
project's main CLI mount this as a sub-command.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, List, Mapping, Optional, TextIO

from .hostcheck import LOOPBACK_NAMES, WILDCARDS, machine_names
from .options import add_arguments, realm_settings
from .ratelimit import parse_rate
from .responses import ApiError
from .runner import DevServer
from .seed import Seed, SeedError, parse_person, parse_user, users_from_env, users_from_file
from .seed import from_config as seed_from_config
from .settings import ZULIP_FEATURE_LEVEL

DEFAULT_BOT = "bot@example.com"


def build_seed(args: argparse.Namespace, env: Optional[Mapping[str, str]] = None) -> Seed:
    """Channels and users from ``--stream``, ``--config``, ``--user``, ``--users-file``, ``--person``
    and ``$WYZEPAL_DEVSERVER_USERS``; a bad one is one clear ``SystemExit`` line."""
    seed = Seed()
    try:
        for name in args.stream:
            seed.add_stream(name)
        for path in (p for group in args.config for p in group):
            seed_from_config(path, seed)
        seed.users.extend(users_from_env(env))
        for path in args.users_file:
            seed.users.extend(users_from_file(path))
        seed.users.extend(parse_user(spec) for spec in args.user)
        seed.users.extend(parse_person(spec) for spec in args.person)
    except SeedError as exc:
        raise SystemExit(str(exc)) from None
    return seed


def build_server(args: argparse.Namespace, env: Optional[Mapping[str, str]] = None) -> DevServer:
    """A DevServer from parsed options; with no users at all, one bot with a random key.

    Without ``--stream``/``--config`` (and an empty database) there is only ``general``.
    """
    try:
        rate = parse_rate(args.rate_limit)
    except ValueError as exc:
        raise SystemExit(f"--rate-limit: {exc}") from None
    level = args.feature_level if args.feature_level is not None else ZULIP_FEATURE_LEVEL
    if not 1 <= level <= ZULIP_FEATURE_LEVEL:
        raise SystemExit(f"--feature-level: {level} is not between 1 and {ZULIP_FEATURE_LEVEL}")
    seed = build_seed(args, env)
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
            allowed_hosts=args.allow_host,
        )
        for name in seed.streams or ([] if server.store.streams() else ["general"]):
            server.add_stream(name)
        for user in seed.users:
            server.add_user(user.email, user.key, user.full_name, bot=user.bot)
            if user.key is not None:
                server.given_keys.add(user.email.lower())
        if not server.store.users():
            server.add_user(DEFAULT_BOT)
    except ApiError as exc:
        raise SystemExit(f"devserver: {exc.msg}") from None
    return server


def describe(server: DevServer, out: TextIO) -> None:
    """Print where it listens, the channels, a wyzepalrc per user and how to read what arrived.

    Keys the user supplied are not printed again (they may sit in a shared terminal log).
    """
    out.write(f"WyzePal dev server listening on {server.site}\n")
    if server.host in WILDCARDS:
        names = ", ".join(sorted(n for n in machine_names() if n not in LOOPBACK_NAMES)) or "this machine's addresses"
        out.write(
            f"  bound to {server.host or '*'}:{server.port}: every interface, reachable from other machines"
            f" as {names} (port {server.port})\n"
            "  WARNING: no TLS, and the /devserver/ control endpoints have no authentication: anyone who can"
            " reach this port can create users and post as anyone. Use --host 127.0.0.1 unless you need this.\n"
        )
    streams = ", ".join(s.name for s in server.store.streams()) or "(none)"
    out.write(f"Channels: {streams} (others: --stream NAME or --config PLUGIN_CONFIG)\n")
    for email, _ in server.credentials():
        rc = server.wyzepalrc(email)
        if email.lower() in server.given_keys:
            rc = "".join("key=(the key you gave)\n" if line.startswith("key=") else line + "\n"
                         for line in rc.splitlines())
        out.write(f"\n# wyzepalrc for {email}\n{rc}")
    out.write(
        f"\nWhat arrived: curl -s '{server.site}/devserver/messages'"
        f"  (one channel: ?stream=NAME&topic=NAME; as JSON, raw Markdown)\n"
    )
    out.write("Press Ctrl+C to stop.\n")
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
