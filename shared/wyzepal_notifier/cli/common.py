"""What several subcommands share: credentials options and turning errors into exit codes."""
from __future__ import annotations

import argparse
import functools
import sys
from typing import TYPE_CHECKING, Callable

from ..config import Credentials, resolve_credentials
from ..errors import ConfigError, MessageRejected, WyzePalError

if TYPE_CHECKING:
    from ..client.client import Client

EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE = 0, 1, 2


def add_credentials_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="a plugin config (wyzepal_<tool>_config.py) or a wyzepalrc; default: "
                             "$WYZEPAL_SITE/$WYZEPAL_USER/$WYZEPAL_API_KEY, then $WYZEPAL_CONFIG, then ~/.wyzepalrc")


def credentials_from(args: argparse.Namespace) -> Credentials:
    return resolve_credentials(args.config)


def client_from(args: argparse.Namespace) -> Client:
    from ..client.client import Client

    return Client.from_credentials(credentials_from(args), client_name="WyzePalCLI")


def error(message: str) -> None:
    print(f"wyzepal-integrations: {message}", file=sys.stderr)


def exits_cleanly(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Expected failures become one line on stderr and an exit status, never a traceback."""

    @functools.wraps(func)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (ConfigError, MessageRejected) as exc:
            error(str(exc))
            return EXIT_USAGE
        except WyzePalError as exc:
            error(str(exc))
            return EXIT_UNDELIVERED
        except KeyboardInterrupt:
            return 130

    return wrapper
