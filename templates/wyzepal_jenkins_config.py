# Jenkins on WyzePal: copy this file, edit it, and keep it private (chmod 600: it
# may hold API keys). One file serves both ways in:
#   wyzepal-jenkins-notify   a step in a Jenkinsfile or freestyle job
#   wyzepal-jenkins-watch    a long-running process that polls Jenkins (and answers chat)
#
# Where they find it (the first that exists wins):
#   1. --config /path/to/wyzepal_jenkins_config.py
#   2. $WYZEPAL_JENKINS_CONFIG
#   3. wyzepal_jenkins_config.py beside the wyzepal-jenkins-* script
# Environment variables beat this file for secrets, so a Jenkins credentials binding
# can supply them: WYZEPAL_SITE, WYZEPAL_USER, WYZEPAL_API_KEY (the bot) and
# JENKINS_USER, JENKINS_API_TOKEN (the Jenkins user; JENKINS_USER_ID, the Jenkins CLI's name, works too).
#
# Check it:   wyzepal-integrations check --config wyzepal_jenkins_config.py --ping

# --- The bot that posts -------------------------------------------------------------
# Create a bot on your WyzePal server (Settings > Personal > Bots; a "Generic bot"),
# subscribe it to the channels below, and copy its email and API key here.
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "jenkins-bot@chat.example.com"
WYZEPAL_API_KEY = "0123456789abcdef0123456789abcdef"

# --- Where messages go ----------------------------------------------------------------
STREAM_FOR_NOTIFICATIONS = "ci"
# The topic. Placeholders: {job} (full name with folders), {branch}, {number},
# {result}, {kind}. Default: one topic per job.
TOPIC = "{job}"

# Several destinations: each entry's conditions test the build's job, result, kind
# (see NOTIFY_* below), branch or number. Values are globs, lists or functions.
# An entry's settings override the ones in this file; every matching entry gets
# its own message.
# CONFIGURATIONS = [
#     {"description": "deploys to ops", "conditions": {"job": "deploy-*"},
#      "settings": {"stream": "ops", "topic": "deploys", "NOTIFY_SUCCESS": True}},
#     {"description": "everything else to ci",
#      "conditions": {"job": lambda name: not name.startswith("deploy-")}},
# ]

# --- Jenkins ------------------------------------------------------------------------------
# A build step takes Jenkins' own $JENKINS_URL when this is not set.
JENKINS_URL = "https://jenkins.example.com/"
# A user that may read the jobs (and, for chat's `build`, start them), and its API token
# (Jenkins > your name > Security > API Token). Leave them out for anonymous read access.
JENKINS_USER = "wyzepal"
JENKINS_API_TOKEN = "11aa22bb33cc44dd55ee66ff77aa88bb99"  # noqa: S105 - a placeholder to replace
JENKINS_TIMEOUT = 10  # seconds
# A private CA: export REQUESTS_CA_BUNDLE=/path/to/ca.pem before starting (python-jenkins
# uses requests, which reads it). Certificates are always verified.

# --- Which builds are announced ---------------------------------------------------------
# Each kind is a switch (also per configuration). The defaults tell you when
# something breaks, keeps breaking, or is fixed:
NOTIFY_STARTED = False         # a build started
NOTIFY_SUCCESS = False         # a success after a success
NOTIFY_FIRST_FAILURE = True    # a failure after a success (or the first build)
NOTIFY_STILL_FAILING = True    # a failure after a failure: says for how long and how many builds
NOTIFY_REGRESSION = True       # still failing (or unstable), but more or other tests fail: names the new ones
NOTIFY_BACK_TO_NORMAL = True   # a success after failures: says after how long
NOTIFY_UNSTABLE = True         # tests failed (Jenkins' yellow)
NOTIFY_ABORTED = False
NOTIFY_NOT_BUILT = False

# How much detail: changes listed before "… and N more", failing tests named (with links).
MAX_CHANGES = 5
MAX_FAILED_TESTS = 5
# A failed pipeline names the stage that failed (from Jenkins' pipeline REST API, one request).
# The console's last lines for a failed or aborted build, in a code block (0: none; one
# or two small requests, never the whole log):
LOG_LINES = 0

# --- One living message per build ------------------------------------------------------------
# True: each build gets one message, posted when it starts (by `wyzepal-jenkins-notify
# --started` early in the Jenkinsfile, or by the watcher seeing it run) and edited in
# place to its result, with a status reaction that follows it (:hourglass: while it runs,
# then :check:, :warning:, :cross_mark:, :stop_sign: or :zzz:). An edit marks nothing
# unread, so the kinds switched on above besides a plain success (a first failure,
# back to normal, still failing, a regression, unstable) also post one short line
# pointing at it. A build longer than the server's edit limit (often 10 minutes) gets
# its result as one new message in the same topic; the reaction still changes.
# The start and the end may come from different processes or machines: the end
# finds the start's message among the bot's recent messages in the topic by the
# build's address. It is off by default because it changes what people see (every
# build that starts gets a message, successes too) and wants --started in the
# Jenkinsfile or the watcher running; turn it on when that is what your channel wants.
# Your MESSAGE_TEMPLATES must then keep {link} (or {url}, or {default}): the address is
# how the message is found again.
LIVING_MESSAGE = False
# With LIVING_MESSAGE: a green build marks the job's topic resolved ("✔ job") and a
# failing one unresolves it, so the channel's topic list shows which jobs are broken.
# Later builds follow the topic's current name. The bot must be allowed to resolve topics.
RESOLVE_TOPIC_WHEN_GREEN = False
# Where the git hook (wyzepal-git-post-receive) announces pushes: a build's status reaction
# goes on its commit's push message too, so the push shows whether CI liked it. The topic
# is a template with {branch} and {job} (default "{branch}", as the git hook's default).
# Needs the git hook's COMMIT_URL with {sha} (its links carry the full hash) and the same
# bot in both configs (the bot's own recent messages are searched).
# PUSH_ANNOUNCEMENTS = {"stream": "commits", "topic": "{branch}"}

# --- Mentions -------------------------------------------------------------------------------
# Mention the people whose changes broke the build (first failure, still failing,
# unstable). USERS maps Jenkins user ids, full names or commit emails (any case) to
# WyzePal full names; "Name|id" names one exact user. People not in the table are
# named without a mention.
MENTION_CULPRITS = False
# Tell the breaker: on a first failure, a direct message to each culprit who is a chat
# user (mapped in USERS, or whose commit email is a chat user's email). Nobody
# else is ever written to, and each broken streak is told once.
DIRECT_MESSAGE_BREAKERS = False
USERS = {
    # "alice": "Alice Liddell",
    # "bob@example.com": "Bob Stone|12",
}

# --- Your own wording ------------------------------------------------------------------------
# A template per result (SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED) or per kind
# (started, success, first_failure, still_failing, back_to_normal, unstable, aborted,
# not_built; a kind beats a result). Placeholders, all safe to use (text from Jenkins
# cannot mention anyone or break the formatting): {marker} {link} {job} {number} {url}
# {result} {kind} {headline} {cause} {branch} {commit} {duration} {details} {changes}
# {culprits} {tests} and {default} (the whole standard message). Literal braces: {{ }}.
MESSAGE_TEMPLATES = {
    # "SUCCESS": "{marker} {link} deployed in {duration}",
    # "first_failure": "{default}\n\nRunbook: https://wiki.example.com/ci",
}

# --- The watcher (wyzepal-jenkins-watch) -----------------------------------------------------
# Jobs to announce: full names with folders, or globs ("team/*" includes sub-folders).
WATCH_JOBS = ["*"]
IGNORE_JOBS = []
POLL_INTERVAL = 30  # seconds; one request per poll when nothing happened
# A pipeline waiting at an `input` step is announced with its question and choices
# (one request per poll for each running pipeline build); see `approve` below.
NOTIFY_INPUT = True
# What it has announced, so a restart neither repeats nor misses a build.
# Default: wyzepal_jenkins_watch_state.json beside this file.
# STATE_PATH = "/var/lib/wyzepal-jenkins/state.json"

# --- Chat commands (the watcher answers when this is True) ---------------------------------
# Mention the bot in a channel, or write to it directly:
#   build <job> [NAME=value ...]   rebuild <job> [#N]   abort <job> [#N]
#   approve <job> #N [input] [NAME=value ...]   reject <job> #N [input]
#   status <job>   last <job>   queue   help
# A build waiting at an input is announced with :check: and :cross_mark: to click.
# An input step's own `submitter` list is checked against the Jenkins user the chat
# user is in USERS (e.g. "alice": "Alice Liddell|12"); abort/approve/reject are noted
# in the build's description.
COMMANDS_ENABLED = False
# Channels where it answers (default: the notification channels).
COMMAND_STREAMS = []
# Who may start, rebuild, abort or answer builds (emails, globs allowed) and of which
# jobs (globs). Both empty: nobody.
# status/last/queue answer for the watched jobs only.
BUILD_USERS = [
    # "alice@example.com",
]
BUILD_JOBS = [
    # "deploy/*",
]

# --- Delivery -----------------------------------------------------------------------------------
# Messages wait in a spool while WyzePal is down and are sent when it is back.
# OUTBOX_PATH = "/var/lib/wyzepal-jenkins/outbox.sqlite3"
# For a server with a certificate from a private certificate authority:
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-company-ca.pem"
