"""``wyzepal-integrations demo``: the whole path of a notification, on this machine alone.

Starts the dev server on a free port, sends sample notifications the way plugins
do (safe formatting, configurations, the outbox) and prints what arrived.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
from typing import Any, Mapping

from ..formatting import bold, inline_code, link, plain, quote
from ..integration import Configuration, Integration
from ..message import Message
from .common import EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE, error

DEMO_USER = "demo-bot@example.com"
SAMPLES = [
    {"kind": "ticket", "id": 42, "summary": "@**all** login page is broken", "component": "security",
     "author": "alice", "url": "https://trac.example.com/ticket/42",
     "description": "Steps:\n1. open /login\n2. see a 500"},
    {"kind": "build", "job": "deploy-web", "number": 118, "result": "FAILURE", "url": "https://ci.example.com/job/deploy-web/118/",
     "culprit": "bob"},
    {"kind": "push", "branch": "main", "commits": [("3f2a9c1", "carol", "Fix `login` redirect"),
                                                   ("9b1e004", "dave", "Add tests for @**everyone** edge case")]},
]
ROUTES = [
    {"description": "security tickets", "conditions": {"kind": "ticket", "component": "security"},
     "stream": "security"},
    {"description": "builds", "conditions": {"kind": "build"}, "stream": "ci"},
    {"description": "everything", "stream": "general"},
]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the dev server and send sample notifications",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the dev server running afterwards (Ctrl-C stops)")
    parser.add_argument("--port", type=int, default=0, help="port of the dev server (default: a free one)")
    parser.add_argument("--config", nargs="+", default=[], metavar="FILE",
                        help="plugin configs whose channels and bots the dev server creates too (try them with --keep)")
    parser.set_defaults(func=run)


class DemoIntegration(Integration):
    integration_id = "demo"
    name = "Demo"
    description = "sample notifications"


def render(conf: Configuration, event: Mapping[str, Any]) -> Message:
    if event["kind"] == "ticket":
        topic = f"#{event['id']}: {event['summary']}"
        content = (f"{plain(event['author'])} created {link('#' + str(event['id']), event['url'])} "
                   f"{bold(event['summary'])}\n{quote(event['description'])}")
    elif event["kind"] == "build":
        topic = event["job"]
        content = (f":cross_mark: {link(event['job'] + ' #' + str(event['number']), event['url'])} "
                   f"{bold(event['result'])}, changes by {plain(event['culprit'])}")
    else:
        topic = event["branch"]
        lines = [f"* {inline_code(sha)} {plain(title)} ({plain(author)})" for sha, author, title in event["commits"]]
        content = f"{len(lines)} new commits on {inline_code(event['branch'])}:\n" + "\n".join(lines)
    return Message.to_stream(conf.stream, topic, content)


def run(args: argparse.Namespace) -> int:
    try:
        from ..devserver.runner import DevServer
        from ..devserver.seed import Seed, SeedError, channel_names, from_config
    except ImportError:
        from ..errors import install_command

        error(f"the demo needs the 'devserver' extra: {install_command('devserver')}")
        return EXIT_UNDELIVERED
    values = {"STREAM_FOR_NOTIFICATIONS": "general", "CONFIGURATIONS": ROUTES}
    seed = Seed(streams=channel_names(values))  # the channels the demo's routes name, as --config does
    try:
        for path in args.config:
            from_config(path, seed)
    except SeedError as exc:
        error(str(exc))
        return EXIT_USAGE
    # The demo's server lives as long as the demo: its spool does too (an earlier run's leftovers are for a
    # server long gone).
    with DevServer(port=args.port, streams=seed.streams) as server, tempfile.TemporaryDirectory() as spool_dir:
        for user in seed.users:
            server.add_user(user.email, user.key, user.full_name)
        email, key = server.add_user(DEMO_USER, full_name="Demo Bot")
        print(f"dev server running at {server.site}\n\nits wyzepalrc for {email}:\n{server.wyzepalrc(email)}")
        integration = DemoIntegration.from_values(
            {"WYZEPAL_SITE": server.site, "WYZEPAL_USER": email, "WYZEPAL_API_KEY": key,
             "OUTBOX_PATH": os.path.join(spool_dir, "demo-outbox.sqlite3"), **values}, "demo", env={})
        queued = sum(integration.notify(event, render) for event in SAMPLES)
        integration.close(timeout=15)
        arrived = server.messages()
        print(f"queued {queued} notifications from {len(SAMPLES)} events; {len(arrived)} arrived:\n")
        for message in arrived:
            print(f"#{message['display_recipient']} > {message['subject']}\n{_indent(message['content'])}\n")
        if not args.keep:
            print("To look for yourself, run 'wyzepal-integrations demo --keep': it keeps the server up and"
                  " prints the commands that read what arrived.")
        else:
            look = (f"curl -u {email}:{key} '{server.site}/api/v1/messages"
                    "?anchor=newest&num_before=10&num_after=0&apply_markdown=false'")
            print(f"Look for yourself (the API, as {email}): {look}")
            print(f"Or every stored message, no key needed: curl -s '{server.site}/devserver/messages'")
            print(f"Or watch them arrive in a browser on this machine (no key needed): {server.site}/")
            for user in seed.users:
                print(f"Your plugin config's bot {user.email} is here too: set WYZEPAL_SITE = '{server.site}' in it.")
            print(f"\nkeeping {server.site} up; Ctrl-C to stop", flush=True)  # a pipe must see it now
            _wait_forever()
        return EXIT_OK if len(arrived) == queued else EXIT_UNDELIVERED


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _wait_forever() -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
