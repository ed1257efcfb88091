"""The dev server's command-line options; argparse only, so ``--help`` works without aiohttp."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the dev server's options on ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=9991, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--db", default=None, help="SQLite file to keep data in (default: in memory)")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL[:KEY[:NAME]]",
        help="bot to create, e.g. 'hubot-bot@example.com:KEY:Hubot' (repeatable; without a key one is generated;"
        " a key on the command line is visible in ps: prefer --users-file or $WYZEPAL_DEVSERVER_USERS)",
    )
    parser.add_argument(
        "--users-file",
        action="append",
        default=[],
        metavar="FILE",
        help="bots to create, one EMAIL:KEY[:NAME] per line ('#' comments); also $WYZEPAL_DEVSERVER_USERS",
    )
    parser.add_argument(
        "--person",
        action="append",
        default=[],
        metavar="EMAIL[:NAME]",
        help="human user to create, e.g. 'alice@example.com:Alice' (repeatable)",
    )
    parser.add_argument("--stream", action="append", default=[], metavar="NAME", help="channel to create (repeatable)")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        nargs="+",
        metavar="FILE",
        help="plugin config file(s): create the channels they name and their bot (WYZEPAL_USER with its key)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name browsers may use for this server (Host/Origin checks; repeatable)",
    )
    parser.add_argument(
        "--rate-limit", default=None, metavar="N/SECONDS", help="per-user rate limit, e.g. 200/60 (default: off)"
    )
    parser.add_argument("--heartbeat", type=float, default=50.0, help="seconds between event heartbeats")
    parser.add_argument("--queue-timeout", type=float, default=600.0, help="seconds before idle event queues expire")
    _add_realm_arguments(parser)


_GROUPS = "everyone|members|fullmembers|moderators|admins|owners|nobody"


def _add_realm_arguments(parser: argparse.ArgumentParser) -> None:
    """The organisation settings that govern editing and moving messages (Zulip's defaults)."""
    realm = parser.add_argument_group("message editing and moving (the realm settings clients read at /register)")
    realm.add_argument(
        "--feature-level",
        type=int,
        default=None,
        metavar="N",
        help="serve this older Zulip API feature level (default: 372, Zulip 10.2)",
    )
    realm.add_argument(
        "--edit-limit",
        default=None,
        metavar="SECONDS|none",
        help="seconds after sending that content may be edited; none = no limit (default: 600)",
    )
    realm.add_argument(
        "--move-limit",
        default=None,
        metavar="SECONDS|none",
        help="seconds after sending that messages may be moved (topics and channels; default: 604800)",
    )
    editing = realm.add_mutually_exclusive_group()
    editing.add_argument(
        "--allow-editing", dest="allow_editing", action="store_true", default=None, help="allow editing (default)"
    )
    editing.add_argument(
        "--no-allow-editing", dest="allow_editing", action="store_false", help="turn message editing off"
    )
    realm.add_argument(
        "--move-topics-group", default=None, metavar=_GROUPS, help="who may move topics (default: everyone)"
    )
    realm.add_argument(
        "--move-channels-group",
        default=None,
        metavar=_GROUPS,
        help="who may move messages between channels (default: members)",
    )
    realm.add_argument(
        "--resolve-topics-group",
        default=None,
        metavar=_GROUPS,
        help="who may resolve topics (feature level 367 and later; default: everyone)",
    )


def realm_settings(args: argparse.Namespace) -> dict:
    """The realm settings the options set, as ``DevServer(realm=...)`` takes them."""
    settings: dict = {}
    if args.allow_editing is not None:
        settings["allow_message_editing"] = args.allow_editing
    if args.edit_limit is not None:
        settings["message_content_edit_limit_seconds"] = args.edit_limit
    if args.move_limit is not None:
        settings["move_messages_within_stream_limit_seconds"] = args.move_limit
        settings["move_messages_between_streams_limit_seconds"] = args.move_limit
    if args.move_topics_group is not None:
        settings["can_move_messages_between_topics_group"] = args.move_topics_group
    if args.move_channels_group is not None:
        settings["can_move_messages_between_channels_group"] = args.move_channels_group
    if args.resolve_topics_group is not None:
        settings["can_resolve_topics_group"] = args.resolve_topics_group
    return settings
