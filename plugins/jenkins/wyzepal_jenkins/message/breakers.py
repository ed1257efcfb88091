"""Tell the breaker: on a first failure, a direct message to each culprit who is a chat user.

Opt-in (DIRECT_MESSAGE_BREAKERS). A culprit is told only when they map to a
chat user: through the USERS table (``"Name"`` or ``"Name|id"``, matched against
the server's users) or, without an entry, because their commit email
is a chat user's email. People who do not map are never written to. Only the
first failure after a success is told (not a failure after an unstable build:
same broken streak); the watcher also remembers which build it told about.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from wyzepal_notifier import Message, RetryPolicy, WyzePalError
from wyzepal_notifier.formatting import bold, bullet_list

from ..build.model import Build, Person
from .parts import Parts, case_link

log = logging.getLogger("wyzepal_notifier.jenkins")
#: Asking who the chat users are must not hold up a build while the chat server is away.
LOOKUP = RetryPolicy(budget=5.0)


def should_tell(settings: Mapping[str, Any], build: Build) -> bool:
    return bool(settings.get("DIRECT_MESSAGE_BREAKERS")) and build.kind == "first_failure" \
        and build.previous_result in (None, "SUCCESS") and bool(build.culprits)


def breaker_messages(settings: Mapping[str, Any], build: Build, members: list[Mapping[str, Any]]) -> list[Message]:
    """One direct message per culprit who maps to an active human chat user."""
    people = [m for m in members if m.get("is_active", True) and not m.get("is_bot") and m.get("email")]
    emails: list[str] = []
    for culprit in build.culprits:
        email = chat_email(settings, culprit, _commit_email(build, culprit), people)
        if email and email not in emails:
            emails.append(email)
    text = content(settings, build)
    return [Message.direct(email, text) for email in emails]


def chat_email(settings: Mapping[str, Any], culprit: Person, commit_email: str,
               people: list[Mapping[str, Any]]) -> Optional[str]:
    table = {str(key).strip().lower(): str(value) for key, value in (settings.get("USERS") or {}).items()}
    for key in (culprit.id, culprit.name, culprit.email, commit_email):
        target = table.get(key.strip().lower()) if key else None
        if target:
            return _member_email(target, people)
    for email in (culprit.email, commit_email):
        if email:
            found = next((m for m in people if str(m["email"]).lower() == email.lower()), None)
            if found:
                return str(found["email"])
    return None


def _member_email(target: str, people: list[Mapping[str, Any]]) -> Optional[str]:
    """``"Name|12"`` is user 12; ``"Name"`` the one user of that full name (two of them: nobody, to be safe)."""
    name, _, user_id = target.partition("|")
    if user_id.strip().isdigit():
        found = [m for m in people if m.get("user_id") == int(user_id)]
    else:
        found = [m for m in people if str(m.get("full_name", "")).strip().lower() == name.strip().lower()]
    return str(found[0]["email"]) if len(found) == 1 else None


def _commit_email(build: Build, culprit: Person) -> str:
    for change in build.changes:
        if change.author.email and (change.author.id and change.author.id == culprit.id
                                    or change.author.name == culprit.name):
            return change.author.email
    return ""


def content(settings: Mapping[str, Any], build: Build) -> str:
    parts = Parts(settings, build)
    lines = [f":cross_mark: {parts.link()} {bold('failed')}, and your change is among the suspects."]
    if build.failed_stage:
        lines.append(f"Stage {bold(build.failed_stage)} failed.")
    if build.tests and build.tests.failures:
        lines.append("Failing tests:\n" + bullet_list(case_link(case) for case in build.tests.failures))
    return "\n".join(lines)


def tell(integration: Any, build: Build) -> int:
    """Queue the direct messages; returns how many. Asking the server for its users costs one request."""
    if not should_tell(integration.settings, build):
        return 0
    try:
        members = integration.client.call("GET", "users", retry=LOOKUP, timeout=(5.0, 5.0)).get("members") or []
    except WyzePalError as exc:
        log.warning("%s #%d: the breakers are not told (%s)", build.job, build.number, exc)
        return 0
    return sum(1 for message in breaker_messages(integration.settings, build, members)
               if integration.send(message))
