"""Entry points of plugin commands whose plugin needs an extra (python-jenkins for Jenkins).

The console script imports only this module, then the plugin; a missing extra
is one line saying which extra to install and how, never a traceback, and for
``--help`` as much as for a real run.
"""
from __future__ import annotations

import importlib
import sys
from typing import Callable, Optional, Sequence

from ..errors import missing_extra


def _plugin(module: str, prog: str, status_when_missing: Callable[[Sequence[str]], int],
            argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        main = importlib.import_module(module).main
    except ImportError as exc:
        print(f"{prog}: {missing_extra('this command', exc)}", file=sys.stderr)
        return status_when_missing(argv)
    return main(argv)


def jenkins_notify(argv: Optional[Sequence[str]] = None) -> int:
    """``wyzepal-jenkins-notify``; without its extra it still never fails the build (unless --fail-on-error)."""
    return _plugin("wyzepal_jenkins.step.cli", "wyzepal-jenkins-notify",
                   lambda args: 2 if "--fail-on-error" in args else 0, argv)


def jenkins_watch(argv: Optional[Sequence[str]] = None) -> int:
    """``wyzepal-jenkins-watch``; without its extra it exits 2 (bad setup: restarting cannot help)."""
    return _plugin("wyzepal_jenkins.watch.cli", "wyzepal-jenkins-watch", lambda args: 2, argv)
