"""Messages from events: one per matching configuration, in the library's safe markdown."""
from .dispatch import render

__all__ = ["render"]
