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
# A batch modify is one message per configuration, in this topic
# (placeholders: {author}, {count}, {ids}):
# TRAC_BATCH_TOPIC = "batch modify"
# TOPIC = "trac"

# One topic for the life of a ticket. trac.ini's [wyzepal] move_topic_on_rename and
# resolve_topic_on_close set these for the environment (both on by default);
# set here, at the top or in a configuration's settings, this file wins.
# TRAC_MOVE_TOPIC_ON_RENAME = True     # the topic follows a changed summary
# TRAC_RESOLVE_TOPIC_ON_CLOSE = True   # a closed ticket's topic is marked resolved

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
    "attachments",            # files attached to or deleted from tickets and wiki pages
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

# --- Direct messages (Preferences > Notifications > wyzepal) ----------------------
# Users who choose WyzePal for Trac's notifications (tickets they own, reported,
# are in CC of...) get direct messages from the bot. Who they are in WyzePal:
# TRAC_USERS = {"alice": "alice@chat.example.com"}   # Trac user name -> WyzePal email
# Users missing from TRAC_USERS: use the email in their Trac preferences. Trac does
# not check that email (anyone can type anyone's address there and read their
# notifications), so switch this on only where every Trac account is trusted.
# TRAC_USERS_BY_EMAIL = False

# --- Both ways: trac-admin ENV wyzepal listen ----------------------------------------
# With that bot running, a reply in a ticket's topic from a user in TRAC_USERS (never
# TRAC_USERS_BY_EMAIL) becomes a comment by that Trac user, if they have TICKET_APPEND.
# Channels where #123 and [changeset] get a one-line answer (summary, status, link):
# TRAC_REFERENCE_STREAMS = ["dev", "support"]

# --- Delivery ---------------------------------------------------------------------
# Messages wait in a spool file (SQLite) until the server takes them, so a slow
# or unreachable server never slows Trac down. Each Trac environment has its own:
# <env>/db/wyzepal-outbox.sqlite3. Relative paths are relative to this file.
# OUTBOX_PATH = "/var/lib/trac/wyzepal-outbox.sqlite3"

# TLS is verified. For a server with a private certificate authority:
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-ca.pem"
