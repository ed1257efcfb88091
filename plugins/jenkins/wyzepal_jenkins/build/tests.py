"""A test report (``/testReport/api/json``) boiled down to counts and the first failures."""
from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from .model import FailedTest, TestSummary

_FAILED = ("FAILED", "REGRESSION")


def summarize(report: Mapping[str, Any], build_url: Optional[str], limit: int) -> TestSummary:
    failures = []
    for suite in report.get("suites") or []:
        for case in suite.get("cases") or []:
            if case.get("status") in _FAILED and len(failures) < limit:
                failures.append(failed_test(case, build_url))
    return TestSummary(passed=int(report.get("passCount") or 0), failed=int(report.get("failCount") or 0),
                       skipped=int(report.get("skipCount") or 0), failures=tuple(failures))


def failed_test(case: Mapping[str, Any], build_url: Optional[str]) -> FailedTest:
    class_name = str(case.get("className") or "")
    name = str(case.get("name") or "")
    shown = f"{class_name}.{name}" if class_name else name
    return FailedTest(shown, case_url(build_url, class_name, name) if build_url else None)


def case_url(build_url: str, class_name: str, name: str) -> str:
    """Jenkins' page of one case: ``testReport/<package>/<Class>/<safe name>/``."""
    package, _, simple = class_name.rpartition(".")
    parts = [package or "(root)", simple or class_name, _safe(name)]
    return build_url.rstrip("/") + "/testReport/" + "/".join(quote(part, safe="()") for part in parts) + "/"


def _safe(name: str) -> str:
    """``hudson.tasks.test.TestObject.safe``: characters that cannot sit in a URL segment become ``_``."""
    for char in "/\\:?#%<>":
        name = name.replace(char, "_")
    return name
