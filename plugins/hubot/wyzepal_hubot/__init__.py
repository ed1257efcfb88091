"""wyzepal_hubot: the bridge between Hubot (through the hubot-wyzepal adapter) and WyzePal.

The adapter starts ``wyzepal-hubot-bridge`` and talks to it in newline-delimited
JSON (plugins/hubot/PROTOCOL.md); the bridge does the WyzePal work with the
notifier library: the events API, sending, retries and rate limits.
"""
from .integration import HubotIntegration

__all__ = ["HubotIntegration"]
