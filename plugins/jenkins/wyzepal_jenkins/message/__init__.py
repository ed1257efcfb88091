"""Build messages: safe parts, the standard layout, templates, mentions."""
from .render import check_templates, content, render, topic

__all__ = ["check_templates", "content", "render", "topic"]
