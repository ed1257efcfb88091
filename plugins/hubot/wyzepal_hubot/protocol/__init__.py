"""The newline-delimited JSON between the hubot-wyzepal adapter and this bridge.

plugins/hubot/PROTOCOL.md is the contract; ``requests`` reads what the adapter
asks, ``writer`` writes what the bridge tells it.
"""
from .requests import REACTION_TYPES, REQUEST_TYPES, BadLine, Person, Request, parse_request
from .writer import PROTOCOL_VERSION, LineWriter

__all__ = ["PROTOCOL_VERSION", "REACTION_TYPES", "REQUEST_TYPES", "BadLine", "LineWriter", "Person", "Request",
           "parse_request"]
