"""The pieces of a build message, each already safe markdown.

Everything that came from Jenkins (job names, commit titles, authors, test
names, causes) passes through ``wyzepal_notifier.formatting`` here, so both the
standard layout and a config's own template only ever see safe text.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from wyzepal_notifier.formatting import bold, bullet_list, inline_code, link, plain, truncate

from ..build.model import Build
from .durations import human_duration
from .mentions import culprit_names

MARKERS = {
    "started": ":hourglass:", "success": ":check:", "back_to_normal": ":check:",
    "first_failure": ":cross_mark:", "still_failing": ":cross_mark:", "unstable": ":warning:",
    "aborted": ":stop_sign:", "not_built": ":white_circle:",
}
_FAILING = ("first_failure", "still_failing", "unstable")
TITLE_LIMIT = 100
PLACEHOLDERS = ("marker", "job", "number", "url", "link", "result", "kind", "headline", "cause", "branch",
                "commit", "duration", "details", "changes", "culprits", "tests")


class Parts:
    """Safe fragments of one build's message for one configuration."""

    def __init__(self, settings: Mapping[str, Any], build: Build, now_ms: Optional[int] = None) -> None:
        self.settings = settings
        self.build = build
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)

    @staticmethod
    def placeholders() -> tuple[str, ...]:
        return PLACEHOLDERS

    def mapping(self) -> dict[str, str]:
        """Every placeholder a MESSAGE_TEMPLATES entry may use."""
        build = self.build
        return {
            "marker": MARKERS[build.kind], "job": plain(build.job), "number": str(build.number),
            "url": build.url or "", "link": self.link(), "result": plain(build.result or "BUILDING"),
            "kind": build.kind, "headline": self.headline(), "cause": plain(build.cause or ""),
            "branch": inline_code(build.branch) if build.branch else "",
            "commit": inline_code(build.commit[:8]) if build.commit else "",
            "duration": human_duration(self.duration_ms()), "details": self.details(),
            "changes": self.changes(), "culprits": ", ".join(self.culprits()), "tests": self.tests(),
        }

    def link(self) -> str:
        label = f"{self.build.job} #{self.build.number}"
        return link(label, self.build.url) if self.build.url else bold(label)

    def duration_ms(self) -> Optional[int]:
        if self.build.duration_ms:
            return self.build.duration_ms
        if self.build.result and self.build.timestamp_ms:
            return max(0, self.now_ms - self.build.timestamp_ms)
        return None

    def headline(self) -> str:
        kind, streak = self.build.kind, self.build.streak
        if kind == "still_failing" and streak:
            count = f"{streak.builds}{'' if streak.complete else '+'}"
            since = human_duration((self.build.finished_ms or self.now_ms) - streak.since_ms)
            return f"**is still failing** ({count} builds in a row, for {since})"
        if kind == "back_to_normal" and streak:
            count = f"{streak.builds}{'' if streak.complete else '+'}"
            after = human_duration((self.build.finished_ms or self.now_ms) - streak.since_ms)
            noun = "build" if streak.builds == 1 else "builds"
            return f"**is back to normal** (after {count} unsuccessful {noun}, {after})"
        return {
            "started": "**started**", "success": "**succeeded**", "first_failure": "**failed**",
            "still_failing": "**is still failing**", "back_to_normal": "**is back to normal**",
            "unstable": "**is unstable**", "aborted": "**was aborted**", "not_built": "**was not built**",
        }[kind]

    def details(self) -> str:
        build = self.build
        items = [plain(build.cause)] if build.cause else []
        if build.branch:
            items.append("branch " + inline_code(build.branch))
        if build.commit:
            items.append("commit " + inline_code(build.commit[:8]))
        duration = human_duration(self.duration_ms()) if build.result else ""
        if duration:
            items.append("took " + duration)
        return " · ".join(items)

    def changes(self) -> str:
        build = self.build
        if not build.changes:
            return "No changes." if build.changes_known and build.result else ""
        limit = max(0, int(self.settings.get("MAX_CHANGES", 5)))
        lines = [f"{inline_code(change.commit[:8])} {plain(truncate(' '.join(change.title.split()), TITLE_LIMIT))}"
                 f" ({plain(change.author.name)})" for change in build.changes[:limit]]
        extra = len(build.changes) - len(lines)
        if extra > 0:
            lines.append(f"… and {extra} more change{'s' if extra > 1 else ''}")
        return "**Changes**\n" + bullet_list(lines)

    def culprits(self) -> list[str]:
        return culprit_names(self.settings, self.build) if self.build.kind in _FAILING else []

    def tests(self) -> str:
        tests = self.build.tests
        if tests is None:
            return ""
        counts = f"{tests.passed} passed, {tests.failed} failed, {tests.skipped} skipped"
        lines = [link(case.name, case.url) if case.url else inline_code(case.name) for case in tests.failures]
        extra = tests.failed - len(lines)
        if lines and extra > 0:
            lines.append(f"… and {extra} more failing")
        return f"**Tests**: {counts}" + ("\n" + bullet_list(lines) if lines else "")
