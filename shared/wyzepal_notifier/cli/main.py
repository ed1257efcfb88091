"""``wyzepal-integrations``: one entry, a module per subcommand.

Exit status: 0 success, 1 a failure to deliver, 2 bad usage or a bad config.
Each subcommand module has ``register(subparsers)`` which adds its parser and
sets ``func(args) -> int``.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from ..version import __version__

EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE = 0, 1, 2

#: Subcommand modules in ``wyzepal_notifier.cli``, in the order ``--help`` lists them.
SUBCOMMANDS = ("send", "check", "template_cmd", "list_cmd", "outbox_cmd", "devserver_cmd", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wyzepal-integrations",
        description="Send notifications to WyzePal, check plugin configs, run a local dev server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (never the API key)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ImportError as exc:
            if exc.name and exc.name.startswith(f"{__package__}.{name}"):
                continue  # a subcommand not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head or less, which quit early
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
