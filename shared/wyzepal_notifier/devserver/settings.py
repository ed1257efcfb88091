"""Server-wide constants and knobs, declared once with their Zulip defaults."""

from __future__ import annotations

from dataclasses import dataclass

#: Feature level and version of the Zulip API this server imitates (openapi 10.2).
ZULIP_FEATURE_LEVEL = 372
ZULIP_VERSION = "10.2"


@dataclass
class Settings:
    """Realm limits and timing knobs; tests shrink the timings to stay fast."""

    realm_name: str = "WyzePal Dev"
    #: Seconds a GET /events waits before answering with a heartbeat.
    heartbeat_seconds: float = 50.0
    #: Seconds an event queue may sit unpolled before it is collected.
    queue_timeout: float = 600.0
    max_message_length: int = 10000
    max_topic_length: int = 60
    max_stream_name_length: int = 60
    max_stream_description_length: int = 1024
    #: Upper bound of num_before + num_after in GET /messages.
    max_messages_per_fetch: int = 5000

    @property
    def longpoll_timeout_seconds(self) -> int:
        """Client-side timeout for GET /events: always above the heartbeat period."""
        return int(max(90, self.heartbeat_seconds * 1.5 + 10))
