"""Who may do what, where: the bot acts only for the people, jobs and channels configured."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..selection import named, watched


class Policy:
    def __init__(self, settings: Mapping[str, Any], notification_streams: list[str]) -> None:
        self.settings = settings
        self.streams = list(settings.get("COMMAND_STREAMS") or notification_streams)

    def answers_in(self, stream: str) -> bool:
        return named(stream, self.streams)

    def can_see(self, job: str) -> bool:
        return watched(job, self.settings)

    def refuse_build(self, sender_email: str, job: str, doing: str = "start builds") -> Optional[str]:
        """None when allowed; otherwise the reason, said to the person.

        ``build``, ``rebuild``, ``abort``, ``approve`` and ``reject`` all need the
        same: the person in BUILD_USERS and the job in BUILD_JOBS.
        """
        if not named(sender_email.lower(), [user.lower() for user in self.settings.get("BUILD_USERS") or []]):
            return f"you are not allowed to {doing} from chat (ask an admin to add you to BUILD_USERS)"
        if not self.can_see(job) or not named(job, self.settings.get("BUILD_JOBS") or []):
            verb = "started" if doing == "start builds" else "acted on"
            return f"that job cannot be {verb} from chat (it is not in BUILD_JOBS)"
        return None

    def jenkins_users(self, sender: Mapping[str, Any]) -> list[str]:
        """The Jenkins user ids (or names, emails) the USERS table maps to this chat user.

        USERS maps Jenkins to chat (``"alice": "Alice Liddell|12"``); read backwards
        it says who a chat user is in Jenkins. The sender's email counts as a key too.
        """
        email = str(sender.get("sender_email") or "").lower()
        name = str(sender.get("sender_full_name") or "").strip().lower()
        user_id = sender.get("sender_id")
        found: list[str] = []
        for key, value in (self.settings.get("USERS") or {}).items():
            target_name, _, target_id = str(value).partition("|")
            same_id = target_id.strip().isdigit() and user_id is not None and int(target_id) == user_id
            same_name = not target_id.strip() and target_name.strip().lower() == name
            if same_id or same_name or str(key).lower() == email:
                found.append(str(key))
        return found
