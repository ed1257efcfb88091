"""The organisation's behaviour: users, channels, messages and who sees what.

HTTP handlers parse parameters and call this; so do the test helpers of
``DevServer``.  Methods touching event queues must run on the server's loop.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import groups
from . import narrow as narrowing
from .events import EventQueue, EventQueues
from .responses import ApiError
from .settings import (
    LEVEL_EDIT_TOPIC_GROUP,
    LEVEL_EMPTY_TOPIC,
    LEVEL_MOVE_CHANNELS_GROUP,
    LEVEL_MOVED_TIMESTAMP,
    LEVEL_NO_TOPIC_ALIAS,
    LEVEL_RESOLVE_GROUP,
    ZULIP_VERSION,
    RealmPolicy,
    Settings,
)
from .store import Message, Store, Stream, User

try:  # the full Zulip-like renderer, written alongside; until it lands, the stand-in below
    from .markdown import render as _full_render
except ImportError:  # pragma: no cover - depends on which helper's work is present
    _full_render = None

#: Zulip's anchor for "newest" (larger than any message id).
LARGER_THAN_MAX_MESSAGE_ID = 10000000000000000
REALM_STR = "wyzepal"
#: Appended to "Channel ... does not exist" when sending: the dev server starts with #general only.
CREATE_CHANNEL_HINT = (
    "dev server: start it with --stream NAME or --config PLUGIN_CONFIG, or POST /devserver/streams name=NAME"
)
#: Zulip's system bot that posts "this topic was moved/resolved" notices.
NOTIFICATION_BOT = ("notification-bot@zulip.com", "Notification Bot")
_MENTION = re.compile(r"@(_?)\*\*([^*]+)\*\*")
_WILDCARDS = {"all", "everyone", "stream", "channel", "topic"}


def truncate(text: str, limit: int, marker: str) -> str:
    """Zulip's truncate_content: cut to ``limit`` code points, ending in ``marker``."""
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


def render_markdown(content: str) -> str:
    """A tiny stand-in for Zulip's Markdown: escaped paragraphs and line breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", content) if p.strip()]
    return "".join("<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


def avatar_url(email: str) -> str:
    """Gravatar URL, as Zulip gives users without an uploaded avatar."""
    digest = hashlib.md5(email.lower().encode()).hexdigest()  # noqa: S324 - not security
    return f"https://secure.gravatar.com/avatar/{digest}?d=identicon&version=1"


class Realm:
    """One WyzePal organisation backed by a :class:`Store`."""

    def __init__(self, store: Store, settings: Settings, policy: Optional[RealmPolicy] = None) -> None:
        self.store = store
        self.settings = settings
        self.policy = policy or RealmPolicy()
        #: The server's base URL once it listens (for links in notices); "" before.
        self.site_url = ""
        self.queues = EventQueues(settings.queue_timeout)

    @property
    def feature_level(self) -> int:
        """The API level served; behaviour that changed across levels follows it."""
        return self.settings.feature_level

    # --- rendering (the one place content becomes HTML) ---------------------------------
    def render(self, content: str) -> str:
        """Message Markdown to HTML: the full renderer when present, else escaped paragraphs."""
        if _full_render is not None:
            return _full_render(content, self, realm_url=self.site_url or None)
        return render_markdown(content)

    # The renderer's Lookup protocol: mentions and channel links resolve against this realm.
    def user_by_name_or_email(self, name: str) -> Optional[Tuple[int, str]]:
        """``(user_id, full_name)`` of an active user by full name or email (case-insensitive)."""
        wanted = name.strip().lower()
        for user in self.store.users():
            if user.is_active and wanted in (user.full_name.lower(), user.email.lower()):
                return user.user_id, user.full_name
        return None

    def user_by_id(self, user_id: int) -> Optional[Tuple[int, str]]:
        """``(user_id, full_name)`` of a user by id."""
        user = self.store.user_by_id(user_id)
        return (user.user_id, user.full_name) if user is not None else None

    def stream_by_name(self, name: str) -> Optional[int]:
        """A channel's id by name (case-insensitive)."""
        stream = self.store.stream_by_name(name.strip())
        return stream.stream_id if stream is not None else None

    # --- users -------------------------------------------------------------------
    def add_user(
        self,
        email: str,
        api_key: Optional[str] = None,
        full_name: Optional[str] = None,
        bot: bool = True,
        role: Any = groups.ROLE_MEMBER,
    ) -> User:
        """Create (or update) a user; a missing key is random, 32 chars like Zulip's."""
        email = email.strip()
        if "@" not in email:
            raise ApiError(f"Invalid email '{email}'")
        name = full_name or email.split("@")[0].replace(".", " ").replace("-", " ").title()
        return self.store.add_user(email, name, api_key or secrets.token_hex(16), bot, groups.parse_role(role))

    def notification_bot(self) -> User:
        """Zulip's Notification Bot (created on first use; nobody knows its key)."""
        found = self.store.user_by_email(NOTIFICATION_BOT[0])
        return found if found is not None else self.add_user(NOTIFICATION_BOT[0], full_name=NOTIFICATION_BOT[1])

    def members(self) -> List[User]:
        """The organisation's users: everyone but the Notification Bot (a system bot, outside it in Zulip)."""
        return [u for u in self.store.users() if u.email != NOTIFICATION_BOT[0]]

    def member(self, user: User) -> groups.Member:
        """What permission checks need of a user."""
        return groups.Member(user.user_id, user.role)

    def in_group(self, user: User, setting: Any) -> bool:
        """Whether ``user`` belongs to a group-setting value of the realm policy."""
        return groups.is_member(groups.parse_group_value(setting), self.member(user))

    def user(self, ref: Any) -> User:
        """A user by email or id, or the spec's "Invalid email"/"Invalid user ID" error."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            found = self.store.user_by_id(int(ref))
            if found is None:
                raise ApiError(f"Invalid user ID {ref}")
            return found
        found = self.store.user_by_email(str(ref).strip())
        if found is None:
            raise ApiError(f"Invalid email '{ref}'")
        return found

    def user_dict(self, user: User) -> Dict[str, Any]:
        """A user as GET /users and /users/me describe one."""
        return {
            "user_id": user.user_id,
            "email": user.email,
            "delivery_email": user.email,
            "full_name": user.full_name,
            "is_bot": user.is_bot,
            "bot_type": 1 if user.is_bot else None,
            "bot_owner_id": None,
            "is_active": user.is_active,
            "is_admin": user.role <= groups.ROLE_ADMIN,
            "is_owner": user.role == groups.ROLE_OWNER,
            "is_guest": user.role == groups.ROLE_GUEST,
            "role": user.role,
            "timezone": "",
            "avatar_url": avatar_url(user.email),
            "avatar_version": 1,
            "date_joined": datetime.fromtimestamp(user.date_joined, timezone.utc).isoformat(),
        }

    # --- channels ------------------------------------------------------------------
    def ensure_stream(
        self,
        name: str,
        description: str = "",
        invite_only: bool = False,
        creator: Optional[User] = None,
    ) -> Tuple[Stream, bool]:
        """Get or create a channel, validating the name as Zulip does."""
        name = name.strip()
        if not name:
            raise ApiError("Channel name can't be empty.")
        limit = self.settings.max_stream_name_length
        if len(name) > limit:
            raise ApiError(f"Channel name too long (limit: {limit} characters).")
        if any(ord(ch) < 32 for ch in name):
            raise ApiError("Invalid character in channel name.")
        description = description[: self.settings.max_stream_description_length]
        creator_id = creator.user_id if creator else None
        return self.store.add_stream(name, description, invite_only, creator_id)

    def stream(self, ref: Any) -> Stream:
        """A channel by name or id, or STREAM_DOES_NOT_EXIST with the key the spec names."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            found = self.store.stream_by_id(ref)
            if found is None:
                # No stream_id key: POST /messages documents only NonExistingChannelNameError.
                raise ApiError(f"Channel with ID '{ref}' does not exist", "STREAM_DOES_NOT_EXIST")
            return found
        found = self.store.stream_by_name(str(ref).strip())
        if found is None:
            raise ApiError(f"Channel '{ref}' does not exist", "STREAM_DOES_NOT_EXIST", stream=ref)
        return found

    def stream_dict(self, stream: Stream) -> Dict[str, Any]:
        """A channel as the spec's BasicChannel (GET /streams adds ``is_default``)."""
        first = self.store.first_message_id(stream.stream_id)
        return {
            "stream_id": stream.stream_id,
            "name": stream.name,
            "description": stream.description,
            "rendered_description": self.render(stream.description),
            "invite_only": stream.invite_only,
            "is_web_public": False,
            "is_archived": False,
            "is_announcement_only": False,
            "is_recently_active": first is not None,
            "history_public_to_subscribers": not stream.invite_only,
            "creator_id": stream.creator_id,
            "date_created": int(stream.date_created),
            "first_message_id": first,
            "message_retention_days": None,
            "stream_post_policy": 1,
            "stream_weekly_traffic": None,
            # Zulip 10's defaults for a new channel; the creator administers it.
            "can_add_subscribers_group": groups.GROUP_ALIASES["nobody"],
            "can_remove_subscribers_group": groups.GROUP_ALIASES["administrators"],
            "can_administer_channel_group": {
                "direct_members": [stream.creator_id] if stream.creator_id is not None else [],
                "direct_subgroups": [],
            },
            "can_send_message_group": groups.GROUP_ALIASES["everyone"],
            "can_subscribe_group": groups.GROUP_ALIASES["nobody"],
        }

    def subscription_dict(self, stream: Stream, include_subscribers: bool = True) -> Dict[str, Any]:
        """A channel as GET /users/me/subscriptions describes one."""
        sub = self.stream_dict(stream)
        sub.update(
            color="#76ce90",
            is_muted=False,
            in_home_view=True,
            pin_to_top=False,
            audible_notifications=None,
            desktop_notifications=None,
            email_notifications=None,
            push_notifications=None,
            wildcard_mentions_notify=None,
        )
        if include_subscribers:
            sub["subscribers"] = self.store.subscribers(stream.stream_id)
        return sub

    def can_access(self, user: User, stream: Stream) -> bool:
        """Public channels are open to all; private ones to subscribers only."""
        if not stream.invite_only:
            return True
        return user.user_id in self.store.subscribers(stream.stream_id)

    def visible_streams(self, user: User) -> List[Stream]:
        """Channels GET /streams lists for this user."""
        return [s for s in self.store.streams() if self.can_access(user, s)]

    def subscriptions(self, user: User) -> List[Stream]:
        """Channels the user is subscribed to."""
        ids = self.store.subscribed_stream_ids(user.user_id)
        return [s for s in (self.store.stream_by_id(i) for i in ids) if s is not None]

    def subscribe(
        self,
        actor: User,
        specs: Sequence[Dict[str, Any]],
        principals: Sequence[User],
        invite_only: bool = False,
    ) -> Tuple[Dict[str, List[str]], Dict[str, List[str]]]:
        """Subscribe users, creating missing channels; returns (subscribed, already)."""
        subscribed: Dict[str, List[str]] = {}
        already: Dict[str, List[str]] = {}
        for spec in specs:
            stream, created = self.ensure_stream(
                str(spec.get("name", "")), str(spec.get("description", "")), invite_only, actor
            )
            if not created and not self.can_access(actor, stream):
                raise ApiError(f"Unable to access channel ({stream.name}).")
            for user in principals:
                if self.store.subscribe(user.user_id, stream.stream_id):
                    subscribed.setdefault(str(user.user_id), []).append(stream.name)
                    self._notify_subscription(user, "add", stream)
                else:
                    already.setdefault(str(user.user_id), []).append(stream.name)
        return subscribed, already

    def subscribe_users(self, stream: Stream, users: Iterable[User]) -> None:
        """Subscribe users to an existing channel, notifying their queues."""
        for user in users:
            if self.store.subscribe(user.user_id, stream.stream_id):
                self._notify_subscription(user, "add", stream)

    def unsubscribe(self, names: Iterable[str], principals: Sequence[User]) -> Tuple[List[str], List[str]]:
        """Unsubscribe users from channels; returns (removed, not_removed) names."""
        removed: List[str] = []
        not_removed: List[str] = []
        for name in names:
            stream = self.stream(name)
            for user in principals:
                if self.store.unsubscribe(user.user_id, stream.stream_id):
                    removed.append(stream.name)
                    self._notify_subscription(user, "remove", stream)
                else:
                    not_removed.append(stream.name)
        return removed, not_removed

    def _notify_subscription(self, user: User, op: str, stream: Stream) -> None:
        if op == "add":
            sub = self.subscription_dict(stream)
        else:
            sub = {"name": stream.name, "stream_id": stream.stream_id}
        event = {"type": "subscription", "op": op, "subscriptions": [sub]}
        for queue in self.queues.all():
            if queue.user_id == user.user_id and queue.wants("subscription"):
                queue.push(event)

    # --- sending -------------------------------------------------------------------
    def send_message(
        self,
        sender: User,
        msg_type: str,
        to: str,
        content: str,
        topic: Optional[str] = None,
        client: str = "API",
        queue_id: Optional[str] = None,
        local_id: Optional[str] = None,
    ) -> Message:
        """Validate, store and deliver a message as POST /messages does.

        ``queue_id``/``local_id`` (local echo): the sender's queue gets the
        message event with ``local_message_id``, as Zulip's Tornado does.
        """
        if msg_type not in ("stream", "channel", "private", "direct"):
            raise ApiError("Invalid message type")
        content = content.rstrip().lstrip("\n")
        if not content:
            raise ApiError("Message must not be empty")
        if "\x00" in content:
            raise ApiError("Message must not contain null bytes")
        content = truncate(content, self.settings.max_message_length, "\n[message truncated]")
        if msg_type in ("stream", "channel"):
            stream = self._sending_stream(self._stream_ref(to))
            if not self.can_access(sender, stream):
                raise ApiError(f"Not authorized to send to channel '{stream.name}'")
            subject = self.clean_topic(topic, sending=True)
            message = self.store.add_message(sender.user_id, "stream", stream.stream_id, (), subject, content, client)
        else:
            people = {u.user_id for u in self._recipients(to)} | {sender.user_id}
            message = self.store.add_message(sender.user_id, "private", None, tuple(people), "", content, client)
        self.deliver(message, sender_queue=self._sender_queue(sender, queue_id), local_id=local_id)
        return message

    def clean_topic(self, topic: Optional[str], sending: bool = False) -> str:
        """A topic as the served feature level stores it: stripped, truncated, maybe empty.

        From level 334 the empty topic is valid; from 370 "(no topic)" and the
        realm's ``empty_topic_display_name`` mean it.  Older servers refused it
        (when sending: "Missing topic" or "Topic can't be empty!").
        """
        subject = self.normalise_topic(topic or "")
        if not subject and self.feature_level < LEVEL_EMPTY_TOPIC:
            if sending and topic is None:
                raise ApiError("Missing topic")
            raise ApiError("Topic can't be empty!" if sending else "Topic can't be empty")
        return truncate(subject, self.settings.max_topic_length, "…")

    def normalise_topic(self, topic: str) -> str:
        """Strip, and read the empty topic's aliases as "" where the served level does."""
        subject = topic.strip()
        if self.feature_level >= LEVEL_NO_TOPIC_ALIAS and subject == "(no topic)":
            return ""
        if self.feature_level >= LEVEL_EMPTY_TOPIC and subject == self.policy.empty_topic_display_name:
            return ""
        return subject

    def _sender_queue(self, sender: User, queue_id: Optional[str]) -> Optional[EventQueue]:
        if queue_id is None:
            return None
        return next((q for q in self.queues.all() if q.queue_id == queue_id and q.user_id == sender.user_id), None)

    def _sending_stream(self, ref: Any) -> Stream:
        """The target channel; an unknown one's error says how to create it on the dev server."""
        try:
            return self.stream(ref)
        except ApiError as exc:
            if exc.code == "STREAM_DOES_NOT_EXIST":
                exc.msg += f" ({CREATE_CHANNEL_HINT})"
            raise

    @staticmethod
    def _stream_ref(to: Any) -> Any:
        """``to`` of a channel message: a name, an id, or a one-item JSON list of either."""
        value = to
        if isinstance(to, str):
            try:
                value = json.loads(to)
            except ValueError:
                return to
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return value
        raise ApiError("Invalid channel name or ID")

    def _recipients(self, to: Any) -> List[User]:
        """``to`` of a direct message: JSON list of emails/ids, or a comma-separated string."""
        value = to
        if isinstance(to, str):
            try:
                value = json.loads(to)
            except ValueError:
                value = to
        if isinstance(value, str):
            items: List[Any] = [p for p in value.split(",") if p.strip()]
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [value]
        elif isinstance(value, list):
            items = value
        else:
            raise ApiError("Invalid recipients")
        if not items:
            raise ApiError("Message must have recipients")
        return [self.user(item) for item in items]

    def _receives(self, queue: EventQueue, message: Message) -> bool:
        if message.type == "private":
            return queue.user_id in message.recipients
        if queue.user_id == message.sender_id:
            return True
        if queue.user_id in self.store.subscribers(message.stream_id or 0):
            return True
        stream = self.store.stream_by_id(message.stream_id or 0)
        return queue.all_public_streams and stream is not None and not stream.invite_only

    def deliver(
        self, message: Message, sender_queue: Optional[EventQueue] = None, local_id: Optional[str] = None
    ) -> None:
        """Push the message event to every queue whose user may see it and whose narrow fits.

        The sender's ``queue_id`` queue gets it even when the sender would not
        (Zulip's ``sender_queue_id``), tagged with the client's ``local_id``.
        """
        for queue in self.queues.all():
            is_sender = queue is sender_queue
            if not queue.wants("message") or not (is_sender or self._receives(queue, message)):
                continue
            view = self.message_dict(message, queue.user_id)
            if narrowing.matches(queue.narrow, view, queue.user_id):
                flags = view.pop("flags")
                if queue.apply_markdown:
                    view.update(content=self.render(message.content), content_type="text/html")
                if not queue.empty_topic_name:
                    view["subject"] = self.topic_for_client(view["subject"], message.type, False)
                event: Dict[str, Any] = {"type": "message", "message": view, "flags": flags}
                if is_sender and local_id is not None:
                    event["local_message_id"] = local_id
                queue.push(event)

    def receivers(self, message: Message) -> List[EventQueue]:
        """Live queues whose user may see ``message`` (who gets its update events)."""
        return [q for q in self.queues.all() if self._receives(q, message)]

    def topic_for_client(self, subject: str, msg_type: str, allow_empty: bool) -> str:
        """The empty topic as a client that cannot show it sees it (the realm's display name)."""
        if msg_type == "stream" and subject == "" and not allow_empty and self.feature_level >= LEVEL_EMPTY_TOPIC:
            return self.policy.empty_topic_display_name
        return subject

    # --- reading -------------------------------------------------------------------
    def message_dict(
        self, message: Message, viewer_id: Optional[int] = None, apply_markdown: bool = False
    ) -> Dict[str, Any]:
        """A message in the spec's shape; ``flags`` are added when a viewer is given."""
        sender = self.store.user_by_id(message.sender_id)
        sender_email = sender.email if sender else ""
        data: Dict[str, Any] = {
            "id": message.id,
            "sender_id": message.sender_id,
            "sender_email": sender_email,
            "sender_full_name": sender.full_name if sender else "",
            "sender_realm_str": REALM_STR,
            "type": message.type,
            "subject": message.subject,
            "topic_links": [],
            "content": self.render(message.content) if apply_markdown else message.content,
            "content_type": "text/html" if apply_markdown else "text/x-markdown",
            "timestamp": message.timestamp,
            "client": message.client,
            "is_me_message": message.content.startswith("/me "),
            "reactions": [
                {"emoji_name": r.emoji_name, "emoji_code": r.emoji_code, "reaction_type": r.reaction_type,
                 "user_id": r.user_id}
                for r in self.store.reactions([message.id])
            ],
            "submessages": [],
            "avatar_url": avatar_url(sender_email),
        }
        self._add_edit_fields(data, message)
        if message.type == "stream":
            stream = self.store.stream_by_id(message.stream_id or 0)
            data["stream_id"] = message.stream_id
            data["display_recipient"] = stream.name if stream else ""
            data["recipient_id"] = 100000 + (message.stream_id or 0)
        else:
            people = [self.store.user_by_id(uid) for uid in message.recipients]
            data["display_recipient"] = [
                {"id": u.user_id, "email": u.email, "full_name": u.full_name, "is_mirror_dummy": False}
                for u in people
                if u is not None
            ]
            data["recipient_id"] = 200000 + sum(message.recipients)
        if viewer_id is not None:
            data["flags"] = self.flags(message, viewer_id)
        return data

    def _add_edit_fields(self, data: Dict[str, Any], message: Message) -> None:
        """``edit_history``, ``last_edit_timestamp`` and ``last_moved_timestamp`` as the level has them."""
        if message.edit_history and self.policy.allow_edit_history:
            data["edit_history"] = [dict(e) for e in message.edit_history]
        if self.feature_level >= LEVEL_MOVED_TIMESTAMP:
            if message.last_edit_timestamp is not None:
                data["last_edit_timestamp"] = message.last_edit_timestamp
            if message.last_moved_timestamp is not None:
                data["last_moved_timestamp"] = message.last_moved_timestamp
        else:
            latest = max((e["timestamp"] for e in message.edit_history), default=None)
            if latest is not None:
                data["last_edit_timestamp"] = latest

    def flags(self, message: Message, viewer_id: int) -> List[str]:
        """The viewer's flags: ``read`` for own messages, mention flags from ``@**Name**``."""
        flags = ["read"] if message.sender_id == viewer_id else []
        viewer = self.store.user_by_id(viewer_id)
        for silent, target in _MENTION.findall(message.content):
            name = target.split("|")[0].strip().lower()
            if silent:
                continue
            if name in _WILDCARDS:
                for flag in ("stream_wildcard_mentioned", "wildcard_mentioned"):
                    if flag not in flags:
                        flags.append(flag)
            elif viewer is not None and name in (viewer.full_name.lower(), viewer.email.lower()):
                if "mentioned" not in flags:
                    flags.append("mentioned")
        return flags

    def _history(self, viewer: User, terms: Sequence[narrowing.Term]) -> List[Message]:
        """Messages the viewer can search: own DMs, subscribed channels, and the
        shared history of public channels the narrow names."""
        subscribed = set(self.store.subscribed_stream_ids(viewer.user_id))
        public = {s.stream_id for s in self.store.streams() if not s.invite_only}
        shared = set(public) if narrowing.wants_public_channels(terms) else set()
        for name in narrowing.channel_names(terms):
            stream = self.store.stream_by_name(name)
            if stream is None and name.isdigit():
                stream = self.store.stream_by_id(int(name))
            if stream is not None and stream.stream_id in public:
                shared.add(stream.stream_id)
        readable = subscribed | shared
        return [
            m
            for m in self.store.messages()
            if (m.type == "private" and viewer.user_id in m.recipients)
            or (m.type == "stream" and m.stream_id in readable)
        ]

    def fetch_messages(
        self,
        viewer: User,
        terms: Sequence[narrowing.Term],
        anchor: Any,
        num_before: int,
        num_after: int,
        include_anchor: bool = True,
        apply_markdown: bool = True,
    ) -> Dict[str, Any]:
        """GET /messages with an anchor: a window of matching messages and found_* flags."""
        limit = self.settings.max_messages_per_fetch
        if num_before < 0 or num_after < 0:
            raise ApiError("Invalid num_before or num_after")
        if num_before + num_after > limit:
            raise ApiError(f"Too many messages requested (maximum {limit}).")
        views = self._matching(viewer, terms, apply_markdown)
        anchor_id = self._anchor_id(anchor, views)
        older = [v for v in views if v["id"] < anchor_id]
        newer = [v for v in views if v["id"] > anchor_id]
        at_anchor = [v for v in views if v["id"] == anchor_id and include_anchor]
        before = older[len(older) - num_before :] if num_before else []
        after = newer[:num_after]
        return {
            "messages": before + at_anchor + after,
            "anchor": anchor_id,
            "found_anchor": bool(at_anchor),
            "found_oldest": len(older) <= num_before,
            "found_newest": len(newer) <= num_after,
            "history_limited": False,
        }

    def fetch_message_ids(
        self, viewer: User, terms: Sequence[narrowing.Term], ids: Sequence[int], apply_markdown: bool
    ) -> Dict[str, Any]:
        """GET /messages with ``message_ids``: those the viewer may see that match."""
        wanted = {int(i) for i in ids}
        views = self._matching(viewer, terms, apply_markdown)
        return {"messages": [v for v in views if v["id"] in wanted], "history_limited": False}

    def _matching(self, viewer: User, terms: Sequence[narrowing.Term], apply_markdown: bool) -> List[Dict[str, Any]]:
        views = [self.message_dict(m, viewer.user_id) for m in self._history(viewer, terms)]
        views = [v for v in views if narrowing.matches(terms, v, viewer.user_id)]
        if apply_markdown:
            for view in views:
                view["content"] = self.render(view["content"])
                view["content_type"] = "text/html"
        return views

    def visible_message(self, viewer: User, message_id: int) -> Message:
        """A message the viewer may read, or the spec's "Invalid message(s)"."""
        message = self.store.message(message_id)
        if message is None or not self.can_read(viewer, message):
            raise ApiError("Invalid message(s)")
        return message

    def can_read(self, viewer: User, message: Message) -> bool:
        """Direct messages: their participants; channel messages: anyone with channel access."""
        if message.type == "private":
            return viewer.user_id in message.recipients
        stream = self.store.stream_by_id(message.stream_id or 0)
        return stream is not None and self.can_access(viewer, stream)

    def message_history(self, message: Message, allow_empty: bool) -> List[Dict[str, Any]]:
        """GET /messages/{id}/history: the original then each edit's result, oldest first."""
        topic, content = message.subject, message.content
        versions: List[Dict[str, Any]] = []
        for edit in message.edit_history:  # newest first: walk back to the original
            version: Dict[str, Any] = {"user_id": edit["user_id"], "timestamp": edit["timestamp"]}
            version.update(topic=topic, content=content, rendered_content=self.render(content))
            if "prev_content" in edit:
                version.update(prev_content=edit["prev_content"], prev_rendered_content=edit["prev_rendered_content"])
                content = edit["prev_content"]
            if "prev_topic" in edit:
                version["prev_topic"] = edit["prev_topic"]
                topic = edit["prev_topic"]
            if "prev_stream" in edit:
                version.update(prev_stream=edit["prev_stream"], stream=edit["stream"])
            versions.append(version)
        versions.append(
            {
                "user_id": message.sender_id,
                "timestamp": message.timestamp,
                "topic": topic,
                "content": content,
                "rendered_content": self.render(content),
            }
        )
        for version in versions:
            for key in ("topic", "prev_topic"):
                if key in version and message.type == "stream":
                    version[key] = self.topic_for_client(version[key], "stream", allow_empty)
        return versions[::-1]

    def topics(self, viewer: User, stream_id: int, allow_empty: bool) -> List[Dict[str, Any]]:
        """GET /users/me/{stream_id}/topics: each topic's newest message id, newest topic first."""
        stream = self.store.stream_by_id(stream_id)
        if stream is None or not self.can_access(viewer, stream):
            raise ApiError("Invalid channel ID")
        latest: Dict[str, Tuple[int, str]] = {}
        for message in self.store.messages():
            if message.stream_id == stream_id and message.type == "stream":
                latest[message.subject.lower()] = (message.id, message.subject)
        ordered = sorted(latest.values(), reverse=True)
        return [{"max_id": i, "name": self.topic_for_client(name, "stream", allow_empty)} for i, name in ordered]

    @staticmethod
    def _anchor_id(anchor: Any, views: Sequence[Dict[str, Any]]) -> int:
        if anchor == "newest":
            return LARGER_THAN_MAX_MESSAGE_ID
        if anchor == "oldest":
            return 0
        if anchor == "first_unread":
            unread = [v["id"] for v in views if "read" not in v["flags"]]
            return unread[0] if unread else LARGER_THAN_MAX_MESSAGE_ID
        try:
            return int(anchor)
        except (TypeError, ValueError):
            raise ApiError("Invalid anchor") from None

    def stored_messages(self, stream: Optional[str] = None, topic: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every stored message (raw content), optionally of one channel and topic."""
        result = []
        for message in self.store.messages():
            data = self.message_dict(message)
            if stream is not None and (
                data["type"] != "stream" or str(data["display_recipient"]).lower() != stream.lower()
            ):
                continue
            if topic is not None and data["subject"].lower() != topic.lower():
                continue
            result.append(data)
        return result

    # --- registration ----------------------------------------------------------------
    def register(
        self,
        user: User,
        event_types: Optional[List[str]],
        terms: List[narrowing.Term],
        all_public_streams: bool = False,
        apply_markdown: bool = False,
        fetch_event_types: Optional[List[str]] = None,
        client_capabilities: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """POST /register: a new queue plus the initial state the client asked for."""
        queue = self.queues.register(user.user_id, event_types, terms, all_public_streams, apply_markdown)
        capabilities = client_capabilities or {}
        queue.empty_topic_name = bool(capabilities.get("empty_topic_name")) and self.feature_level >= LEVEL_EMPTY_TOPIC
        fetch = fetch_event_types if fetch_event_types is not None else event_types
        state: Dict[str, Any] = {
            "queue_id": queue.queue_id,
            "last_event_id": -1,
            "zulip_feature_level": self.feature_level,
            "zulip_version": ZULIP_VERSION,
            "zulip_merge_base": ZULIP_VERSION,
            "max_message_length": self.settings.max_message_length,
            "max_topic_length": self.settings.max_topic_length,
            "max_stream_name_length": self.settings.max_stream_name_length,
            "max_stream_description_length": self.settings.max_stream_description_length,
            "event_queue_longpoll_timeout_seconds": self.settings.longpoll_timeout_seconds,
            "realm_name": self.settings.realm_name,
        }

        def wanted(kind: str) -> bool:
            return fetch is None or kind in fetch

        if wanted("message"):
            state["max_message_id"] = self.store.max_message_id()
        if wanted("subscription"):
            state["subscriptions"] = [self.subscription_dict(s) for s in self.subscriptions(user)]
        if wanted("realm_user"):
            state["realm_users"] = [self.user_dict(u) for u in self.members() if u.is_active]
        if wanted("stream"):
            state["streams"] = [self.stream_dict(s) for s in self.visible_streams(user)]
        if wanted("realm"):
            state.update(self.realm_state())
        if wanted("realm_user_groups"):
            state["realm_user_groups"] = groups.group_dicts(self.member(u) for u in self.members() if u.is_active)
        return state

    # --- organisation settings ------------------------------------------------------------
    def policy_data(self) -> Dict[str, Any]:
        """The editing/moving settings under their API names (no ``realm_`` prefix), as the level has them."""
        policy, level = self.policy, self.feature_level
        topics_group = groups.parse_group_value(policy.can_move_messages_between_topics_group)
        channels_group = groups.parse_group_value(policy.can_move_messages_between_channels_group)
        data: Dict[str, Any] = {
            "allow_message_editing": policy.allow_message_editing,
            "message_content_edit_limit_seconds": policy.message_content_edit_limit_seconds,
            "move_messages_within_stream_limit_seconds": policy.move_messages_within_stream_limit_seconds,
            "move_messages_between_streams_limit_seconds": policy.move_messages_between_streams_limit_seconds,
            "allow_edit_history": policy.allow_edit_history,
        }
        if level >= LEVEL_EDIT_TOPIC_GROUP:
            data["can_move_messages_between_topics_group"] = topics_group
        else:
            data["edit_topic_policy"] = groups.policy_of(topics_group)
        if level >= LEVEL_MOVE_CHANNELS_GROUP:
            data["can_move_messages_between_channels_group"] = channels_group
        else:
            data["move_messages_between_streams_policy"] = groups.policy_of(channels_group)
        if level >= LEVEL_RESOLVE_GROUP:
            data["can_resolve_topics_group"] = groups.parse_group_value(policy.can_resolve_topics_group)
        if level >= LEVEL_EMPTY_TOPIC:
            data["empty_topic_display_name"] = policy.empty_topic_display_name
        return data

    def realm_state(self) -> Dict[str, Any]:
        """The ``realm`` part of POST /register: ``realm_*`` keys."""
        state = {f"realm_{key}": value for key, value in self.policy_data().items()}
        state["realm_name"] = self.settings.realm_name
        return state

    def update_policy(self, **changes: Any) -> Dict[str, Any]:
        """Change realm settings (validated), telling every ``realm`` queue with ``update_dict``."""
        before = self.policy_data()
        checked = {}
        for name, value in changes.items():
            name = name[len("realm_"):] if name.startswith("realm_") else name
            if not hasattr(self.policy, name) or name.startswith("_"):
                raise ApiError(f"Unknown realm setting '{name}'")
            checked[name] = self._checked_setting(name, value)
        for name, value in checked.items():  # all or nothing
            setattr(self.policy, name, value)
        after = self.policy_data()
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            event = {"type": "realm", "op": "update_dict", "property": "default", "data": changed}
            for queue in self.queues.all():
                if queue.wants("realm"):
                    queue.push(event)
        return after

    @staticmethod
    def _checked_setting(name: str, value: Any) -> Any:
        if name.endswith("_group"):
            return groups.parse_group_value(value)
        if name.endswith("_limit_seconds"):
            if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "")):
                return None
            try:
                seconds = int(value)
            except (TypeError, ValueError):
                raise ApiError(f"Invalid {name}: {value!r} (seconds, or null for no limit)") from None
            if seconds <= 0:
                raise ApiError(f"Invalid {name}: {value!r} (must be positive, or null for no limit)")
            return seconds
        if name in ("allow_message_editing", "allow_edit_history"):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false", "1", "0"):
                raise ApiError(f"Invalid {name}: {value!r} (true or false)")
            return text in ("true", "1")
        if not isinstance(value, str) or not value.strip():
            raise ApiError(f"Invalid {name}: {value!r}")
        return value.strip()
