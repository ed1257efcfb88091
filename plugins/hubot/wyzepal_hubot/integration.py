"""The Hubot bridge as a WyzePal integration: its settings and their defaults."""
from __future__ import annotations

from wyzepal_notifier import Field, Integration


class HubotIntegration(Integration):
    """Lets Hubot scripts hear and answer WyzePal messages through the hubot-wyzepal adapter."""

    integration_id = "hubot"
    name = "Hubot"
    description = "Any Hubot script talks in WyzePal channels, topics and direct messages"
    settings_fields = [
        Field("ALL_PUBLIC_STREAMS", bool, default=False,
              help="True: Hubot hears every public channel; False: only the channels the bot is subscribed to"),
        Field("ALLOW_WILDCARD_MENTIONS", bool, default=False,
              help="True lets scripts' answers notify everyone with @**all**; by default such mentions are inert"),
        Field("IGNORE_BOTS", bool, default=True,
              help="True: what other bots say or react is not passed to Hubot (two bots answering each other "
                   "never stop); False: it is, with user.is_bot set"),
    ]
    default_settings = {
        # Where answers go when a script's room names no channel or no topic.
        "STREAM_FOR_NOTIFICATIONS": "general",
        "TOPIC": "hubot",
    }
