"""``wyzepal-integrations``: one entry, a module per subcommand.

Exit status: 0 success, 1 a failure to deliver, 2 bad usage or a bad config.
Each subcommand module has ``register(subparsers)`` which adds its parser and
sets ``func(args) -> int``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from .options import add_verbose, add_verbose_everywhere, command_parser, plugin_commands_epilog, setup_logging

EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE = 0, 1, 2

#: Subcommand modules in ``wyzepal_notifier.cli``, in the order ``--help`` lists them.
SUBCOMMANDS = ("send", "check", "template_cmd", "list_cmd", "outbox_cmd", "devserver_cmd", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "wyzepal-integrations",
        "Send notifications to WyzePal, check plugin configs, run a local dev server.",
        epilog=plugin_commands_epilog(),
    )
    add_verbose(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        # No try: a subcommand that fails to import is a broken install, and hiding it
        # would leave the user with a shorter --help and no idea why.
        module = importlib.import_module(f"{__package__}.{name}")
        module.register(subparsers)
    add_verbose_everywhere(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, "wyzepal-integrations")
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
