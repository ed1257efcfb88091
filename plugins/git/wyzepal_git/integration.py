"""The git integration's settings, declared once with their defaults and help."""
from __future__ import annotations

from wyzepal_notifier import Field, Integration
from wyzepal_notifier.scripthook import cap_field, destination_field, template_field


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
        cap_field("MAX_COMMITS", 20, "commit"),
        Field("REPOSITORY_NAME", str, help="the name in messages; default: the repository's folder name"),
        destination_field("(repo, branch, commit)"),
    ]
