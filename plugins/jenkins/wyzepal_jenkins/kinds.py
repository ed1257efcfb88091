"""What a build's outcome means next to its predecessors (the "smart" in smart notifications)."""
from __future__ import annotations

from typing import Optional

#: Jenkins' results, best to worst as ``hudson.model.Result`` orders them.
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")
#: Results that say something about the code (aborted and not built ones do not).
DECISIVE = ("SUCCESS", "UNSTABLE", "FAILURE")

KINDS = ("started", "success", "first_failure", "still_failing", "regression", "back_to_normal", "unstable",
         "aborted", "not_built")
_UNSUCCESSFUL = ("FAILURE", "UNSTABLE")


def classify(result: Optional[str], previous: Optional[str], *, new_failures: bool = False) -> str:
    """The kind of a build with ``result`` (None while running) after a ``previous`` decisive result.

    ``new_failures``: tests fail now that did not fail in the build before. A
    build that stays broken but breaks more is a ``regression``, not more of the same.
    """
    if result is None:
        return "started"
    if new_failures and result in _UNSUCCESSFUL and previous in _UNSUCCESSFUL:
        return "regression"
    if result == "SUCCESS":
        return "back_to_normal" if previous in ("FAILURE", "UNSTABLE") else "success"
    if result == "FAILURE":
        return "still_failing" if previous == "FAILURE" else "first_failure"
    if result == "UNSTABLE":
        return "unstable"
    if result == "ABORTED":
        return "aborted"
    return "not_built"
