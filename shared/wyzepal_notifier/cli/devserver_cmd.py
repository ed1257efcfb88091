"""``wyzepal-integrations devserver``: the embedded WyzePal-compatible server."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..devserver.options import add_arguments  # argparse only: no aiohttp at CLI start

    parser = subparsers.add_parser(
        "devserver", help="run a local WyzePal-compatible server (for trying things out and tests)",
        description="Run the embedded dev server. It prints its site and a ready wyzepalrc for each user.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..devserver.cli import run as run_devserver
    except ImportError:
        from ..errors import install_command
        from .common import EXIT_USAGE, error

        error(f"the dev server needs the 'devserver' extra: {install_command('devserver')}")
        return EXIT_USAGE
    return run_devserver(args) or 0
