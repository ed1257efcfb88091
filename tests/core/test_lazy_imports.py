"""A hook that only queues a message must not import requests (about 200 ms a push)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = os.pathsep.join(str(ROOT / part) for part in ("shared", "plugins/git", "plugins/svn", "plugins/trac"))


@pytest.mark.parametrize("module", ["wyzepal_notifier", "wyzepal_notifier.integration", "wyzepal_notifier.outbox",
                                    "wyzepal_notifier.cli.main", "wyzepal_git.hook", "wyzepal_svn.hook"])
def test_importing_does_not_pull_in_requests(module):
    code = f"import sys, {module}; print('requests' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=SOURCES + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "False"


def test_the_client_is_still_there_when_asked_for():
    from wyzepal_notifier import Client
    from wyzepal_notifier.client import Client as SameClient

    assert Client is SameClient and Client.__module__ == "wyzepal_notifier.client.client"


#: What handing a push or commit over to the spool does not need, with what each costs a hook's start:
#: dataclasses (and inspect: about 20 ms with the classes' set-up), uuid (platform) and socket (6 ms),
#: the shared outbox's Redis code (only with ``OUTBOX_URL``).
NOT_FOR_A_HOOK = ["dataclasses", "inspect", "uuid", "socket", "requests",
                  "wyzepal_notifier.outbox.shared", "wyzepal_notifier.outbox.redis_store"]


@pytest.mark.parametrize("module", ["wyzepal_git.hook", "wyzepal_svn.hook", "wyzepal_svn.locks", "wyzepal_svn.revprop"])
def test_a_hook_imports_only_what_handing_over_needs(module):
    code = f"import sys, {module}; print(' '.join(m for m in {NOT_FOR_A_HOOK!r} if m in sys.modules))"
    env = dict(os.environ, PYTHONPATH=SOURCES + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == []
