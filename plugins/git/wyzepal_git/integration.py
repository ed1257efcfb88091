"""The git integration's settings, declared once with their defaults and help.

Each can also come from ``git config`` (``wyzepal.*`` keys, see ``gitconfig``),
so one hook and one config file serve many repositories.
"""
from __future__ import annotations

from typing import Optional

from wyzepal_notifier import Field, Integration
from wyzepal_notifier.message import MAX_CONTENT_LENGTH
from wyzepal_notifier.scripthook import cap_field, destination_field, template_field
from wyzepal_notifier.scripthook.paths import path_fields


def _message_length(value: int) -> Optional[str]:
    return None if 500 <= value <= MAX_CONTENT_LENGTH else f"must be between 500 and {MAX_CONTENT_LENGTH}"


class GitIntegration(Integration):
    """Announces pushes, new and deleted branches, force pushes and tags from ``post-receive``."""

    integration_id = "git"
    name = "Git"
    description = "Announces pushes, branches and tags from a git post-receive hook"
    settings_fields = [
        template_field("TOPIC", ["repo", "branch"], default="{branch}", example="{repo}: {branch}",
                       help="the topic of branch notices (default: the branch name); set in a configuration, "
                            "it applies to its tag notices too, with {branch} the tag's name"),
        template_field("TAG_TOPIC", ["repo"], default="tags", help="the topic of tag notices"),
        template_field("COMMIT_URL", ["sha", "short", "repo"],
                       example="https://git.example.com/{repo}/commit/{sha}",
                       help="link for each commit; without it hashes are shown as plain code"),
        template_field("COMPARE_URL", ["old", "new", "old_short", "new_short", "repo", "branch"],
                       example="https://git.example.com/{repo}/compare/{old}...{new}",
                       help="a link comparing a branch before and after the push"),
        cap_field("MAX_COMMITS", 20, "commit"),
        Field("DIFFSTAT", bool, default=False, help="True lists the files each commit changes, with lines +/-"),
        cap_field("MAX_DIFFSTAT_FILES", 5, "file"),
        Field("EXCLUDE_MERGES", bool, default=False, help="True leaves merge commits out of lists and counts"),
        Field("TAG_SHORTLOG", bool, default=True,
              help="an annotated tag lists the commits since the previous annotated tag on its line"),
        *path_fields("commits"),
        Field("MAX_MESSAGE_LENGTH", int, default=MAX_CONTENT_LENGTH, check=_message_length,
              help="a push's notices for one channel and topic are one message, in numbered parts past this"),
        Field("REPOSITORY_NAME", str, help="the name in messages; default: the repository's folder name"),
        destination_field("(repo, branch, commit)"),
    ]
