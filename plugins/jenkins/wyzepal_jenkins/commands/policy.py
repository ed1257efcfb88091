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

    def refuse_build(self, sender_email: str, job: str) -> Optional[str]:
        """None when allowed; otherwise the reason, said to the person."""
        if not named(sender_email.lower(), [user.lower() for user in self.settings.get("BUILD_USERS") or []]):
            return "you are not allowed to start builds from chat (ask an admin to add you to BUILD_USERS)"
        if not self.can_see(job) or not named(job, self.settings.get("BUILD_JOBS") or []):
            return "that job cannot be started from chat (it is not in BUILD_JOBS)"
        return None
