"""``wyzepal-integrations check``: is this config valid, and does it reach the server?"""
from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..config import load_settings
from ..errors import WyzePalError
from ..integration import Integration, integrations
from .common import EXIT_OK, EXIT_UNDELIVERED, error, exits_cleanly

if TYPE_CHECKING:
    from ..client.client import Client

_TOOL_FROM_FILENAME = re.compile(r"^wyzepal_(?P<tool>\w+?)_config\.py$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="validate a plugin config file (exit 0 valid, 2 not)",
        description="Validate wyzepal_<tool>_config.py by the schema of its integration. "
                    "With --ping, also log in and check that every channel it names exists.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="the config file to check")
    parser.add_argument("--ping", action="store_true", help="check the credentials and the channels on the server")
    parser.set_defaults(func=run)


@exits_cleanly
def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        integration = load_for_check(args.config)
    for warning in caught:
        print(f"warning: {warning.message}")
    described = ", ".join(conf.description for conf in integration.configurations)
    print(f"valid: {args.config} ({integration.name or 'WyzePal'} config; configurations: {described})")
    if args.ping and not ping(integration.client, integration):
        return EXIT_UNDELIVERED
    return EXIT_OK


def load_for_check(path: str) -> Integration:
    """Validate by the integration the file name points to, else by the common settings."""
    match = _TOOL_FROM_FILENAME.match(Path(path).name)
    tool: Optional[str] = match.group("tool") if match else None
    if tool:
        integrations.load_entry_points(only=tool)
    if tool and tool in integrations:
        return integrations.get(tool).load(explicit=path)
    settings = load_settings(tool or "generic", explicit=path)
    return Integration(settings)


def ping(client: Client, integration: Integration) -> bool:
    """Log in, then look for every channel the configurations send to; print a verdict."""
    try:
        me = client.get_profile()
        streams = {stream["name"] for stream in client.get_streams()}
    except WyzePalError as exc:
        error(f"ping failed: {exc}")
        return False
    print(f"credentials: OK, logged in to {client.site} as {me.get('full_name')} <{me.get('email')}>")
    wanted = sorted({conf.stream for conf in integration.configurations if conf.stream})
    missing = [name for name in wanted if name not in streams]
    for name in wanted:
        print(f"channel {name!r}: {'missing' if name in missing else 'OK'}")
    if missing:
        error(f"channel(s) {', '.join(missing)} do not exist on {client.site}; create them or fix "
              "STREAM_FOR_NOTIFICATIONS / CONFIGURATIONS")
        return False
    print("verdict: ready to deliver")
    return True
