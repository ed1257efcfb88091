"""Emoji reactions: POST/DELETE /messages/{id}/reactions and their ``reaction`` events."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .emoji import resolve_emoji
from .realm import Realm
from .responses import ApiError
from .store import Reaction, User

#: The deprecated ``user`` object of reaction events was gone between these levels.
LEVEL_USER_REMOVED, LEVEL_USER_BACK = 328, 339


def _reaction(
    realm: Realm, user: User, message_id: int, name: Optional[str], code: Optional[str], kind: Optional[str]
) -> Reaction:
    message = realm.visible_message(user, message_id)
    emoji_name, emoji_code, reaction_type = resolve_emoji(name, code, kind)
    return Reaction(message.id, user.user_id, emoji_name, emoji_code, reaction_type)


def add_reaction(
    realm: Realm, user: User, message_id: int, name: Optional[str], code: Optional[str], kind: Optional[str]
) -> None:
    """React; REACTION_ALREADY_EXISTS when this user already did with this emoji."""
    if name is None:
        raise ApiError("Missing 'emoji_name' argument", "REQUEST_VARIABLE_MISSING", var_name="emoji_name")
    reaction = _reaction(realm, user, message_id, name, code, kind)
    if not realm.store.add_reaction(reaction):
        raise ApiError("Reaction already exists.", "REACTION_ALREADY_EXISTS")
    _announce(realm, user, reaction, "add")


def remove_reaction(
    realm: Realm, user: User, message_id: int, name: Optional[str], code: Optional[str], kind: Optional[str]
) -> None:
    """Take a reaction back; REACTION_DOES_NOT_EXIST when there is none."""
    if name is None and code is None:
        raise ApiError("At least one of the following arguments must be present: emoji_name, emoji_code")
    wanted = _reaction(realm, user, message_id, name, code, kind)
    removed = realm.store.remove_reaction(wanted.message_id, user.user_id, wanted.emoji_code, wanted.reaction_type)
    if removed is None:
        raise ApiError("Reaction doesn't exist.", "REACTION_DOES_NOT_EXIST")
    _announce(realm, user, removed, "remove")


def _announce(realm: Realm, user: User, reaction: Reaction, op: str) -> None:
    """The spec's ``reaction`` event, to every queue whose user may see the message."""
    message = realm.store.message(reaction.message_id)
    if message is None:
        return
    event: Dict[str, Any] = {
        "type": "reaction",
        "op": op,
        "user_id": user.user_id,
        "message_id": reaction.message_id,
        "emoji_name": reaction.emoji_name,
        "emoji_code": reaction.emoji_code,
        "reaction_type": reaction.reaction_type,
    }
    if not LEVEL_USER_REMOVED <= realm.feature_level < LEVEL_USER_BACK:
        event["user"] = {"user_id": user.user_id, "email": user.email, "full_name": user.full_name}
    for queue in realm.receivers(message):
        if queue.wants("reaction"):
            queue.push(event)
