"""The organisation's rules for editing and moving messages, as a bot needs them before it tries.

``Client.get_realm_settings()`` reads them from ``POST /register`` (``realm`` and
``realm_user_groups``) and answers with a :class:`RealmRules`. The API changed how
it states who may move or resolve topics; this module reads every version once:

- feature level 367+: ``realm_can_resolve_topics_group`` (a group-setting value);
  before it, resolving a topic is moving it, and follows the move permission;
- feature level 316+: ``realm_can_move_messages_between_topics_group``; before it
  the enum ``realm_edit_topic_policy`` (1 members, 2 admins, 3 full members,
  4 moderators, 5 everyone, 6 nobody), read here as the matching system group;
- a group-setting value is a group id (its members and, recursively, its
  subgroups' members) or ``{"direct_members": [...], "direct_subgroups": [...]}``.

When the server does not say (no groups sent, an unknown policy), ``may_*`` answers
True: the server has the last word, and a refused edit is reported by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..message import MAX_CONTENT_LENGTH, MAX_TOPIC_LENGTH

#: The empty topic ("general chat") is a valid topic from this feature level on.
EMPTY_TOPIC_FEATURE_LEVEL = 334
#: ``can_resolve_topics_group`` exists from here; before, resolving follows the move permission.
RESOLVE_GROUP_FEATURE_LEVEL = 367
#: ``can_move_messages_between_topics_group`` replaced ``edit_topic_policy`` here.
MOVE_GROUP_FEATURE_LEVEL = 316
#: Before this level ``move_messages_within_stream_limit_seconds`` did not exist: the limit was 3 days.
MOVE_LIMIT_FEATURE_LEVEL = 162
OLD_MOVE_LIMIT_SECONDS = 3 * 24 * 3600
#: ``realm_edit_topic_policy`` values as the system groups that mean the same people.
EDIT_TOPIC_POLICY_GROUPS = {1: "role:members", 2: "role:administrators", 3: "role:fullmembers",
                            4: "role:moderators", 5: "role:everyone", 6: "role:nobody"}
NOBODY: dict[str, list[int]] = {"direct_members": [], "direct_subgroups": []}


@dataclass(frozen=True)
class UserGroup:
    """A user group as ``realm_user_groups`` lists it: direct members and direct subgroups."""

    id: int
    name: str
    members: frozenset[int] = frozenset()
    subgroups: tuple[int, ...] = ()


@dataclass(frozen=True)
class RealmRules:
    """What the organisation allows: edit and move limits, who may move or resolve topics, lengths."""

    zulip_feature_level: int = 0
    editing_allowed: bool = True
    #: Seconds after sending within which content may be edited; None: no limit.
    edit_limit_seconds: Optional[int] = None
    #: Seconds after sending within which a message may move to another topic; None: no limit
    #: (moderators and administrators are not bound by it).
    move_within_stream_limit_seconds: Optional[int] = None
    max_message_length: int = MAX_CONTENT_LENGTH
    max_topic_length: int = MAX_TOPIC_LENGTH
    #: How the empty topic is shown; sending to this name reaches the empty topic.
    empty_topic_display_name: str = "general chat"
    #: The group-setting values as read (None: the server did not say).
    move_topics_setting: Any = None
    resolve_topics_setting: Any = None
    groups: Mapping[int, UserGroup] = field(default_factory=dict)

    @classmethod
    def from_register(cls, state: Mapping[str, Any]) -> RealmRules:
        """Read the answer of a ``POST /register`` with ``fetch_event_types`` realm and realm_user_groups."""
        level = _int(state.get("zulip_feature_level")) or 0
        groups = _groups(state.get("realm_user_groups") or [])
        if level >= MOVE_GROUP_FEATURE_LEVEL or "realm_can_move_messages_between_topics_group" in state:
            move = state.get("realm_can_move_messages_between_topics_group")
        else:
            move = _policy_as_setting(state.get("realm_edit_topic_policy"), groups)
        if level >= RESOLVE_GROUP_FEATURE_LEVEL or "realm_can_resolve_topics_group" in state:
            resolve = state.get("realm_can_resolve_topics_group")
        else:
            resolve = move
        if "realm_move_messages_within_stream_limit_seconds" in state:
            move_limit = _limit(state.get("realm_move_messages_within_stream_limit_seconds"))
        else:
            move_limit = OLD_MOVE_LIMIT_SECONDS if level < MOVE_LIMIT_FEATURE_LEVEL else None
        return cls(
            zulip_feature_level=level,
            editing_allowed=bool(state.get("realm_allow_message_editing", True)),
            edit_limit_seconds=_limit(state.get("realm_message_content_edit_limit_seconds")),
            move_within_stream_limit_seconds=move_limit,
            max_message_length=_int(state.get("max_message_length")) or MAX_CONTENT_LENGTH,
            max_topic_length=_int(state.get("max_topic_length")) or MAX_TOPIC_LENGTH,
            empty_topic_display_name=str(state.get("realm_empty_topic_display_name") or "general chat"),
            move_topics_setting=move,
            resolve_topics_setting=resolve,
            groups=groups,
        )

    @property
    def empty_topic_allowed(self) -> bool:
        """Whether a channel message may have the empty topic (shown as "general chat")."""
        return self.zulip_feature_level >= EMPTY_TOPIC_FEATURE_LEVEL

    def may_move_topics(self, user_id: int) -> bool:
        """Whether ``user_id`` may move messages to another topic of the same channel."""
        return self._allows(self.move_topics_setting, user_id)

    def may_resolve_topics(self, user_id: int) -> bool:
        """Whether ``user_id`` may mark a topic resolved (the "✔ " prefix) or unresolved."""
        return self._allows(self.resolve_topics_setting, user_id)

    def members(self, setting: Any) -> Optional[frozenset[int]]:
        """The user ids a group-setting value stands for; None when the groups it names are unknown."""
        if isinstance(setting, bool):
            return None
        if isinstance(setting, int):
            return self._group_members(setting, set())
        if isinstance(setting, Mapping):
            found: set[int] = {int(u) for u in setting.get("direct_members") or []}
            for group_id in setting.get("direct_subgroups") or []:
                members = self._group_members(int(group_id), set())
                if members is None:
                    return None
                found |= members
            return frozenset(found)
        return None

    def _allows(self, setting: Any, user_id: int) -> bool:
        members = self.members(setting)
        return True if members is None else int(user_id) in members

    def _group_members(self, group_id: int, visiting: set[int]) -> Optional[frozenset[int]]:
        group = self.groups.get(group_id)
        if group is None:
            return None
        if group_id in visiting:  # a cycle cannot add anyone
            return frozenset()
        visiting.add(group_id)
        found = set(group.members)
        for sub in group.subgroups:
            members = self._group_members(sub, visiting)
            if members is None:
                return None
            found |= members
        return frozenset(found)


def _groups(raw: Any) -> dict[int, UserGroup]:
    groups = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping) or _int(item.get("id")) is None:
            continue
        subgroups = item.get("direct_subgroup_ids", item.get("subgroups")) or []
        group = UserGroup(int(item["id"]), str(item.get("name", "")),
                          frozenset(int(u) for u in item.get("members") or []), tuple(int(g) for g in subgroups))
        groups[group.id] = group
    return groups


def _policy_as_setting(policy: Any, groups: Mapping[int, UserGroup]) -> Any:
    """An old ``edit_topic_policy`` as the system group that holds the same people (None: unknown)."""
    name = EDIT_TOPIC_POLICY_GROUPS.get(_int(policy) or 0)
    if name is None:
        return None
    by_name = {group.name: group.id for group in groups.values()}
    if name in by_name:
        return by_name[name]
    return dict(NOBODY) if name == "role:nobody" else None


def _limit(value: Any) -> Optional[int]:
    """A time limit in seconds; None and 0 (before feature level 138) both mean no limit."""
    seconds = _int(value)
    return seconds if seconds else None


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
