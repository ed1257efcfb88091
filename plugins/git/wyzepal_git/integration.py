"""The git integration's settings, declared once with their defaults and help."""
from __future__ import annotations

from typing import Optional

from wyzepal_notifier import Field, Integration
from wyzepal_notifier.scripthook import destination_field, template_field


def _positive(value: int) -> Optional[str]:
    return None if value > 0 else "must be at least 1"


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
        Field("MAX_COMMITS", int, default=20, check=_positive,
              help='commits listed per push; the rest are counted as "and N more"'),
        Field("REPOSITORY_NAME", str, help="the name in messages; default: the repository's folder name"),
        destination_field("(repo, branch, commit)"),
    ]
