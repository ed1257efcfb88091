"""The pieces of a build message, each already safe markdown.

Everything that came from Jenkins (job names, commit titles, authors, test
names, causes) passes through ``wyzepal_notifier.formatting`` here, so both the
standard layout and a config's own template only ever see safe text.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from wyzepal_notifier.formatting import bold, bullet_list, code_block, inline_code, link, plain, truncate

from ..api.client import display_name
from ..build.model import Build, FailedTest
from .durations import human_duration
from .mentions import culprit_names

MARKERS = {
    "started": ":hourglass:", "success": ":check:", "back_to_normal": ":check:",
    "first_failure": ":cross_mark:", "still_failing": ":cross_mark:", "regression": ":cross_mark:",
    "unstable": ":warning:",
    "aborted": ":stop_sign:", "not_built": ":white_circle:",
}
_FAILING = ("first_failure", "still_failing", "regression", "unstable")
TITLE_LIMIT = 100
LOG_LINE_LIMIT = 300  # characters per console line shown
PLACEHOLDERS = ("marker", "job", "number", "url", "link", "result", "kind", "headline", "cause", "branch",
                "commit", "duration", "details", "changes", "culprits", "tests", "pull_request", "stage",
                "new_failures", "log")


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
            "marker": MARKERS[build.kind], "job": plain(display_name(build.job)), "number": str(build.number),
            "url": build.url or "", "link": self.link(), "result": plain(build.result or "BUILDING"),
            "kind": build.kind, "headline": self.headline(), "cause": plain(build.cause or ""),
            "branch": inline_code(build.branch) if build.branch else "",
            "commit": inline_code(build.commit[:8]) if build.commit else "",
            "duration": human_duration(self.duration_ms()), "details": self.details(),
            "changes": self.changes(), "culprits": ", ".join(self.culprits()), "tests": self.tests(),
            "pull_request": self.pull_request(), "stage": plain(build.failed_stage or ""),
            "new_failures": self.new_failures(), "log": self.log(),
        }

    def link(self) -> str:
        label = f"{display_name(self.build.job)} #{self.build.number}"
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
        if kind == "regression":
            tests = self.build.tests
            count = tests.new_failed if tests else 0
            return f"**is still failing, with new failures** ({count} more test{'s' if count != 1 else ''} failing)"
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
        items = [f"stage {bold(build.failed_stage)} failed"] if build.failed_stage else []
        if build.pull_request:
            items.append(self.pull_request())
        if build.cause:
            items.append(plain(build.cause))
        if build.branch:
            items.append("branch " + inline_code(build.branch))
        if build.commit:
            items.append("commit " + inline_code(build.commit[:8]))
        duration = human_duration(self.duration_ms()) if build.result else ""
        if duration:
            items.append("took " + duration)
        return " · ".join(items)

    def pull_request(self) -> str:
        """``pull request #42 Fix login by Alice into main``, linked to the PR when Jenkins says where it is."""
        pr = self.build.pull_request
        if pr is None:
            return ""
        label = f"#{pr.id}" + (f" {truncate(' '.join(pr.title.split()), TITLE_LIMIT)}" if pr.title else "")
        text = "pull request " + (link(label, pr.url) if pr.url.startswith(("http://", "https://")) else plain(label))
        if pr.author:
            text += f" by {plain(pr.author)}"
        if pr.target:
            text += f" into {inline_code(pr.target)}"
        return text

    def log(self) -> str:
        """The console's last lines in a code block no log line can close early."""
        if not self.build.log_tail:
            return ""
        lines = [truncate(line, LOG_LINE_LIMIT) for line in self.build.log_tail.splitlines()]
        return f"**Console** (last {len(lines)} lines)\n" + code_block("\n".join(lines))

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
        shown, listed_elsewhere = tests.failures, 0
        if self.build.kind == "regression":  # the new failures are the news; they get their own list
            shown = tuple(case for case in tests.failures if case not in tests.new_failures)
            listed_elsewhere = tests.new_failed
        lines = [case_link(case) for case in shown]
        extra = tests.failed - listed_elsewhere - len(lines)
        if lines and extra > 0:
            lines.append(f"… and {extra} more failing")
        return f"**Tests**: {counts}" + ("\n" + bullet_list(lines) if lines else "")

    def new_failures(self) -> str:
        tests = self.build.tests
        if self.build.kind != "regression" or not tests or not tests.new_failures:
            return ""
        lines = [case_link(case) for case in tests.new_failures]
        extra = tests.new_failed - len(lines)
        if extra > 0:
            lines.append(f"… and {extra} more")
        return "**Newly failing**\n" + bullet_list(lines)


def case_link(case: FailedTest) -> str:
    """A failing test, linked to its page when the build's address is known."""
    return link(case.name, case.url) if case.url else inline_code(case.name)
