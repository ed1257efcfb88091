"""Who broke the build, as WyzePal names: mapped by the config's USERS table.

Keys are Jenkins user ids, full names or commit emails (case does not matter);
values are WyzePal full names, optionally ``"Name|user_id"`` to be exact.
Mentions are made only when MENTION_CULPRITS is on; otherwise names are plain.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from wyzepal_notifier.formatting import mention, plain

from ..build.model import Build, Person


def culprit_names(settings: Mapping[str, Any], build: Build) -> list[str]:
    table = {str(key).strip().lower(): value for key, value in (settings.get("USERS") or {}).items()}
    emails = _emails_by_author(build)
    shown: list[str] = []
    for person in build.culprits:
        target = _lookup(table, person, emails)
        if settings.get("MENTION_CULPRITS") and target:
            name, _, user_id = target.partition("|")
            text = mention(name.strip(), int(user_id) if user_id.strip().isdigit() else None)
        else:
            text = plain(person.name)
        if text not in shown:
            shown.append(text)
    return shown


def _emails_by_author(build: Build) -> dict[str, str]:
    emails: dict[str, str] = {}
    for change in build.changes:
        if change.author.email:
            for key in (change.author.id, change.author.name):
                if key:
                    emails.setdefault(key, change.author.email)
    return emails


def _lookup(table: Mapping[str, str], person: Person, emails: Mapping[str, str]) -> Optional[str]:
    for key in (person.id, person.name, person.email, emails.get(person.id), emails.get(person.name)):
        if key and key.strip().lower() in table:
            return table[key.strip().lower()]
    return None
