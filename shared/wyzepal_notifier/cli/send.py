"""``wyzepal-integrations send``: one message from a shell, a cron job or a hook."""
from __future__ import annotations

import argparse
import logging
import sys

from ..message import Message
from .common import EXIT_OK, EXIT_USAGE, add_credentials_arguments, client_from, credentials_from, error, exits_cleanly

log = logging.getLogger("wyzepal_notifier.cli.send")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "send", help="send a message to a channel and topic, or to people",
        description="Send a message. Content comes from --content or, when left out, from standard input.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stream", "--channel", dest="stream", metavar="NAME", help="the channel")
    target.add_argument("--to", action="append", metavar="EMAIL", help="a person, for a direct message (repeatable)")
    parser.add_argument("--topic", metavar="NAME", help="the topic (required with --stream)")
    parser.add_argument("--content", metavar="TEXT", help="the message; read from standard input when left out")
    parser.add_argument("--outbox", nargs="?", const="", metavar="PATH",
                        help="queue the message in the durable outbox and return at once; a background "
                             "worker delivers it (default spool when PATH is left out)")
    add_credentials_arguments(parser)
    parser.set_defaults(func=run)


@exits_cleanly
def run(args: argparse.Namespace) -> int:
    if args.stream and not args.topic:
        error("--topic is required with --stream")
        return EXIT_USAGE
    content = args.content if args.content is not None else sys.stdin.read()
    message = (Message.to_stream(args.stream, args.topic, content) if args.stream
               else Message.direct(args.to, content)).checked()
    credentials = credentials_from(args)
    where = f"#{message.stream} > {message.topic}" if message.stream else ", ".join(message.to)
    log.info("credentials from %s: %s on %s", credentials.source or "the environment", credentials.email,
             credentials.site)
    if args.outbox is not None:
        from ..outbox import enqueue_detached

        enqueue_detached(message, credentials, args.outbox or None)
        log.info("queued %d characters to %s in the outbox; a background worker delivers them",
                 len(message.content), where)
        return EXIT_OK
    log.info("sending %d characters to %s", len(message.content), where)
    with client_from(args) as client:
        result = client.send_message(message)
    print(f"sent message {result.get('id')}")
    return EXIT_OK
