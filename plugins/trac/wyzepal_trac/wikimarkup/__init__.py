"""Trac wiki markup (descriptions, comments) turned into WyzePal markdown.

What reads better converted is converted (``{{{ }}}`` blocks, ``'''bold'''``,
links, lists, headings); everything else is kept as escaped text. Text from
Trac users never becomes a mention or markup of its own.
"""
from .blocks import to_markdown

__all__ = ["to_markdown"]
