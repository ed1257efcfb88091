"""What a build's outcome means next to its predecessors (the "smart" in smart notifications)."""
from __future__ import annotations

from typing import Optional

#: Jenkins' results, best to worst as ``hudson.model.Result`` orders them.
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")
#: Results that say something about the code (aborted and not built ones do not).
DECISIVE = ("SUCCESS", "UNSTABLE", "FAILURE")

KINDS = ("started", "success", "first_failure", "still_failing", "back_to_normal", "unstable", "aborted", "not_built")


def classify(result: Optional[str], previous: Optional[str]) -> str:
    """The kind of a build with ``result`` (None while running) after a ``previous`` decisive result."""
    if result is None:
        return "started"
    if result == "SUCCESS":
        return "back_to_normal" if previous in ("FAILURE", "UNSTABLE") else "success"
    if result == "FAILURE":
        return "still_failing" if previous == "FAILURE" else "first_failure"
    if result == "UNSTABLE":
        return "unstable"
    if result == "ABORTED":
        return "aborted"
    return "not_built"
