# Subversion on WyzePal: the post-commit hook's config. Copy this file into the
# repository's hooks folder, edit it, and keep it private (chmod 600: it holds the
# bot's API key) but readable by the user the server runs hooks as.
#
# Install the hook: in /srv/svn/project/hooks/post-commit (executable), write
#   #!/bin/sh
#   REPOS="$1"
#   REV="$2"
#   /usr/local/bin/wyzepal-svn-post-commit "$REPOS" "$REV"
# Use the command's full path: Subversion runs hooks with an empty environment
# (no PATH, no HOME). `command -v wyzepal-svn-post-commit` shows it.
#
# Locks and changed revision properties, each hook with Subversion's own arguments:
#   hooks/post-lock:            exec /usr/local/bin/wyzepal-svn-post-lock "$1" "$2"     (paths on stdin)
#   hooks/post-unlock:          exec /usr/local/bin/wyzepal-svn-post-unlock "$1" "$2"   (paths on stdin)
#   hooks/post-revprop-change:  exec /usr/local/bin/wyzepal-svn-post-revprop-change "$1" "$2" "$3" "$4" "$5"
# A changed svn:log edits the revision's message; other properties are a short
# notice. Subversion allows such changes only through a pre-revprop-change hook:
# plugins/svn/README.md has one that allows log edits and nothing else.
#
# Where the hook finds this file (the first that exists wins):
#   1. wyzepal-svn-post-commit --config /path/to/wyzepal_svn_config.py REPOS REV
#   2. $WYZEPAL_SVN_CONFIG (set it in the repository's conf/hooks-env if you need it)
#   3. beside the wyzepal-svn-post-commit script
#   4. REPOS/hooks/wyzepal_svn_config.py
#
# Try it without sending anything (prints the message of revision 42):
#   wyzepal-svn-post-commit --dry-run /srv/svn/project 42
#
# A commit never waits for the chat server: the notice is written to a spool in
# the repository (REPOS/wyzepal-outbox.sqlite3) and delivered by a background
# worker, which retries while the server is down. When the hook cannot send at
# all (a broken config), it exits 1 so svn shows the committer why; the commit
# itself has already happened.

# --- The bot that posts ------------------------------------------------------------
# A bot on your WyzePal server (Settings > Personal > Bots, an "Incoming webhook" bot).
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "svn-bot@chat.example.com"
WYZEPAL_API_KEY = "0123456789abcdef0123456789abcdef"

# --- Where notices go ---------------------------------------------------------------
# The channel, and the topic ({repo} is filled in).
STREAM_FOR_NOTIFICATIONS = "commits"
TOPIC = "{repo}"

# --- How a revision looks -------------------------------------------------------------
# A link for the revision number: {revision} and {repo} are filled in (Trac,
# ViewVC, WebSVN, ...). Without it the revision is shown as plain "r42".
# REVISION_URL = "https://trac.example.com/changeset/{revision}"
# Changed paths listed per commit; a bigger commit ends with "… and N more paths."
MAX_PATHS = 20
# Lines added and removed after each path ("`M /trunk/a.txt` +3 −1"), from svnlook diff.
# DIFFSTAT = True
# The topic of lock and unlock notices ({repo} is filled in); an entry of
# CONFIGURATIONS with its own "topic" uses that instead.
LOCK_TOPIC = "locks"
# The name shown in messages; default: the repository's folder name.
# REPOSITORY_NAME = "project"
# Where svnlook is, when not in /usr/local/bin, /usr/bin or /bin:
# SVNLOOK_PATH = "/opt/subversion/bin/svnlook"

# --- Which commits, where (optional) -------------------------------------------------------
# Without CONFIGURATIONS every revision goes to STREAM_FOR_NOTIFICATIONS. With it,
# each entry whose conditions match sends its own message. Conditions match:
#   path         a changed path or any folder above one: "/trunk/web" matches
#                every commit touching something under /trunk/web; globs work
#                too ("/branches/*/docs/*", "*.css")
#   author       who committed (for a lock: who locked or unlocked)
#   type         commit, lock, unlock, revprop_change
#   repository   the name shown in messages
# "stream"/"topic" (or any setting under "settings") apply to that entry only.
# PATHS and EXCLUDE_PATHS (globs on the path from the repository's root, as
# svnlook gives it: "trunk/secret/key.pem"; "*" also crosses folders; a folder
# name means everything under it) decide what an entry may see: a revision or
# lock touching only paths it does not show is not sent there at all, and one
# that also touches shown paths lists, counts and diffstats only those.
# CONFIGURATIONS = [
#     {"description": "the web site", "conditions": {"path": "/trunk/web"}, "stream": "web"},
#     {"description": "releases", "conditions": {"path": "/tags/*"}, "stream": "releases"},
#     {"description": "everything but the secrets", "stream": "commits",
#      "settings": {"EXCLUDE_PATHS": ["trunk/secret", "*.pem"]}},
# ]

# --- Or decide in code (optional), as with the classic svn hook ----------------------------
# Called with the repository's path on disk and the revision (as text). Return
# dict(stream=..., topic=...) ("subject" works too) or None to send nothing. If it
# raises, the committer sees the error and the notice goes where the
# configuration says.
# def commit_notice_destination(path, commit):
#     repo = path.split("/")[-1]
#     if repo == "secret-plans":
#         return None
#     return dict(stream="commits", topic=repo)
#
# COMMIT_NOTICE_DESTINATION = commit_notice_destination

# --- Delivery and TLS ------------------------------------------------------------------
# The spool; default: wyzepal-outbox.sqlite3 in the repository folder (relative
# paths are relative to this file). It must be writable by the user hooks run as.
# OUTBOX_PATH = "/var/spool/wyzepal/svn-outbox.sqlite3"
# Certificates are always verified; for a private certificate authority:
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-company-ca.pem"
