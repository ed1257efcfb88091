"""A test report (``/testReport/api/json``) boiled down to counts, the first failures and the new ones.

Links to a failing case follow the JUnit plugin's own rules for its pages
(``hudson.tasks.test.TestObject.safe``, ``CaseResult.getSafeName``, and
``TestObject.getRelativePathFrom``, which ``Util.rawEncode``s each part), so
every link opens the case's page: ``testReport/<package>/<Class>/<case>/``.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Mapping, Optional
from urllib.parse import quote

from .model import FailedTest, TestSummary

_FAILED = ("FAILED", "REGRESSION")
#: ``TestObject.UNSAFE_CHARS``: replaced by ``_`` with the space, control characters and DEL.
_UNSAFE = set("\"#%/:<>?[\\]^`{|}")
#: What ``hudson.Util.rawEncode`` leaves as it is (besides letters and digits); all else is %-encoded (UTF-8).
_RAW_SAFE = "!$&'()*+,-.=@_"
#: ``Character.isJavaIdentifierPart``: letters, digits, connectors (``_``), currency signs, marks, ignorables.
_JAVA_PART = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Nd", "Mn", "Mc", "Pc", "Sc", "Cf"}


def summarize(report: Mapping[str, Any], build_url: Optional[str], limit: int,
              number: Optional[int] = None) -> TestSummary:
    failures: list[FailedTest] = []
    new: list[FailedTest] = []
    new_count = 0
    blocks = {suite.get("nodeId") for suite in report.get("suites") or [] if suite.get("nodeId")}
    for suite in report.get("suites") or []:
        prefix = _enclosing(suite) if len(blocks) > 1 else ""
        taken: dict[tuple[str, str], int] = {}
        for case in suite.get("cases") or []:
            if case.get("status") not in _FAILED:
                continue
            test = failed_test(case, build_url, prefix, taken)
            if len(failures) < limit:
                failures.append(test)
            if _is_new(case, number):
                new_count += 1
                if len(new) < limit:
                    new.append(test)
    return TestSummary(passed=int(report.get("passCount") or 0), failed=int(report.get("failCount") or 0),
                       skipped=int(report.get("skipCount") or 0), failures=tuple(failures),
                       new_failures=tuple(new), new_failed=new_count)


def _is_new(case: Mapping[str, Any], number: Optional[int]) -> bool:
    """Failing since this build: Jenkins says REGRESSION (passed before) or ``failedSince`` is this build."""
    if case.get("status") == "REGRESSION":
        return True
    since = case.get("failedSince")
    return number is not None and isinstance(since, int) and since == number


def _enclosing(suite: Mapping[str, Any]) -> str:
    """Parallel stages: the JUnit plugin names a case ``Stage / Branch / name`` when several blocks hold tests."""
    names = [str(name) for name in suite.get("enclosingBlockNames") or []]
    return " / ".join(reversed(names)) + " / " if names else ""


def failed_test(case: Mapping[str, Any], build_url: Optional[str], prefix: str = "",
                taken: Optional[dict[tuple[str, str], int]] = None) -> FailedTest:
    class_name = str(case.get("className") or "")
    name = str(case.get("name") or "") or "(?)"
    shown = f"{class_name}.{name}" if class_name else name
    if not build_url:
        return FailedTest(shown)
    safe_case = case_safe_name(prefix + name)
    if taken is not None:  # TestObject.uniquifyName: the second case of one safe name in a class gets "_2"
        key = (class_name, safe_case)
        taken[key] = taken.get(key, 0) + 1
        if taken[key] > 1:
            safe_case = f"{safe_case}_{taken[key]}"
    return FailedTest(shown, case_url(build_url, class_name, safe_case))


def case_url(build_url: str, class_name: str, safe_case: str) -> str:
    """The case's page: package (``(root)`` if none), simple class name, the case's safe name."""
    package, _, simple = class_name.rpartition(".")
    parts = [safe(package or "(root)"), safe(simple or class_name), safe_case]
    return build_url.rstrip("/") + "/testReport/" + "/".join(raw_encode(part) for part in parts) + "/"


def safe(name: str) -> str:
    """``TestObject.safe``: URL-unsafe ASCII, the space and control characters become ``_``; empty is ``(empty)``."""
    if not name:
        return "(empty)"
    return "".join("_" if ch <= " " or ch == "\x7f" or ch in _UNSAFE else ch for ch in name)


def case_safe_name(name: str) -> str:
    """``CaseResult.getSafeName``: every character that cannot be part of a Java identifier becomes ``_``."""
    return "".join(ch if _java_identifier_part(ch) else "_" for ch in name)


def _java_identifier_part(ch: str) -> bool:
    code = ord(ch)
    if code <= 8 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F:  # identifier-ignorable controls
        return True
    return unicodedata.category(ch) in _JAVA_PART


def raw_encode(segment: str) -> str:
    """``hudson.Util.rawEncode``: one path segment, everything but letters, digits and ``!$&'()*+,-.=@_`` escaped."""
    return quote(segment, safe=_RAW_SAFE).replace("~", "%7E")
