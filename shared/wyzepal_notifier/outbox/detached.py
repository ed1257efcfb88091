"""Queue a message and leave: ``wyzepal-integrations send --outbox`` for shell hooks."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping, Optional, Union

from ..config.credentials import Credentials
from ..message import Message
from ..version import __version__
from .paths import default_outbox_path
from .spool import Spool

log = logging.getLogger("wyzepal_notifier.outbox")

#: The spool ``send --outbox`` and ``outbox flush`` use when no path is given.
CLI_TOOL = "cli"


def enqueue_detached(message: Message, credentials: Credentials, path: Union[str, os.PathLike, None] = None,
                     *, client_name: str = "WyzePalCLI") -> Path:
    """Write the message to the spool (safe on return) and start a detached worker to deliver it."""
    spool_path = default_outbox_path(CLI_TOOL, explicit=str(path) if path else None)
    spool = Spool(spool_path)
    try:
        sender = spool.save_sender(credentials, client_name, __version__)
        spool.append(sender, message.checked())
    finally:
        spool.close()
    hand_over(spool_path, 1)  # the message is safe; only its prompt delivery may not be
    return spool_path


def hand_over(spool_path: Path, waiting: int, *, env: Optional[Mapping[str, str]] = None,
              start: Optional[Callable[..., object]] = None) -> bool:
    """Leave what waits in the spool to a detached worker; a worker that cannot start is said, never raised.

    Every short-lived host ends this way (a hook, a build step, ``close(hand_over=True)``).
    """
    try:
        (start or start_worker)(spool_path, env=env)
        return True
    except OSError as exc:
        log.error("could not start the delivery worker (%s); %d message(s) wait in %s for the next run or "
                  "'wyzepal-integrations outbox flush --outbox %s'", exc, waiting, spool_path, spool_path)
        return False


def start_worker(spool_path: Path, *extra_args: str, env: Optional[Mapping[str, str]] = None) -> subprocess.Popen:
    """A worker process in a session of its own: the caller's exit or Ctrl-C does not reach it.

    ``env`` adds variables for the worker alone (e.g. what tells a CI server not
    to end it with the build). The worker gets no secret of its parent's environment
    (see :func:`worker_environment`): the spool holds the one key it needs.
    """
    command = [sys.executable or "python3", "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(spool_path),
               *extra_args]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True,
                            env=worker_environment(os.environ, env), cwd=str(spool_path.parent))


#: Names of variables a worker never needs and a ``ps e`` or ``/proc/<pid>/environ`` must not show:
#: the bot's key, a CI server's tokens and passwords, any other tool's secrets.
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIAL|"
                         r"AUTH|COOKIE|SESSION)", re.IGNORECASE)


def worker_environment(parent: Mapping[str, str], extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The parent's environment without its secrets, finding this library, plus ``extra``.

    A detached worker outlives its host by minutes: a CI build's
    ``JENKINS_API_TOKEN`` or the ``WYZEPAL_API_KEY`` a hook was started with
    would sit in its environment all that time. What it does need stays: ``PATH``,
    ``HOME``, ``PYTHONPATH``, proxies (``https_proxy``, ``no_proxy``), CA bundles
    (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``), the locale. ``extra`` is applied
    last and kept whole (the caller chose it: Jenkins' ``JENKINS_NODE_COOKIE``).
    """
    env = {name: value for name, value in parent.items() if not SECRET_NAME.search(name)}
    env.update(_env_finding_this_library(env))
    env.update(extra or {})
    return env


def _env_finding_this_library(env: Mapping[str, str]) -> dict[str, str]:
    """The worker imports the same wyzepal_notifier as its parent, even one loaded from a plugin folder."""
    root = str(Path(__file__).resolve().parent.parent.parent)
    paths = [root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    return {"PYTHONPATH": os.pathsep.join(paths)}
