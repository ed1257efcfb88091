"""Where a build stands among its predecessors: the previous result and the failing streak.

``builds`` is Jenkins' ``builds[number,result,timestamp,duration,building]``
list, newest first. Aborted, not-built and running builds say nothing about the
code, so they are stepped over.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..kinds import DECISIVE
from .model import Build, Streak

HISTORY_LIMIT = 50
_UNSUCCESSFUL = ("FAILURE", "UNSTABLE")


def place(build: Build, builds: Sequence[Mapping[str, Any]]) -> None:
    """Fill ``previous_result`` and ``streak`` of ``build`` from the job's history."""
    earlier = [b for b in builds if int(b.get("number") or 0) < build.number
               and not b.get("building") and b.get("result") in DECISIVE]
    build.previous_result = earlier[0]["result"] if earlier else None
    exhausted = len(builds) >= HISTORY_LIMIT
    if build.kind in ("still_failing", "regression"):
        run = _run(earlier, ("FAILURE",) if build.kind == "still_failing" else _UNSUCCESSFUL)
        since = run[-1].get("timestamp") if run else build.timestamp_ms
        build.streak = Streak(len(run) + 1, int(since or 0), complete=not (exhausted and len(run) == len(earlier)))
    elif build.kind == "back_to_normal":
        run = _run(earlier, _UNSUCCESSFUL)
        build.streak = Streak(len(run), int(run[-1].get("timestamp") or 0),
                              complete=not (exhausted and len(run) == len(earlier)))


def _run(earlier: Sequence[Mapping[str, Any]], results: tuple[str, ...]) -> list[Mapping[str, Any]]:
    run = []
    for entry in earlier:
        if entry.get("result") not in results:
            break
        run.append(entry)
    return run


def previous_from_git(env: Mapping[str, str]) -> Optional[str]:
    """A guess when Jenkins cannot be asked: the git plugin's ``GIT_PREVIOUS_*`` variables.

    The previous build built ``GIT_PREVIOUS_COMMIT``; when that is not the last
    successful commit, the previous build did not succeed.
    """
    previous = env.get("GIT_PREVIOUS_COMMIT")
    successful = env.get("GIT_PREVIOUS_SUCCESSFUL_COMMIT")
    if not previous:
        return None
    return "SUCCESS" if previous == successful else "FAILURE"
