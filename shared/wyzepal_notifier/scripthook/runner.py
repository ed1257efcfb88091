"""The life of a script hook: read what the host passes, load the config, queue, exit.

A subclass says how its host passes data and what a notice looks like;
:meth:`ScriptHook.main` does the rest the same way for every hook. Messages go
to the spool and a detached worker delivers them (``outbox.handover``), so a chat
server that is down or slow delays the notice, never the commit or push; and
nothing the hook meets (a broken config, a failing host command, a bug) turns
into a traceback in the host.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping, NoReturn, Optional, Sequence

from ..cli.options import add_config, add_dry_run, add_verbose, command_parser
from ..config import load_pyfile, settings_from_values
from ..errors import WyzePalError
from ..integration import Configuration, Integration
from ..message import Message
from ..outbox.handover import HandOverOutbox
from ..outbox.printing import PrintingOutbox
from .destination import routed
from .locate import find_hook_config

#: ``--dry-run``: print each message (and operation) instead of queuing it. The outbox package's printer.
DryRunOutbox = PrintingOutbox


class ScriptHook:
    """One hook script; subclasses fill in the host-specific steps."""

    integration: ClassVar[type[Integration]]
    prog: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: Exit status when nothing could be queued (bad config, host command failed).
    #: Hosts differ: git ignores a post-receive status, Subversion shows the output only on failure.
    failure_status: ClassVar[int] = 0

    def __init__(self) -> None:
        self.log = logging.getLogger(f"wyzepal_notifier.{self.integration.integration_id}")

    # -- what a subclass provides ------------------------------------------------

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Host-specific arguments (e.g. Subversion's REPOS REV)."""

    def read_input(self, args: argparse.Namespace) -> Any:
        """Everything the host passes, read before anything can fail (git's stdin)."""
        return None

    def config_folders(self, args: argparse.Namespace, data: Any) -> list[Optional[Path]]:
        """Where to look for the config after ``--config`` and the environment variable."""
        return [script_folder()]

    def setting_defaults(self, args: argparse.Namespace, data: Any) -> dict[str, Any]:
        """Defaults known only at run time, such as a spool inside the repository."""
        return {}

    def setting_overrides(self, args: argparse.Namespace, data: Any) -> dict[str, Any]:
        """Settings kept in the host's own configuration that beat the file's (git's ``wyzepal.*`` keys)."""
        return {}

    def events(self, integration: Integration, args: argparse.Namespace, data: Any) -> Iterable[Mapping[str, Any]]:
        raise NotImplementedError

    def render(self, conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
        raise NotImplementedError

    def destination_arguments(self, event: Mapping[str, Any]) -> Sequence[Any]:
        """What the config's ``COMMIT_NOTICE_DESTINATION`` function is called with."""
        raise NotImplementedError

    # -- the shared life ---------------------------------------------------------

    def build_parser(self) -> argparse.ArgumentParser:
        parser = command_parser(self.prog, self.summary)
        add_config(parser, f"the config file (default: ${self._env_var()}, then "
                           f"wyzepal_{self.integration.integration_id}_config.py beside the hook)")
        add_dry_run(parser)
        add_verbose(parser)
        self.add_arguments(parser)
        return parser

    @classmethod
    def program(cls) -> NoReturn:
        """The console script (``wyzepal-git-post-receive``): :meth:`main`, then the process ends at once."""
        exit_now(cls().main())

    def main(self, argv: Optional[Sequence[str]] = None) -> int:
        """Run the hook; the exit status is 0 unless nothing could be queued."""
        args = self.build_parser().parse_args(argv)
        self._setup_logging(args.verbose)
        with warnings.catch_warnings():
            warnings.showwarning = self._show_warning
            return self._run(args)

    def _run(self, args: argparse.Namespace) -> int:
        try:
            data = self.read_input(args)
            integration = self.load(args, data)
            events = list(self.events(integration, args, data))
        except WyzePalError as exc:
            self.log.error("%s; no notification was sent", exc)
            return self.failure_status
        except Exception:  # a bug is reported to whoever runs the hook, never raised into the host
            self.log.exception("unexpected error; no notification was sent")
            return self.failure_status
        self.deliver(integration, events)
        return 0

    def load(self, args: argparse.Namespace, data: Any) -> Integration:
        cls = self.integration
        path = find_hook_config(cls.integration_id, explicit=args.config, folders=self.config_folders(args, data))
        defaults = {**cls.default_settings, **self.setting_defaults(args, data)}
        values = {**load_pyfile(path), **self.setting_overrides(args, data)}
        settings = settings_from_values(values, str(path), cls.settings_fields, defaults=defaults)
        self.log.info("using %s", path)
        outbox = (DryRunOutbox() if args.dry_run
                  else HandOverOutbox(cls.integration_id, settings, cls.user_agent_name(), cls.version))
        return cls.contained(settings, outbox=outbox)  # building runs the file's objects: nothing may escape

    def deliver(self, integration: Integration, events: Iterable[Mapping[str, Any]]) -> None:
        """Queue one message per event and matching configuration, then hand them to a detached worker."""
        def render(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
            message = self.render(conf, event)
            if message is None:
                return None
            arguments = self.destination_arguments(event)
            return routed(message, conf, lambda function: function(*arguments),
                          source=integration.settings.path, log=self.log)

        try:
            for event in events:
                queued = integration.notify(event, render)
                self.log.info("%s: %d message(s) queued", event.get("type", "event"), queued)
        finally:
            self.close_outbox(integration)

    def close_outbox(self, integration: Integration) -> None:
        """Hand what was queued to the detached worker; a failure to close loses nothing (it stays spooled)."""
        try:
            integration.close()
        except Exception:  # what was queued stays in the spool
            self.log.exception("the outbox could not be closed cleanly")

    def _show_warning(self, message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        """A config warning (readable API key, unknown setting) as one plain line."""
        self.log.warning("%s", message)

    def _env_var(self) -> str:
        return f"WYZEPAL_{self.integration.integration_id.upper()}_CONFIG"

    def _setup_logging(self, verbose: bool) -> None:
        """Messages on stderr, which git shows the pusher as ``remote:`` lines."""
        root = logging.getLogger("wyzepal_notifier")
        for old in [h for h in root.handlers if getattr(h, "script_hook", False)]:
            root.removeHandler(old)
        handler = logging.StreamHandler(sys.stderr)
        handler.script_hook = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(f"{self.prog}: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO if verbose else logging.WARNING)


def script_folder() -> Optional[Path]:
    """The folder of the script the host ran, as it was named (a symlinked hook stays in ``hooks/``)."""
    if not sys.argv or not sys.argv[0]:
        return None
    return Path(os.path.abspath(sys.argv[0])).parent


def exit_now(status: int) -> NoReturn:
    """End a hook's process: its ``atexit`` handlers run and its output is flushed, then it exits.

    What it skips is the interpreter's teardown, freeing every module and object one
    by one: about 15 ms of each push or commit, for nothing, once the spool is
    closed (its rows are durable when written) and the worker started.
    """
    import atexit

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the ordinary exit, teardown and all
        sys.exit(status)
    try:
        run_exit_handlers()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe must not turn the exit into a traceback
                stream.flush()
        os._exit(status)
