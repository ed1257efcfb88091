"""The settings ``wyzepal_jenkins_config.py`` may hold beyond the common ones.

Each NOTIFY_* switch, MESSAGE_TEMPLATES and the mention settings can also be set
per configuration, so e.g. ``deploy-*`` jobs may announce every success.
"""
from __future__ import annotations

from typing import Any, Optional

from wyzepal_notifier import Field

from .kinds import KINDS, RESULTS


def _positive(value: float) -> Optional[str]:
    return None if value > 0 else "must be more than 0"


def _not_negative(value: int) -> Optional[str]:
    return None if value >= 0 else "must be 0 or more"


def _templates(value: dict[str, Any]) -> Optional[str]:
    for key, template in value.items():
        if key not in KINDS and key not in RESULTS:
            return f"has the key {key!r}, which is neither a result ({', '.join(RESULTS)}) nor a kind"
        if not isinstance(template, str):
            return f"has a {type(template).__name__} for {key!r}, not a string"
    return None


def _users(value: dict[str, Any]) -> Optional[str]:
    for key, name in value.items():
        if not isinstance(key, str) or not isinstance(name, str) or not name.strip():
            return f"maps {key!r} to {name!r}; both must be non-empty strings"
    return None


def _push_place(value: dict[str, Any]) -> Optional[str]:
    if not isinstance(value.get("stream"), str) or not value["stream"].strip():
        return "needs a 'stream': the channel the git hook announces pushes in"
    unknown = set(value) - {"stream", "topic"}
    if unknown:
        return f"has the key {sorted(unknown)[0]!r}; only 'stream' and 'topic' are read"
    if "topic" in value and (not isinstance(value["topic"], str) or not value["topic"].strip()):
        return "has a 'topic' that is not a template string such as '{branch}'"
    return None


def _globs(value: list) -> Optional[str]:
    bad = [item for item in value if not isinstance(item, str) or not item]
    return f"has {bad[0]!r}, which is not a job name or pattern" if bad else None


NOTIFY_DEFAULTS = {
    "started": False, "success": False, "first_failure": True, "still_failing": True, "regression": True,
    "back_to_normal": True, "unstable": True, "aborted": False, "not_built": False,
}


def notify_setting(kind: str) -> str:
    return f"NOTIFY_{kind.upper()}"


JENKINS_FIELDS = [
    Field("JENKINS_URL", str, help="the Jenkins address, e.g. https://jenkins.example.com/ "
                                   "(a build step takes $JENKINS_URL)"),
    Field("JENKINS_USER", str, help="the Jenkins user whose API token reads builds ($JENKINS_USER overrides)"),
    Field("JENKINS_USER_ID", str, help="the first name of JENKINS_USER, still accepted"),
    Field("JENKINS_API_TOKEN", str, secret=True,
          help="that user's API token, from Jenkins > your name > Security ($JENKINS_API_TOKEN overrides)"),
    Field("JENKINS_TIMEOUT", (int, float), default=10, check=_positive, help="seconds to wait for Jenkins"),
    *[Field(notify_setting(kind), bool, default=on, help=f"announce builds that are {kind.replace('_', ' ')}")
      for kind, on in NOTIFY_DEFAULTS.items()],
    Field("MENTION_CULPRITS", bool, default=False, help="mention the people whose changes broke the build"),
    Field("USERS", dict, default={}, check=_users, expects="a dict of Jenkins user id, name or email to WyzePal name",
          help='e.g. {"alice": "Alice Smith", "bob@example.com": "Bob Jones|12"}'),
    Field("DIRECT_MESSAGE_BREAKERS", bool, default=False,
          help="on a first failure, write directly to each culprit who is a chat user (USERS or same email)"),
    Field("MAX_CHANGES", int, default=5, help="changes listed before '… and N more'"),
    Field("MAX_FAILED_TESTS", int, default=5, help="failing tests listed by name"),
    Field("LOG_LINES", int, default=0, check=_not_negative,
          help="last lines of the console shown for a failed or aborted build (0: none)"),
    Field("NOTIFY_INPUT", bool, default=True,
          help="the watcher announces a pipeline waiting at an input step, with its question and choices"),
    Field("MESSAGE_TEMPLATES", dict, default={}, check=_templates,
          expects="a dict of result or kind to a template string",
          help='e.g. {"FAILURE": "{marker} {link} broke: {changes}"}; see the template file'),
    Field("LIVING_MESSAGE", bool, default=False,
          help="one message per build: posted when it starts, edited to its result, a status reaction on it"),
    Field("RESOLVE_TOPIC_WHEN_GREEN", bool, default=False,
          help="with LIVING_MESSAGE: a green build marks the job's topic resolved, a failing one unresolves it"),
    Field("PUSH_ANNOUNCEMENTS", dict, check=_push_place, expects="a dict with 'stream' and maybe 'topic'",
          help="where the git hook announces pushes, e.g. {'stream': 'commits', 'topic': '{branch}'}: "
               "the build's status reaction goes on its commit's push message too"),
    Field("WATCH_JOBS", list, default=["*"], check=_globs, help="jobs the watcher announces (full names or globs)"),
    Field("IGNORE_JOBS", list, default=[], check=_globs, help="jobs the watcher skips (full names or globs)"),
    Field("POLL_INTERVAL", (int, float), default=30, check=_positive, help="seconds between the watcher's polls"),
    Field("STATE_PATH", str, help="where the watcher remembers what it announced "
                                  "(default: wyzepal_jenkins_watch_state.json beside the config)"),
    Field("COMMANDS_ENABLED", bool, default=False, help="True lets the watcher answer chat commands"),
    Field("COMMAND_STREAMS", list, default=[], check=_globs,
          help="channels where the bot answers commands (default: the notification channels)"),
    Field("BUILD_USERS", list, default=[], check=_globs, help="emails of the people allowed to start builds"),
    Field("BUILD_JOBS", list, default=[], check=_globs, help="jobs (globs) that chat may start"),
]
