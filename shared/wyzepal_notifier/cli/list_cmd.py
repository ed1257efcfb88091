"""``wyzepal-integrations list``: the integrations installed here."""
from __future__ import annotations

import argparse

from ..errors import install_command
from ..integration import integrations
from .common import EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list the installed integrations",
                                   description="List the integrations installed (entry point group "
                                               "wyzepal.integrations).")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    integrations.load_entry_points()
    found = list(integrations)
    if not found and not integrations.failed:
        print(f"no integrations installed; install one: {install_command('trac')}")
    for cls in found:
        print(f"{cls.integration_id:<10} {cls.name} {cls.version}: {cls.description}")
        print(f"{'':<10} config file: wyzepal_{cls.integration_id}_config.py")
    for name, why in sorted(integrations.failed.items()):
        print(f"{name:<10} not usable here: {why}")
    return EXIT_OK
