# Git on WyzePal: the post-receive hook's config. Copy this file into the
# repository's hooks folder (beside hooks/post-receive), edit it, and keep it
# private (chmod 600: it holds the bot's API key).
#
# Install the hook (on the server, in the bare repository):
#   ln -s "$(command -v wyzepal-git-post-receive)" /srv/git/project.git/hooks/post-receive
#   cp wyzepal_git_config.py /srv/git/project.git/hooks/ && chmod 600 /srv/git/project.git/hooks/wyzepal_git_config.py
# Or call it from an existing post-receive hook, passing its stdin on:
#   ... | wyzepal-git-post-receive        (git's "OLD NEW REFNAME" lines on stdin)
#
# Where the hook finds this file (the first that exists wins):
#   1. wyzepal-git-post-receive --config /path/to/wyzepal_git_config.py
#   2. $WYZEPAL_GIT_CONFIG
#   3. git config wyzepal.config (a path, relative to the repository)
#   4. beside the hook as git ran it (hooks/post-receive -> hooks/wyzepal_git_config.py)
#   5. the repository's own hooks folder ($GIT_DIR/hooks)
# No HOME is needed. Environment variables WYZEPAL_SITE, WYZEPAL_USER and
# WYZEPAL_API_KEY beat this file.
#
# One hook for many repositories (gitolite, Gerrit, a shared core.hooksPath):
# keep this one file (credentials, defaults) beside the shared hook, and let each
# repository set what differs in its git config, which beats this file:
#   git config wyzepal.stream backend            (STREAM_FOR_NOTIFICATIONS)
#   git config wyzepal.topic '{repo}: {branch}'
#   git config wyzepal.maxCommits 5              (any setting: its name without underscores)
#   git config --add wyzepal.excludePaths secret (a list: one value per --add)
# The API key, CONFIGURATIONS and COMMIT_NOTICE_DESTINATION stay in this file.
#
# Try it without sending anything (prints the messages):
#   echo "OLD-SHA NEW-SHA refs/heads/main" | wyzepal-git-post-receive --dry-run
#
# The push never waits for the chat server: notices are written to a spool in the
# repository ($GIT_DIR/wyzepal-outbox.sqlite3) and delivered by a background worker,
# which retries while the server is down. See what waits:
#   wyzepal-integrations outbox status --outbox /srv/git/project.git/wyzepal-outbox.sqlite3

# --- The bot that posts ------------------------------------------------------------
# A bot on your WyzePal server (Settings > Personal > Bots, an "Incoming webhook" bot).
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "git-bot@chat.example.com"
WYZEPAL_API_KEY = "0123456789abcdef0123456789abcdef"

# --- Where notices go ---------------------------------------------------------------
# The channel, and the topic of branch notices: {branch} and {repo} are filled in.
STREAM_FOR_NOTIFICATIONS = "commits"
TOPIC = "{branch}"
# Tags (created, moved, deleted) have a topic of their own ({repo} is filled in).
TAG_TOPIC = "tags"

# --- How commits look -----------------------------------------------------------------
# A link for each commit hash: {sha} (full), {short} (7 characters) and {repo}.
# Without it hashes are shown as plain code.
# COMMIT_URL = "https://git.example.com/{repo}/commit/{sha}"
# Commits listed per push; a bigger push ends with "… and N more commits."
MAX_COMMITS = 20
# Under each commit: files changed and lines +/- ("3 files changed, +12 −4: `a.py` +10 −3, …"),
# the first MAX_DIFFSTAT_FILES files by name.
# DIFFSTAT = True
# MAX_DIFFSTAT_FILES = 5
# Leave merge commits out of lists and counts (as git rev-list --no-merges).
# EXCLUDE_MERGES = True
# An annotated tag shows its message and the commits since the previous annotated
# tag on its line (git describe); False keeps only the message.
TAG_SHORTLOG = True
# A "compare" link for the whole push: {old}, {new}, {old_short}, {new_short}, {repo}, {branch}.
# COMPARE_URL = "https://git.example.com/{repo}/compare/{old}...{new}"
# The notices of one push bound for the same channel and topic are one message
# (30 tags pushed with --tags: one message in TAG_TOPIC); past this many
# characters it is split into numbered parts, between two refs.
MAX_MESSAGE_LENGTH = 10000
# The name shown in messages; default: the repository's folder name without ".git".
# REPOSITORY_NAME = "project"

# --- Which pushes, where (optional) --------------------------------------------------------
# Without CONFIGURATIONS every branch and tag is announced in STREAM_FOR_NOTIFICATIONS.
# With it, each entry whose conditions match sends its own message. Conditions
# match event keys with globs ("release/*"), lists of alternatives, or functions:
#   branch, tag        the branch or tag name (a branch event has no "tag", and the reverse)
#   repository         the name shown in messages
#   type               push, force_push, branch_created, branch_deleted,
#                      tag_created, tag_moved, tag_deleted
#   pusher             who pushed, when the server says (GitLab, gitolite, Gitea, HTTP)
# "stream"/"topic" (or any setting under "settings") apply to that entry only; an
# entry's own "topic" applies to its tag notices too ({branch} is then the tag).
# PATHS and EXCLUDE_PATHS (globs on the path from the repository's root; "*" also
# crosses folders; a folder name means everything under it) filter each entry's
# commits: one touching only excluded paths is neither listed nor counted there,
# and a diffstat lists only the paths the entry may see.
# CONFIGURATIONS = [
#     {"description": "main and releases", "conditions": {"branch": ["main", "release/*"]}},
#     {"description": "release tags", "conditions": {"tag": "v*"}, "stream": "releases", "topic": "{repo}"},
#     {"description": "force pushes to main", "conditions": {"branch": "main", "type": "force_push"},
#      "stream": "ops"},
#     {"description": "all but the secrets", "stream": "audit", "settings": {"EXCLUDE_PATHS": ["secret", "*.pem"]}},
#     {"description": "the docs team", "stream": "docs", "settings": {"PATHS": ["docs", "*.md"], "DIFFSTAT": True}},
# ]

# --- Or decide in code (optional), as with the classic git hook -----------------------------
# Called for every notice a configuration sends, with the repository name, the
# branch name (for a tag: its full ref, "refs/tags/v1.0") and the new commit id
# ("000..." for a deletion). Return dict(stream=..., topic=...) ("subject" works
# too) or None to send nothing. If it raises, the error is shown to the pusher and
# the notice goes to the configuration's own channel and topic.
# def commit_notice_destination(repo, branch, commit):
#     if branch.startswith("wip/"):
#         return None
#     return dict(stream="commits", topic=f"{repo}: {branch}")
#
# COMMIT_NOTICE_DESTINATION = commit_notice_destination

# --- Delivery and TLS ------------------------------------------------------------------
# The spool; default: wyzepal-outbox.sqlite3 in the repository (relative paths are
# relative to this file). When several system users push to one repository, point
# it at a file they can all write, or each falls back to a private spool.
# OUTBOX_PATH = "/var/spool/wyzepal/git-outbox.sqlite3"
# Certificates are always verified; for a private certificate authority:
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-company-ca.pem"
