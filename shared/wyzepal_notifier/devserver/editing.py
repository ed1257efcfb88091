"""PATCH /messages/{id}: content edits, topic and channel moves, resolving topics.

Follows Zulip's ``check_update_message``/``do_update_message``: the same order
of checks (so a request failing two rules gets the error Zulip gives), the
20-second grace on every time limit, the ``update_message`` event, the edit
history, and the Notification Bot's "marked as resolved" and "moved" notices.
Behaviour that changed across API levels follows ``realm.feature_level``.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .events import EventQueue
from .groups import is_moderator
from .realm import Realm, truncate
from .responses import ApiError
from .settings import LEVEL_EMPTY_TOPIC, LEVEL_RESOLVE_GROUP
from .store import Message, Stream, User

RESOLVED_TOPIC_PREFIX = "✔ "
#: Zulip allows 20 s past every limit (network delays, the web app's countdown).
LIMIT_GRACE_SECONDS = 20
PROPAGATE_MODES = ("change_one", "change_later", "change_all")
#: Level where PATCH started answering ``detached_uploads``.
LEVEL_DETACHED_UPLOADS = 285


@dataclass
class EditRequest:
    """The parsed parameters of one PATCH /messages/{message_id}."""

    message_id: int
    content: Optional[str] = None
    topic: Optional[str] = None
    stream_id: Optional[int] = None
    propagate_mode: str = "change_one"
    send_notification_to_old_thread: bool = False
    send_notification_to_new_thread: bool = True


@dataclass
class _Move:
    """What a validated request changes."""

    message: Message
    orig_stream: Optional[Stream]
    target_stream: Optional[Stream]
    content: Optional[str]
    topic: Optional[str]  # the new topic, None when unchanged
    resolved: bool = False
    unresolved: bool = False

    @property
    def stream_changed(self) -> bool:
        return (
            self.target_stream is not None
            and self.orig_stream is not None
            and (self.target_stream.stream_id != self.orig_stream.stream_id)
        )

    @property
    def moved(self) -> bool:
        return self.topic is not None or self.stream_changed

    @property
    def target_topic(self) -> str:
        return self.topic if self.topic is not None else self.message.subject


def silent_mention(user: User) -> str:
    """Zulip's ``silent_mention_syntax_for_user``: names without notifying."""
    return f"@_**{user.full_name}|{user.user_id}**"


def topic_link(stream: Stream, topic: str) -> str:
    """``#**channel>topic**``, the link syntax the notices use."""
    return f"#**{stream.name}>{topic}**"


def _hash_encode(text: str) -> str:
    """Zulip's URL-fragment encoding: percent-encoding with ``.`` for ``%``."""
    return urllib.parse.quote(text, safe="").replace(".", "%2E").replace("%", ".")


def message_url(site: str, stream: Stream, topic: str, message_id: int) -> str:
    """A link to one message, as ``stream_message_url`` builds it."""
    slug = _hash_encode(f"{stream.stream_id}-{stream.name.replace(' ', '-')}")
    return f"{site}/#narrow/channel/{slug}/topic/{_hash_encode(topic)}/near/{message_id}"


class MessageEditor:
    """Applies edit requests to a realm (on the server loop: it pushes events)."""

    def __init__(self, realm: Realm) -> None:
        self.realm = realm

    # --- validation, in Zulip's order ------------------------------------------------------
    def update(self, user: User, request: EditRequest) -> Dict[str, Any]:
        """Validate, apply and announce one edit; returns the response's extra fields."""
        realm = self.realm
        if request.propagate_mode not in PROPAGATE_MODES:
            raise ApiError("Invalid propagate_mode")
        message = realm.visible_message(user, request.message_id)
        now = int(time.time())
        if request.content is not None:
            self._check_content_edit(user, message, now)
        topic = self._normalised_topic(request.topic, message)
        self._validate_payload(message, request, topic)
        move = self._build(user, message, request, topic)
        self._check_move_permissions(user, move, request.propagate_mode, now)
        self._apply(user, move, request, now)
        if request.content is not None and realm.feature_level >= LEVEL_DETACHED_UPLOADS:
            return {"detached_uploads": []}
        return {}

    def _check_content_edit(self, user: User, message: Message, now: int) -> None:
        policy = self.realm.policy
        if not policy.allow_message_editing:
            raise ApiError("Your organization has turned off message editing")
        if message.sender_id != user.user_id:
            raise ApiError("You don't have permission to edit this message")
        limit = policy.message_content_edit_limit_seconds
        if limit is not None and now - message.timestamp > limit + LIMIT_GRACE_SECONDS:
            raise ApiError("The time limit for editing this message has past")

    def _normalised_topic(self, topic: Optional[str], message: Message) -> Optional[str]:
        if topic is None:
            return None
        topic = self.realm.normalise_topic(topic)
        return None if topic == message.subject else topic

    def _validate_payload(self, message: Message, request: EditRequest, topic: Optional[str]) -> None:
        if topic is None and request.content is None and request.stream_id is None:
            raise ApiError("Nothing to change")
        if message.type != "stream":
            if request.stream_id is not None:
                raise ApiError("Direct messages cannot be moved to channels.")
            if topic is not None:
                raise ApiError("Direct messages cannot have topics.")
        if request.propagate_mode != "change_one" and topic is None and request.stream_id is None:
            raise ApiError("Invalid propagate_mode without topic edit")
        empty_names = {
            RESOLVED_TOPIC_PREFIX.strip(),
            RESOLVED_TOPIC_PREFIX + self.realm.policy.empty_topic_display_name,
        }
        if topic in empty_names and self.realm.feature_level >= LEVEL_EMPTY_TOPIC:
            raise ApiError("General chat cannot be marked as resolved")
        if topic == "" and self.realm.feature_level < LEVEL_EMPTY_TOPIC:
            raise ApiError("Topic can't be empty")
        if topic is not None and any(ord(ch) < 32 for ch in topic):
            position = next(i for i, ch in enumerate(topic) if ord(ch) < 32) + 1
            raise ApiError(f"Invalid character in topic, at position {position}!")
        if request.stream_id is not None and request.content is not None:
            raise ApiError("Cannot change message content while changing channel")

    def _build(self, user: User, message: Message, request: EditRequest, topic: Optional[str]) -> _Move:
        realm = self.realm
        content = request.content
        if content is not None:
            content = content.rstrip().lstrip("\n") or "(deleted)"
            content = truncate(content, realm.settings.max_message_length, "\n[message truncated]")
        if message.type != "stream":
            return _Move(message, None, None, content, None)
        if topic is not None:
            topic = truncate(topic, realm.settings.max_topic_length, "…")
        orig = realm.store.stream_by_id(message.stream_id or 0)
        target = orig
        if request.stream_id is not None:
            target = realm.store.stream_by_id(request.stream_id)
            if target is None or not realm.can_access(user, target):
                raise ApiError("Invalid channel ID")
        move = _Move(message, orig, target, content, topic)
        if topic is not None:
            move.resolved, move.unresolved = self._resolution(message.subject, topic, request.topic or "")
        return move

    def _resolution(self, old: str, new: str, raw_new: str) -> Tuple[bool, bool]:
        """Whether the edit marks the topic (un)resolved, by the served level's rules."""
        prefix = RESOLVED_TOPIC_PREFIX
        adds = new.startswith(prefix) and not old.startswith(prefix)
        drops = old.startswith(prefix) and not new.startswith(prefix)
        if self.realm.feature_level < LEVEL_RESOLVE_GROUP:
            return adds, drops  # older servers: any edit toggling the prefix (it only decided the notice)
        return adds and raw_new.strip()[len(prefix) :] == old, drops and old.lstrip(prefix) == new

    def _check_move_permissions(self, user: User, move: _Move, propagate_mode: str, now: int) -> None:
        realm, policy = self.realm, self.realm.policy
        exempt = is_moderator(realm.member(user))
        message = move.message
        resolving = realm.feature_level >= LEVEL_RESOLVE_GROUP and (move.resolved or move.unresolved)
        if move.topic is not None:
            if resolving:
                if not realm.in_group(user, policy.can_resolve_topics_group):
                    raise ApiError("You don't have permission to resolve topics in this channel.")
            else:
                if not realm.in_group(user, policy.can_move_messages_between_topics_group):
                    raise ApiError("You don't have permission to edit this message")
                limit = policy.move_messages_within_stream_limit_seconds
                if limit is not None and not exempt and now - message.timestamp > limit + LIMIT_GRACE_SECONDS:
                    raise ApiError("The time limit for editing this message's topic has passed.")
        if move.stream_changed:
            if not realm.in_group(user, policy.can_move_messages_between_channels_group):
                raise ApiError("You don't have permission to move this message")
            limit = policy.move_messages_between_streams_limit_seconds
            if limit is not None and not exempt and now - message.timestamp > limit + LIMIT_GRACE_SECONDS:
                raise ApiError("The time limit for editing this message's channel has passed")
        if propagate_mode == "change_all" and not exempt and move.moved and not resolving:
            self._check_change_all_limit(move, now)

    def _check_change_all_limit(self, move: _Move, now: int) -> None:
        """MOVE_MESSAGES_TIME_LIMIT_EXCEEDED when older messages of the topic are out of reach."""
        policy = self.realm.policy
        limits = []
        if move.topic is not None and policy.move_messages_within_stream_limit_seconds is not None:
            limits.append(policy.move_messages_within_stream_limit_seconds)
        if move.stream_changed and policy.move_messages_between_streams_limit_seconds is not None:
            limits.append(policy.move_messages_between_streams_limit_seconds)
        if not limits:
            return
        deadline = min(limits) + LIMIT_GRACE_SECONDS
        in_topic = self.realm.store.topic_messages(move.message.stream_id or 0, move.message.subject)
        allowed = [m.id for m in in_topic if now - m.timestamp <= deadline]
        if len(allowed) == len(in_topic):
            return
        raise ApiError(
            f"You only have permission to move the {len(allowed)}/{len(in_topic)} most recent messages in this topic.",
            "MOVE_MESSAGES_TIME_LIMIT_EXCEEDED",
            first_message_id_allowed_to_move=allowed[0] if allowed else None,
            total_messages_in_topic=len(in_topic),
            total_messages_allowed_to_move=len(allowed),
        )

    # --- applying -------------------------------------------------------------------------
    def _changed_messages(self, move: _Move, propagate_mode: str) -> List[Message]:
        message = move.message
        if not move.moved or propagate_mode == "change_one":
            return [message]
        in_topic = self.realm.store.topic_messages(message.stream_id or 0, message.subject)
        if propagate_mode == "change_later":
            return [m for m in in_topic if m.id >= message.id]
        return in_topic

    def _apply(self, user: User, move: _Move, request: EditRequest, now: int) -> None:
        realm, store = self.realm, self.realm.store
        changed = self._changed_messages(move, request.propagate_mode)
        audience = {q.queue_id: q for m in changed for q in realm.receivers(m)}
        orig_rendered = realm.render(move.message.content)
        resolve_only = (move.resolved or move.unresolved) and not move.stream_changed
        for message in changed:
            entry: Dict[str, Any] = {"user_id": user.user_id, "timestamp": now}
            fields: Dict[str, Any] = {}
            if move.content is not None and message.id == move.message.id:
                entry.update(prev_content=message.content, prev_rendered_content=orig_rendered)
                fields.update(content=move.content, last_edit_timestamp=now)
            if move.stream_changed and move.target_stream is not None:
                entry.update(prev_stream=message.stream_id, stream=move.target_stream.stream_id)
                fields["stream_id"] = move.target_stream.stream_id
            if move.topic is not None:
                entry.update(prev_topic=message.subject, topic=move.topic)
                fields["subject"] = move.topic
            if move.moved and not resolve_only:
                fields["last_moved_timestamp"] = now
            fields["edit_history"] = (entry, *message.edit_history)
            store.update_message(message.id, **fields)
        updated = [store.message(m.id) for m in changed]
        audience.update({q.queue_id: q for m in updated if m is not None for q in realm.receivers(m)})
        self._announce(user, move, request, now, [m.id for m in changed], list(audience.values()), orig_rendered)
        self._notify(user, move, request, changed)

    def _announce(
        self,
        user: User,
        move: _Move,
        request: EditRequest,
        now: int,
        ids: List[int],
        queues: List[EventQueue],
        orig_rendered: str,
    ) -> None:
        """Push the spec's ``update_message`` event to queues that saw a changed message."""
        realm = self.realm
        base: Dict[str, Any] = {
            "type": "update_message",
            "user_id": user.user_id,
            "edit_timestamp": now,
            "message_id": move.message.id,
            "message_ids": sorted(ids),
            "rendering_only": False,
        }
        if move.orig_stream is not None:
            base.update(stream_name=move.orig_stream.name, stream_id=move.orig_stream.stream_id)
        if move.content is not None:
            base.update(
                orig_content=move.message.content,
                orig_rendered_content=orig_rendered,
                content=move.content,
                rendered_content=realm.render(move.content),
                is_me_message=move.content.startswith("/me "),
            )
        if move.moved:
            base.update(propagate_mode=request.propagate_mode, orig_subject=move.message.subject)
        if move.stream_changed and move.target_stream is not None:
            base["new_stream_id"] = move.target_stream.stream_id
        if move.topic is not None:
            base.update(subject=move.topic, topic_links=[])
        edited = realm.store.message(move.message.id)
        for queue in queues:
            if not queue.wants("update_message") or edited is None:
                continue
            event = dict(base, flags=realm.flags(edited, queue.user_id))
            if not queue.empty_topic_name:
                for key in ("orig_subject", "subject"):
                    if key in event:
                        event[key] = realm.topic_for_client(event[key], "stream", False)
            queue.push(event)

    def _notify(self, user: User, move: _Move, request: EditRequest, changed: List[Message]) -> None:
        """The Notification Bot's notices, as Zulip posts them."""
        if not move.moved or move.orig_stream is None or move.target_stream is None:
            return
        resolve_notice_id = None
        if move.topic is not None and move.content is None and (move.resolved or move.unresolved):
            resolve_notice_id = self._resolve_notice(user, move)
        old_notice = (
            self._old_thread_notice(move, request, changed) if request.send_notification_to_old_thread else None
        )
        new_notice = None
        topic_really_changed = move.topic is not None and (
            move.message.subject.lstrip(RESOLVED_TOPIC_PREFIX)
            != (request.topic or "").strip().lstrip(RESOLVED_TOPIC_PREFIX)
        )
        if request.send_notification_to_new_thread and (
            move.stream_changed or resolve_notice_id is None or topic_really_changed
        ):
            new_notice = self._new_thread_notice(move, request, changed, resolve_notice_id)
        bot = self.realm.notification_bot()
        mention = silent_mention(user)
        old_link = topic_link(move.orig_stream, move.message.subject)
        new_link = topic_link(move.target_stream, move.target_topic)
        link = message_url(self.realm.site_url, move.target_stream, move.target_topic, move.message.id)
        count = len(changed)
        if new_notice is not None:
            text = new_notice.format(
                message_link=link, old_location=old_link, user=mention, changed_messages_count=count
            )
            self._post(bot, move.target_stream, move.target_topic, text)
        if old_notice is not None:
            text = old_notice.format(user=mention, new_location=new_link, changed_messages_count=count)
            self._post(bot, move.orig_stream, move.message.subject, text)

    def _resolve_notice(self, user: User, move: _Move) -> Optional[int]:
        assert move.target_stream is not None
        verb = "resolved" if move.resolved else "unresolved"
        text = f"{silent_mention(user)} has marked this topic as {verb}."
        return self._post(self.realm.notification_bot(), move.target_stream, move.target_topic, text)

    def _moved_all(self, move: _Move, request: EditRequest) -> bool:
        if request.propagate_mode == "change_all":
            return True
        return not self.realm.store.topic_messages(move.message.stream_id or 0, move.message.subject)

    def _old_thread_notice(self, move: _Move, request: EditRequest, changed: List[Message]) -> str:
        if self._moved_all(move, request):
            return "This topic was moved to {new_location} by {user}."
        if len(changed) == 1:
            return "A message was moved from this topic to {new_location} by {user}."
        return "{changed_messages_count} messages were moved from this topic to {new_location} by {user}."

    def _new_thread_notice(
        self, move: _Move, request: EditRequest, changed: List[Message], resolve_notice_id: Optional[int]
    ) -> str:
        assert move.target_stream is not None
        moved_ids = {m.id for m in changed} | {resolve_notice_id}
        target = self.realm.store.topic_messages(move.target_stream.stream_id, move.target_topic)
        preexisting = [m for m in target if m.id not in moved_ids]
        if not preexisting and self._moved_all(move, request):
            return "This topic was moved here from {old_location} by {user}."
        if len(changed) == 1:
            return "[A message]({message_link}) was moved here from {old_location} by {user}."
        return "{changed_messages_count} messages were moved here from {old_location} by {user}."

    def _post(self, sender: User, stream: Stream, topic: str, content: str) -> int:
        """``internal_send_stream_message``: no permission checks, delivered like any message."""
        realm = self.realm
        message = realm.store.add_message(sender.user_id, "stream", stream.stream_id, (), topic, content, "Internal")
        realm.deliver(message)
        return message.id
