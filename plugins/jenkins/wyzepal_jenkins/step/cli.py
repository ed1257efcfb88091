"""``wyzepal-jenkins-notify``: announce the running build from a Jenkinsfile or a shell step.

It reads Jenkins' environment, asks Jenkins for what the environment lacks
(changes, culprits, tests, history) and, when Jenkins cannot be reached, sends
what it knows. It never fails the build: errors go to stderr and the exit
status is 0 unless ``--fail-on-error`` asks otherwise.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence

from wyzepal_notifier import ConfigError
from wyzepal_notifier.cli.options import add_config, add_dry_run, add_verbose, command_parser, setup_logging

from ..api import JenkinsError
from ..build import Build, NotInJenkins, build_from_env, collect, merge
from ..integration import JenkinsIntegration
from ..kinds import RESULTS
from ..message import content, render, topic

PROG = "wyzepal-jenkins-notify"
EXIT_OK, EXIT_UNDELIVERED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("wyzepal_notifier.jenkins.step")
#: What the server did not take yet, a detached worker delivers later. Jenkins ends the
#: processes a build leaves behind unless these cookies say otherwise; the worker exits
#: by itself once the spool is empty (or after 5 minutes without progress).
OUTLIVE_THE_BUILD = {"JENKINS_NODE_COOKIE": "dontKillMe", "BUILD_ID": "dontKillMe"}


class UsageError(Exception):
    """A command line the step cannot read: said on stderr, and the build goes on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse would exit 2: a failed build
        raise UsageError(f"{message} (see {PROG} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(PROG, "Announce this Jenkins build in WyzePal.", parser_class=_Parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--result", type=str.upper, choices=RESULTS,
                      help="the build's result, e.g. ${currentBuild.currentResult}; default: Jenkins' "
                           "answer, or SUCCESS while the build runs (a step reached means earlier steps passed)")
    when.add_argument("--started", action="store_true", help="announce that the build started")
    add_config(parser, "the config file (default: $WYZEPAL_JENKINS_CONFIG, or beside this script)")
    parser.add_argument("--jenkins-url", help="Jenkins' address (default: JENKINS_URL in the config, or $JENKINS_URL)")
    parser.add_argument("--job", help="the job's full name (default: $JOB_NAME)")
    parser.add_argument("--build-number", type=int, help="the build number (default: $BUILD_NUMBER)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for delivery before exiting")
    parser.add_argument("--fail-on-error", action="store_true", help="exit non-zero when the message is not sent")
    add_dry_run(parser, "--print")  # --print: the step's first spelling, kept for existing Jenkinsfiles
    add_verbose(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None, env: Optional[Mapping[str, str]] = None) -> int:
    """Exit status 0 whatever happens (the build must not fail for a notification) unless --fail-on-error."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE if "--fail-on-error" in argv else EXIT_OK
    setup_logging(args.verbose, PROG)
    try:
        return notify(args, os.environ if env is None else env)
    except Exception as exc:  # a bug here must not fail the build it reports on
        log.debug("unexpected error", exc_info=True)
        print(f"{PROG}: unexpected error, nothing sent: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNDELIVERED if args.fail_on_error else EXIT_OK


def notify(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        integration = JenkinsIntegration.load(explicit=args.config, beside=Path(sys.argv[0]).resolve(), env=env)
        build = learn(integration, args, env)
    except (ConfigError, NotInJenkins) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE if args.fail_on_error else EXIT_OK
    log.info("read %s; %s #%s is %s (%s)", integration.settings.path, build.job, build.number,
             build.result or "running", build.kind)
    if args.dry_run:
        return show(integration, build)
    wanted, queued = integration.announce_counted(build)
    integration.tell_breakers(build)  # the previous build's result says whether this streak was told already
    integration.close(args.timeout, hand_over=True, worker_env=OUTLIVE_THE_BUILD)
    log.info("%s #%s (%s): %d of %d messages queued", build.job, build.number, build.kind, queued, wanted)
    if queued < wanted:
        print(f"{PROG}: {wanted - queued} message(s) could not be queued; see the errors above", file=sys.stderr)
        return EXIT_UNDELIVERED if args.fail_on_error else EXIT_OK
    return EXIT_OK


def learn(integration: JenkinsIntegration, args: argparse.Namespace, env: Mapping[str, str]) -> Build:
    """The environment's facts, completed by Jenkins' when it answers."""
    known = build_from_env(env, job=args.job, number=args.build_number)
    build = known
    try:
        api = integration.jenkins_api(url=args.jenkins_url, env=env, retries=1)
        build = merge(known, collect(api, known.job, known.number,
                                     max_failed_tests=int(integration.settings["MAX_FAILED_TESTS"]),
                                     log_lines=int(integration.settings["LOG_LINES"])))
    except (JenkinsError, ConfigError) as exc:
        print(f"{PROG}: could not ask Jenkins ({exc}); sending what the environment says", file=sys.stderr)
    except Exception as exc:  # an answer that is not the build Jenkins would describe: a proxy, an odd plugin
        log.debug("Jenkins' answer could not be read", exc_info=True)
        print(f"{PROG}: could not read Jenkins' answer ({type(exc).__name__}: {exc}); "
              "sending what the environment says", file=sys.stderr)
    build.result = None if args.started else (args.result or build.result or "SUCCESS")
    return build


def show(integration: JenkinsIntegration, build: Build) -> int:
    event = build.event()
    for conf in integration.get_configs(event):
        if conf.get("LIVING_MESSAGE"):  # what the build's one message would say now
            handle = integration.living.handle(conf, build)
            print(f"# {conf.stream} > {topic(conf, build)} (the living message {handle}, "
                  f"{'posted' if build.result is None else 'edited'})\n{content(conf, build)}\n")
        elif render(conf, event) is not None:
            print(f"# {conf.stream} > {topic(conf, build)}\n{content(conf, build)}\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
