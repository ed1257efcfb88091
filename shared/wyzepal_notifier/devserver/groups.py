"""Roles, Zulip's system user groups and group-setting values.

Zulip expresses permissions ("who may move topics") as a *group-setting value*:
a user group id, or ``{"direct_members": [...], "direct_subgroups": [...]}``.
The system groups nest by role: owners ⊂ administrators ⊂ moderators ⊂ full
members ⊂ members ⊂ everyone ⊂ internet, each listing only its direct members
(users with exactly that role) and the next smaller group as its subgroup, as
``POST /register``'s ``realm_user_groups`` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from .responses import ApiError

ROLE_OWNER = 100
ROLE_ADMIN = 200
ROLE_MODERATOR = 300
ROLE_MEMBER = 400
ROLE_GUEST = 600
ROLES = {
    "owner": ROLE_OWNER,
    "admin": ROLE_ADMIN,
    "moderator": ROLE_MODERATOR,
    "member": ROLE_MEMBER,
    "guest": ROLE_GUEST,
}


@dataclass(frozen=True)
class SystemGroup:
    """One of Zulip's role-based groups; ``role`` is whose users are its direct members."""

    id: int
    name: str
    description: str
    role: Optional[int]
    subgroup: Optional[int]


#: Ids follow Zulip's creation order (nobody first, then nesting upwards).
SYSTEM_GROUPS = (
    SystemGroup(1, "role:nobody", "Nobody", None, None),
    SystemGroup(2, "role:owners", "Owners of this organization", ROLE_OWNER, None),
    SystemGroup(3, "role:administrators", "Administrators of this organization, including owners", ROLE_ADMIN, 2),
    SystemGroup(4, "role:moderators", "Moderators of this organization, including administrators", ROLE_MODERATOR, 3),
    SystemGroup(
        5, "role:fullmembers", "Members of this organization, not including new accounts and guests", ROLE_MEMBER, 4
    ),
    SystemGroup(6, "role:members", "Members of this organization, not including guests", None, 5),
    SystemGroup(7, "role:everyone", "Everyone in this organization, including all guests", ROLE_GUEST, 6),
    SystemGroup(8, "role:internet", "Everyone on the Internet", None, 7),
)
_BY_ID = {g.id: g for g in SYSTEM_GROUPS}
#: Short names for the CLI and the control API.
GROUP_ALIASES = {
    "nobody": 1,
    "owners": 2,
    "admins": 3,
    "administrators": 3,
    "moderators": 4,
    "fullmembers": 5,
    "full_members": 5,
    "members": 6,
    "everyone": 7,
}
#: The pre-group enums (``edit_topic_policy``, ``move_messages_between_streams_policy``):
#: 1=members, 2=admins, 3=full members, 4=moderators, 5=everyone, 6=nobody.
_POLICY_OF_GROUP = {6: 1, 3: 2, 5: 3, 4: 4, 7: 5, 1: 6}


@dataclass(frozen=True)
class Member:
    """What group membership needs to know about a user."""

    user_id: int
    role: int


def parse_group_value(value: Any) -> Any:
    """A group-setting value from an id, an alias (``"admins"``), ``role:…`` or the object form."""
    if isinstance(value, bool):
        raise ApiError(f"Invalid user group setting value: {value!r}")
    if isinstance(value, int):
        if value not in _BY_ID:
            raise ApiError(f"Invalid user group ID: {value}")
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return parse_group_value(int(text))
        named = {g.name: g.id for g in SYSTEM_GROUPS}
        if text in GROUP_ALIASES or text in named:
            return GROUP_ALIASES.get(text) or named[text]
        choices = ", ".join(sorted(set(GROUP_ALIASES) - {"administrators", "full_members"}))
        raise ApiError(f"Unknown user group '{value}' (expected one of {choices}, a group id or an object)")
    if isinstance(value, dict) and set(value) <= {"direct_members", "direct_subgroups"}:
        members = value.get("direct_members", [])
        subgroups = [parse_group_value(g) for g in value.get("direct_subgroups", [])]
        if not isinstance(members, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in members):
            raise ApiError("direct_members must be a list of user ids")
        return {"direct_members": sorted(members), "direct_subgroups": sorted(subgroups)}
    raise ApiError(f"Invalid user group setting value: {value!r}")


def _group_contains(group_id: int, member: Member) -> bool:
    group: Optional[SystemGroup] = _BY_ID.get(group_id)
    while group is not None:
        if group.role is not None and group.role == member.role:
            return True
        group = _BY_ID.get(group.subgroup) if group.subgroup is not None else None
    return False


def is_member(value: Any, member: Member) -> bool:
    """Whether ``member`` belongs to the (parsed) group-setting value."""
    if isinstance(value, int):
        return _group_contains(value, member)
    if member.user_id in value["direct_members"]:
        return True
    return any(_group_contains(g, member) for g in value["direct_subgroups"])


def policy_of(value: Any) -> int:
    """The legacy policy enum of a system-group value (what servers before level 316 sent)."""
    if isinstance(value, int) and value in _POLICY_OF_GROUP:
        return _POLICY_OF_GROUP[value]
    return 1  # an arbitrary set of users has no enum value; "members" is Zulip's default


def is_moderator(member: Member) -> bool:
    """Moderators and above are exempt from the move time limits."""
    return member.role <= ROLE_MODERATOR


def group_dicts(members: Iterable[Member]) -> List[Dict[str, Any]]:
    """``realm_user_groups``: the system groups with their direct members."""
    people: Sequence[Member] = list(members)
    result = []
    for group in SYSTEM_GROUPS:
        direct = sorted(m.user_id for m in people if group.role is not None and m.role == group.role)
        result.append(
            {
                "id": group.id,
                "name": group.name,
                "description": group.description,
                "members": direct,
                "direct_subgroup_ids": [group.subgroup] if group.subgroup is not None else [],
                "is_system_group": True,
                "date_created": None,
                "creator_id": None,
                "deactivated": False,
                "can_add_members_group": 1,
                "can_join_group": 1,
                "can_leave_group": 1,
                "can_manage_group": 1,
                "can_mention_group": 1,
                "can_remove_members_group": 1,
            }
        )
    return result


def parse_role(value: Any) -> int:
    """A role from its number or name (``admin``, ``member``...)."""
    if isinstance(value, int) and value in ROLES.values():
        return value
    text = str(value).strip().lower()
    if text.isdigit() and int(text) in ROLES.values():
        return int(text)
    if text in ROLES:
        return ROLES[text]
    raise ApiError(f"Invalid role '{value}' (expected one of {', '.join(ROLES)})")


def member_ids(value: Any, members: Iterable[Member]) -> Set[int]:
    """Every user id the group-setting value includes (for clients that want a flat list)."""
    return {m.user_id for m in members if is_member(value, m)}
