"""``wyzepal-hubot-bridge``: started by the hubot-wyzepal adapter, one per Hubot.

Exit status: 0 after a clean stop (end of input, SIGTERM, Ctrl-C), 2 when the
configuration or the bot's key is unusable (the adapter then stops Hubot instead
of restarting the bridge), 1 for anything else (the adapter restarts the bridge).
Logs go to stderr as ``LEVEL logger: message``, which the adapter passes to Hubot's log.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import Optional, Sequence

from wyzepal_notifier.cli.options import add_config, add_verbose, command_parser
from wyzepal_notifier.errors import APIError, ConfigError, TLSVerificationFailed, describe_exception
from wyzepal_notifier.events import stop_on_signals

from .bridge import Bridge
from .config import load_integration
from .integration import HubotIntegration

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("wyzepal_hubot")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "wyzepal-hubot-bridge",
        "Connect a Hubot (through the hubot-wyzepal adapter) to WyzePal. "
        "Speaks newline-delimited JSON on stdin/stdout; see plugins/hubot/PROTOCOL.md.")
    add_config(parser, "path to wyzepal_hubot_config.py (default: $HUBOT_WYZEPAL_CONFIG, "
                       "then the current folder; or only HUBOT_WYZEPAL_* variables)")
    parser.add_argument("--robot-name", default="Hubot", help="the name Hubot answers to (robot.name)")
    parser.add_argument("--robot-alias", default=None, help="Hubot's alias, if it has one")
    parser.add_argument("--resume-after", type=int, default=None, metavar="MESSAGE_ID",
                        help="also deliver messages newer than this id that arrived while no bridge ran")
    add_verbose(parser)
    parser.add_argument("--check", action="store_true",
                        help="validate the configuration, log in to WyzePal with it, and exit (0 ready, 2 not)")
    return parser


def check(integration: HubotIntegration) -> int:
    """``--check``: the settings, then a login as the bot (a wrong key must not look OK)."""
    from wyzepal_notifier.errors import WyzePalError

    settings = integration.settings
    print(f"config: {settings.path} as {settings['WYZEPAL_USER']} on {settings['WYZEPAL_SITE']}")
    from wyzepal_notifier.cli.check import quick_client

    try:
        me = quick_client(integration).get_profile()
    except APIError as exc:
        log.error("WyzePal refused the bot: %s", exc)
        return EXIT_USAGE if exc.status in (401, 403) else EXIT_FAILED
    except WyzePalError as exc:
        log.error("WyzePal cannot be reached: %s", exc)
        return EXIT_FAILED
    print(f"OK: logged in to {settings['WYZEPAL_SITE']} as {me.get('full_name')} <{me.get('email')}>")
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    for stream in (sys.stdin, sys.stdout):  # the pipe speaks UTF-8 JSON whatever the locale says
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")  # a bad byte is a bad line, not a dead reader
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        integration = load_integration(args.config)
    except ConfigError as exc:  # exit 2: the adapter stops Hubot instead of restarting a bridge that cannot work
        log.error("%s", exc)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - same: no config is worth a restart loop
        log.error("the configuration could not be loaded: %s", describe_exception(exc))
        return EXIT_USAGE
    if args.check:
        return check(integration)
    stop = threading.Event()
    bridge = Bridge(integration, sys.stdin, sys.stdout, robot_name=args.robot_name, robot_alias=args.robot_alias,
                    resume_after=args.resume_after, stop=stop)
    try:
        with stop_on_signals(stop):
            bridge.run()
    except APIError as exc:
        log.error("WyzePal refused the bot: %s", exc)
        return EXIT_USAGE if exc.status in (401, 403) else EXIT_FAILED
    except (ConfigError, TLSVerificationFailed) as exc:  # a certificate not trusted: fix the config, no restarts
        log.error("%s", exc)
        return EXIT_USAGE
    except Exception:
        log.exception("the bridge failed")
        return EXIT_FAILED
    return EXIT_OK
