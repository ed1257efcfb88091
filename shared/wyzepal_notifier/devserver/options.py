"""The dev server's command-line options; argparse only, so ``--help`` works without aiohttp."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the dev server's options on ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=9991, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--db", default=None, help="SQLite file to keep data in (default: in memory)")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL:API_KEY",
        help="user to create (repeatable; without a key one is generated)",
    )
    parser.add_argument("--stream", action="append", default=[], metavar="NAME", help="channel to create (repeatable)")
    parser.add_argument(
        "--rate-limit", default=None, metavar="N/SECONDS", help="per-user rate limit, e.g. 200/60 (default: off)"
    )
    parser.add_argument("--heartbeat", type=float, default=50.0, help="seconds between event heartbeats")
    parser.add_argument("--queue-timeout", type=float, default=600.0, help="seconds before idle event queues expire")
