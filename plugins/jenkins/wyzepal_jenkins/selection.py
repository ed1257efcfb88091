"""Which jobs a setting names: full names or globs (``team/*``, ``deploy-*``)."""
from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Mapping


def named(job: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(job, pattern) for pattern in patterns)


def watched(job: str, settings: Mapping[str, Any]) -> bool:
    """In WATCH_JOBS and not in IGNORE_JOBS."""
    return named(job, settings.get("WATCH_JOBS") or ["*"]) and not named(job, settings.get("IGNORE_JOBS") or [])
