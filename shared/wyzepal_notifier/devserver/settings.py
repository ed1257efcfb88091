"""Server-wide constants and knobs, declared once with their Zulip defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

#: Feature level and version of the Zulip API this server imitates (openapi 10.2).
ZULIP_FEATURE_LEVEL = 372
ZULIP_VERSION = "10.2"

#: Feature levels where behaviour this project relies on changed (see the spec's "Changes").
LEVEL_EDIT_TOPIC_GROUP = 316  # can_move_messages_between_topics_group replaced edit_topic_policy
LEVEL_MOVE_CHANNELS_GROUP = 310  # can_move_messages_between_channels_group replaced a policy enum
LEVEL_EMPTY_TOPIC = 334  # the empty topic ("general chat") became valid
LEVEL_MOVED_TIMESTAMP = 365  # last_moved_timestamp; last_edit_timestamp counts content edits only
LEVEL_RESOLVE_GROUP = 367  # can_resolve_topics_group; before it resolving was a topic move
LEVEL_NO_TOPIC_ALIAS = 370  # "(no topic)" is read as the empty topic


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
    #: The API level served (``zulip_feature_level``); older levels change behaviour too.
    feature_level: int = ZULIP_FEATURE_LEVEL

    @property
    def longpoll_timeout_seconds(self) -> int:
        """Client-side timeout for GET /events: always above the heartbeat period."""
        return int(max(90, self.heartbeat_seconds * 1.5 + 10))


@dataclass
class RealmPolicy:
    """The organisation settings that govern editing and moving messages (Zulip's defaults).

    Group settings hold a group-setting value: a user group id, or
    ``{"direct_members": [...], "direct_subgroups": [...]}``; the names
    ``"everyone"``, ``"members"``, ``"admins"``... are accepted wherever one is set.
    """

    allow_message_editing: bool = True
    #: None means no limit (the spec's ``null``).
    message_content_edit_limit_seconds: Optional[int] = 600
    move_messages_within_stream_limit_seconds: Optional[int] = 604800
    move_messages_between_streams_limit_seconds: Optional[int] = 604800
    can_move_messages_between_topics_group: Any = "everyone"
    can_move_messages_between_channels_group: Any = "members"
    can_resolve_topics_group: Any = "everyone"
    empty_topic_display_name: str = "general chat"
    allow_edit_history: bool = True
