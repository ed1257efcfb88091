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

from . import narrow as narrowing
from .events import EventQueue, EventQueues
from .responses import ApiError
from .settings import ZULIP_FEATURE_LEVEL, ZULIP_VERSION, Settings
from .store import Message, Store, Stream, User

#: Zulip's anchor for "newest" (larger than any message id).
LARGER_THAN_MAX_MESSAGE_ID = 10000000000000000
REALM_STR = "wyzepal"
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

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.queues = EventQueues(settings.queue_timeout)

    # --- users -------------------------------------------------------------------
    def add_user(
        self,
        email: str,
        api_key: Optional[str] = None,
        full_name: Optional[str] = None,
        bot: bool = True,
    ) -> User:
        """Create (or update) a user; a missing key is random, 32 chars like Zulip's."""
        email = email.strip()
        if "@" not in email:
            raise ApiError(f"Invalid email '{email}'")
        name = full_name or email.split("@")[0].replace(".", " ").replace("-", " ").title()
        return self.store.add_user(email, name, api_key or secrets.token_hex(16), bot)

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
            "is_admin": False,
            "is_owner": False,
            "is_guest": False,
            "role": 400,
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
                raise ApiError(f"Channel with ID '{ref}' does not exist", "STREAM_DOES_NOT_EXIST", stream_id=ref)
            return found
        found = self.store.stream_by_name(str(ref).strip())
        if found is None:
            raise ApiError(f"Channel '{ref}' does not exist", "STREAM_DOES_NOT_EXIST", stream=ref)
        return found

    def stream_dict(self, stream: Stream) -> Dict[str, Any]:
        """A channel as GET /streams describes one."""
        first = self.store.first_message_id(stream.stream_id)
        return {
            "stream_id": stream.stream_id,
            "name": stream.name,
            "description": stream.description,
            "rendered_description": render_markdown(stream.description),
            "invite_only": stream.invite_only,
            "is_web_public": False,
            "is_archived": False,
            "is_announcement_only": False,
            "is_default": False,
            "is_recently_active": first is not None,
            "history_public_to_subscribers": not stream.invite_only,
            "creator_id": stream.creator_id,
            "date_created": int(stream.date_created),
            "first_message_id": first,
            "message_retention_days": None,
            "stream_post_policy": 1,
            "stream_weekly_traffic": None,
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
    ) -> Message:
        """Validate, store and deliver a message as POST /messages does."""
        if msg_type not in ("stream", "channel", "private", "direct"):
            raise ApiError("Invalid message type")
        content = content.rstrip().lstrip("\n")
        if not content:
            raise ApiError("Message must not be empty")
        if "\x00" in content:
            raise ApiError("Message must not contain null bytes")
        content = truncate(content, self.settings.max_message_length, "\n[message truncated]")
        if msg_type in ("stream", "channel"):
            stream = self.stream(self._stream_ref(to))
            if not self.can_access(sender, stream):
                raise ApiError(f"Not authorized to send to channel '{stream.name}'")
            subject = (topic or "").strip()
            subject = "" if subject == "(no topic)" else subject
            subject = truncate(subject, self.settings.max_topic_length, "…")
            message = self.store.add_message(sender.user_id, "stream", stream.stream_id, (), subject, content, client)
        else:
            people = {u.user_id for u in self._recipients(to)} | {sender.user_id}
            message = self.store.add_message(sender.user_id, "private", None, tuple(people), "", content, client)
        self._deliver(message)
        return message

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

    def _deliver(self, message: Message) -> None:
        """Push the message event to every queue whose user may see it and whose narrow fits."""
        for queue in self.queues.all():
            if not queue.wants("message") or not self._receives(queue, message):
                continue
            view = self.message_dict(message, queue.user_id)
            if narrowing.matches(queue.narrow, view, queue.user_id):
                flags = view.pop("flags")
                if queue.apply_markdown:
                    view.update(content=render_markdown(message.content), content_type="text/html")
                queue.push({"type": "message", "message": view, "flags": flags})

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
            "content": render_markdown(message.content) if apply_markdown else message.content,
            "content_type": "text/html" if apply_markdown else "text/x-markdown",
            "timestamp": message.timestamp,
            "client": message.client,
            "is_me_message": message.content.startswith("/me "),
            "reactions": [],
            "submessages": [],
            "avatar_url": avatar_url(sender_email),
        }
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
                view["content"] = render_markdown(view["content"])
                view["content_type"] = "text/html"
        return views

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
    ) -> Dict[str, Any]:
        """POST /register: a new queue plus the initial state the client asked for."""
        queue = self.queues.register(user.user_id, event_types, terms, all_public_streams, apply_markdown)
        fetch = fetch_event_types if fetch_event_types is not None else event_types
        state: Dict[str, Any] = {
            "queue_id": queue.queue_id,
            "last_event_id": -1,
            "zulip_feature_level": ZULIP_FEATURE_LEVEL,
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
            state["realm_users"] = [self.user_dict(u) for u in self.store.users() if u.is_active]
        if wanted("stream"):
            state["streams"] = [self.stream_dict(s) for s in self.visible_streams(user)]
        return state
