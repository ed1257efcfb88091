"""``wyzepal-integrations check``: is this config valid, and does it reach the server?"""
from __future__ import annotations

import argparse
import logging
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..config import load_settings
from ..config.settings import AssumedSchemeWarning
from ..errors import ConfigError, WyzePalError
from ..integration import Integration, integrations
from .common import EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE, error, exits_cleanly

if TYPE_CHECKING:
    from ..client.client import Client

log = logging.getLogger("wyzepal_notifier.cli.check")
_TOOL_FROM_FILENAME = re.compile(r"^wyzepal_(?P<tool>\w+?)_config\.py$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="validate a plugin config file (exit 0 valid, 2 not)",
        description="Validate a plugin's config file by the schema of its plugin: the one --tool names, "
                    "else the one its file name (wyzepal_TOOL_config.py) names. With --ping, also log in "
                    "and check that every channel it names exists.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="the config file to check")
    parser.add_argument("--tool", metavar="TOOL",
                        help="the plugin whose settings the file holds (trac, jenkins, hubot, git, svn); "
                             "default: the TOOL in the file name wyzepal_TOOL_config.py")
    parser.add_argument("--ping", action="store_true", help="check the credentials and the channels on the server")
    parser.set_defaults(func=run)


@exits_cleanly
def run(args: argparse.Namespace) -> int:
    tool = args.tool or tool_from_filename(args.config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        integration = load_for_check(args.config, tool, named=bool(args.tool))
    if tool and integration.integration_id == tool:
        schema = f"the {integration.name} plugin's settings" + ("" if args.tool else " (from the file name)")
    else:
        schema = "the common settings only (name the plugin with --tool to check its own settings too)"
    print(f"checked {args.config} against {schema}")
    log.info("read %s; configurations: %s", args.config, ", ".join(c.description for c in integration.configurations))
    problems = [w for w in caught if issubclass(w.category, AssumedSchemeWarning)]
    for warning in caught:
        print(f"{'error' if warning in problems else 'warning'}: {warning.message}")
    if problems:  # it loads, but the first message would fail with a TLS error far from the cause
        error(f"{args.config} is not ready: fix WYZEPAL_SITE as said above")
        return EXIT_USAGE
    described = ", ".join(conf.description for conf in integration.configurations)
    print(f"valid: {args.config} ({integration.name or 'WyzePal'} config; configurations: {described})")
    if args.ping and not ping(quick_client(integration), integration):
        return EXIT_UNDELIVERED
    return EXIT_OK


def tool_from_filename(path: str) -> Optional[str]:
    match = _TOOL_FROM_FILENAME.match(Path(path).name)
    return match.group("tool") if match else None


def load_for_check(path: str, tool: Optional[str] = None, *, named: bool = False) -> Integration:
    """Validate by ``tool``'s integration, else by the common settings.

    ``named``: the user named the tool (``--tool``), so one that is not
    installed is an error; a tool read from the file name that no plugin has
    (``wyzepal_generic_config.py``) falls back to the common settings. A plugin
    that is installed but cannot be imported (its extra is missing) is an error
    saying what to install: judging its file by the common settings alone would
    call every one of its keys unknown.
    """
    if tool:
        integrations.load_entry_points(only=tool)
        if tool in integrations.failed:
            raise ConfigError(integrations.failed[tool], path=path)
        if tool in integrations:
            return integrations.get(tool).load(explicit=path)
        if named:
            integrations.load_entry_points()
            known = ", ".join(integrations.names()) or "none"
            raise ConfigError(f"--tool {tool}: no such plugin is installed", path=path, expected=f"one of {known}",
                              fix="name an installed plugin (see 'wyzepal-integrations list')")
    settings = load_settings(tool or "generic", explicit=path)
    return Integration.contained(settings)


#: Seconds a check may spend on a server that does not answer: a person is waiting for the verdict.
CHECK_BUDGET = 8.0


def quick_client(integration: Integration) -> Client:
    """The integration's bot, with retries cut to a few seconds (a wrong site must not hang a check)."""
    from ..client.client import Client
    from ..client.retry import RetryPolicy

    return Client.from_credentials(integration.settings.credentials, client_name=integration.user_agent_name(),
                                   client_version=integration.version, retry=RetryPolicy(budget=CHECK_BUDGET))


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
