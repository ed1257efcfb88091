"""``wyzepal-jenkins-watch``: announce finished builds of every watched job, no job touched.

Runs until SIGTERM or Ctrl-C. With COMMANDS_ENABLED it also answers chat
commands (``build``, ``status``, ``last``, ``queue``, ``help``).
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import Mapping, Optional, Sequence

from wyzepal_notifier import ConfigError, __version__
from wyzepal_notifier.events import stop_on_signals

from ..integration import JenkinsIntegration
from .poller import Poller
from .runner import Watcher
from .state import WatchState

PROG = "wyzepal-jenkins-watch"
EXIT_OK, EXIT_USAGE = 0, 2
log = logging.getLogger("wyzepal_notifier.jenkins.watch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Announce Jenkins builds in WyzePal by polling Jenkins.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", help="the config file (default: $WYZEPAL_JENKINS_CONFIG, or beside this script)")
    parser.add_argument("--once", action="store_true", help="poll once and exit (e.g. from cron)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (never the API key)")
    return parser


def main(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None,
         stop: Optional[threading.Event] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format=f"{PROG}: %(levelname)s %(message)s")
    try:
        integration = JenkinsIntegration.load(explicit=args.config, beside=Path(sys.argv[0]).resolve(), env=env)
        api = integration.jenkins_api(env=env)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    state = WatchState.load(integration.state_path())
    watcher = Watcher(Poller(integration, api, state), float(integration.settings["POLL_INTERVAL"]))
    try:
        if args.once:
            watcher.poll_once()
            return EXIT_OK
        stop = stop or threading.Event()
        with _signals(stop):
            listener = _start_commands(integration, api, state, stop)
            watcher.run(stop)
            if listener is not None:
                listener.join(timeout=5)
    finally:
        integration.close(5.0)
    return EXIT_OK


def _signals(stop: threading.Event):
    if threading.current_thread() is threading.main_thread():
        return stop_on_signals(stop)
    return _NoSignals()


class _NoSignals:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


def _start_commands(integration: JenkinsIntegration, api, state: WatchState,
                    stop: threading.Event) -> Optional[threading.Thread]:
    if not integration.settings.get("COMMANDS_ENABLED"):
        return None
    from ..commands.listener import start_listener  # the events API only when asked for

    return start_listener(integration, api, state, stop)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
