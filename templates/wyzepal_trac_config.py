# WyzePal notifications from Trac: copy this file, edit it, and keep it private
# (chmod 600: it holds the bot's API key).
#
# Where Trac finds it (the first that exists wins):
#   1. the path in trac.ini:   [wyzepal]
#                              config = /path/to/wyzepal_trac_config.py
#   2. $WYZEPAL_TRAC_CONFIG in tracd's environment
#   3. <env>/plugins/wyzepal_trac_config.py   (beside the single-file plugin)
#   4. <env>/conf/wyzepal_trac_config.py      (beside trac.ini)
#
# Trac notices when you save this file; no restart is needed. While the file is
# broken, notifications are held (not lost) and sent once it loads again; Trac's
# log and Admin > WyzePal say what is wrong.

# --- The bot that posts -------------------------------------------------------
# Create a bot on your WyzePal server (Settings > Personal > Bots) and copy its
# email and API key here. The environment variables WYZEPAL_SITE, WYZEPAL_USER
# and WYZEPAL_API_KEY override these three.
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "trac-bot@chat.example.com"
WYZEPAL_API_KEY = "0123456789abcdef0123456789abcdef"

# --- Where messages go ----------------------------------------------------------
# The channel for everything not routed elsewhere (the bot must be allowed to post there).
STREAM_FOR_NOTIFICATIONS = "trac"

# Topics are templates filled from the event. The defaults give one topic per
# ticket ("#123: Crash on save", shortened to the server's limit) and per wiki
# page. Setting TOPIC sends every event of a configuration to that one topic.
# TRAC_TICKET_TOPIC = "#{id}: {summary}"
# TRAC_WIKI_TOPIC = "wiki: {page}"
# TRAC_CHANGESET_TOPIC = "commits: {repository}"
# TRAC_MILESTONE_TOPIC = "milestone {milestone}"
# TOPIC = "trac"

# --- What is announced ------------------------------------------------------------
# Event switches: remove what you do not want announced.
TRAC_NOTIFY_ON = [
    "ticket_created",
    "ticket_changed",         # a change of one of TRAC_NOTIFY_FIELDS (or a new comment)
    "ticket_closed",
    "ticket_reopened",
    "ticket_deleted",
    "ticket_comment_edited",
    "wiki",                   # pages added, edited (with a diff link), deleted, renamed
    "changesets",             # commits, when a repository is connected to Trac
    "milestones",             # milestones created and completed
]

# A ticket change is announced when one of these fields changed; "comment"
# stands for a new comment. Other fields changed alongside are listed by name.
TRAC_NOTIFY_FIELDS = ["description", "summary", "resolution", "comment", "owner", "status", "priority"]

# --- Routing (optional) -------------------------------------------------------------
# Each configuration whose conditions match an event gets its own message, so an
# event can go to several channels. Conditions compare event keys with a value,
# a glob ("wiki_*"), a list of alternatives, or a function returning True/False.
# Settings inside a configuration override the ones above for it alone.
#
# Event keys: type (ticket_created, ticket_changed, ticket_closed, ticket_reopened,
# ticket_deleted, ticket_comment_edited, wiki_page_added, wiki_page_changed,
# wiki_page_deleted, wiki_page_renamed, changeset_added, milestone_created,
# milestone_completed), kind (ticket, wiki, changeset, milestone), author;
# tickets: id, summary, component, milestone, priority, severity, owner,
# reporter, status, resolution, keywords, version, ticket_type (Trac's "type"),
# any custom field, changed_fields; wiki: page; changesets: repository, rev;
# milestones: milestone.
#
# An event lacking a key of the conditions does not match them (a wiki event has
# no "component"). Without CONFIGURATIONS everything goes to STREAM_FOR_NOTIFICATIONS.
# CONFIGURATIONS = [
#     {
#         "description": "commits and milestones",
#         "conditions": {"kind": ["changeset", "milestone"]},
#     },
#     {
#         "description": "tickets, except security ones",
#         "conditions": {"kind": "ticket", "component": lambda component: component != "security"},
#     },
#     {
#         "description": "security tickets, with every change, only to their own channel",
#         "conditions": {"kind": "ticket", "component": "security"},
#         "settings": {"stream": "security",
#                      "TRAC_NOTIFY_FIELDS": ["comment", "status", "owner", "priority", "summary", "description"]},
#     },
#     {
#         "description": "tickets of milestone 1.0, also to the release channel",
#         "conditions": {"kind": "ticket", "milestone": "1.0"},
#         "settings": {"stream": "release"},
#     },
#     {
#         "description": "wiki edits to the docs channel",
#         "conditions": {"kind": "wiki"},
#         "settings": {"stream": "docs", "topic": "wiki: {page}"},
#     },
# ]

# --- Delivery ---------------------------------------------------------------------
# Messages wait in a spool file (SQLite) until the server takes them, so a slow
# or unreachable server never slows Trac down. Relative paths are relative to
# this file. Default: ~/.local/state/wyzepal-integrations/trac-outbox.sqlite3
# (or beside this file when tracd has no HOME).
# OUTBOX_PATH = "/var/lib/trac/wyzepal-outbox.sqlite3"

# TLS is verified. For a server with a private certificate authority:
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-ca.pem"
