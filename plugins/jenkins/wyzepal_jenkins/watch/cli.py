"""``wyzepal-jenkins-watch``: announce finished builds of every watched job, no job touched.

Runs until SIGTERM or Ctrl-C. With COMMANDS_ENABLED it also answers chat
commands (``build``, ``status``, ``last``, ``queue``, ``help``).
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
from pathlib import Path
from typing import ContextManager, Mapping, Optional, Sequence

from wyzepal_notifier import ConfigError
from wyzepal_notifier.cli.options import add_config, add_verbose, command_parser, setup_logging

from ..api import JenkinsAPI, JenkinsError
from ..integration import JenkinsIntegration
from ..selection import watched
from .poller import Poller, PollReport
from .runner import Watcher
from .state import WatchState

PROG = "wyzepal-jenkins-watch"
EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("wyzepal_notifier.jenkins.watch")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(PROG, "Announce Jenkins builds in WyzePal by polling Jenkins.")
    add_config(parser, "the config file (default: $WYZEPAL_JENKINS_CONFIG, or beside this script)")
    parser.add_argument("--once", action="store_true", help="poll once and exit (e.g. from cron)")
    parser.add_argument("--check", action="store_true", help="check the Jenkins credentials and list the watched jobs")
    add_verbose(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None,
         stop: Optional[threading.Event] = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, PROG)
    try:
        integration = JenkinsIntegration.load(explicit=args.config, beside=Path(sys.argv[0]).resolve(), env=env)
        api = integration.jenkins_api(env=env)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        return check(integration, api)
    state = WatchState.load(integration.state_path())
    watcher = Watcher(Poller(integration, api, state), float(integration.settings["POLL_INTERVAL"]))
    try:
        if args.once:
            report = watcher.poll_once()
            print(describe_poll(report, state, integration.state_path()))
            return EXIT_OK  # Jenkins down: said above; the next run catches up, as a cron job wants
        stop = stop or threading.Event()
        with _signals(stop):
            listener = _start_commands(integration, api, state, stop)
            watcher.run(stop)
            if listener is not None:
                listener.join(timeout=5)
    finally:
        integration.close(5.0)
    return EXIT_OK


def describe_poll(report: Optional[PollReport], state: WatchState, state_path: object) -> str:
    """What one ``--once`` poll saw and did, for the person (or the cron mail) reading it."""
    if report is None:
        return "Jenkins could not be polled (see above); nothing announced, nothing lost: the next poll catches up"
    if report.baseline:
        return (f"first poll: {len(state.jobs)} watched job(s) remembered as they are now (in {state_path}); "
                "builds that finish from now on will be announced")
    lines = [f"announced {len(report.announced)} build(s)" + (":" if report.announced else
                                                               " (no build finished since the last poll)")]
    lines += [f"  {job} #{number}: {result}" for job, number, result in report.announced]
    if report.new_jobs:
        lines.append(f"new job(s) watched from now on: {', '.join(report.new_jobs)}")
    if report.gone_jobs:
        lines.append(f"job(s) gone from Jenkins: {', '.join(report.gone_jobs)}")
    return "\n".join(lines)


def check(integration: JenkinsIntegration, api: JenkinsAPI) -> int:
    """Who Jenkins thinks we are, its version, and the jobs the watcher would announce."""
    try:
        me = api.whoami()
        version = api.version()
        jobs = [job["fullname"] for job in api.jobs() if watched(job["fullname"], integration.settings)]
    except JenkinsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f"Jenkins {version} at {api.shown_url}, logged in as {me.get('fullName')} ({me.get('id')})")
    print(f"watching {len(jobs)} jobs" + (": " + ", ".join(jobs[:20]) if jobs else ""))
    if len(jobs) > 20:
        print(f"… and {len(jobs) - 20} more")
    return EXIT_OK


def _signals(stop: threading.Event) -> ContextManager[object]:
    """SIGTERM/Ctrl-C set ``stop``; signal handlers exist only in the main thread (tests run it in others)."""
    if threading.current_thread() is threading.main_thread():
        from wyzepal_notifier.events import stop_on_signals

        return stop_on_signals(stop)
    return contextlib.nullcontext()


def _start_commands(integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState,
                    stop: threading.Event) -> Optional[threading.Thread]:
    if not integration.settings.get("COMMANDS_ENABLED"):
        return None
    from ..commands.listener import start_listener  # the events API only when asked for

    return start_listener(integration, api, state, stop)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
