# Hubot on WyzePal: copy this file into your bot's folder (where you run
# bin/hubot), edit it, and keep it private (chmod 600: it holds the bot's API key).
#
# Where the bridge finds it (the first that exists wins):
#   1. wyzepal-hubot-bridge --config /path/to/wyzepal_hubot_config.py
#   2. $HUBOT_WYZEPAL_CONFIG (or $WYZEPAL_HUBOT_CONFIG)
#   3. ./wyzepal_hubot_config.py in the folder Hubot runs in
# You may also skip this file and set HUBOT_WYZEPAL_SITE, HUBOT_WYZEPAL_USER and
# HUBOT_WYZEPAL_API_KEY in Hubot's environment, as with any Hubot adapter.
# Environment variables beat this file.
#
# Check it without starting Hubot:   wyzepal-hubot-bridge --check

# --- The bot Hubot speaks as ------------------------------------------------------
# Create a bot on your WyzePal server (Settings > Personal > Bots; a "Generic bot")
# and copy its email and API key here. People talk to it as @**<its name>**.
# Environment: HUBOT_WYZEPAL_SITE, HUBOT_WYZEPAL_USER, HUBOT_WYZEPAL_API_KEY
# (or WYZEPAL_SITE, WYZEPAL_USER, WYZEPAL_API_KEY).
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "hubot-bot@chat.example.com"
WYZEPAL_API_KEY = "0123456789abcdef0123456789abcdef"

# --- What Hubot hears ---------------------------------------------------------------
# False: messages in the channels the bot is subscribed to, and direct messages.
# True: every public channel too (as hubot-zulip did by default).
# Environment: HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS=true
ALL_PUBLIC_STREAMS = False

# --- Where answers go --------------------------------------------------------------
# Hubot rooms are "stream:<channel> topic:<topic>" or "dm:<email>[,<email>...]"
# (spaces written "+"). A room that names a channel but no topic, e.g.
# robot.messageRoom("ops", "..."), uses TOPIC; an answer with no room at all goes
# to STREAM_FOR_NOTIFICATIONS under TOPIC.
# Environment: HUBOT_WYZEPAL_STREAM, HUBOT_WYZEPAL_TOPIC
STREAM_FOR_NOTIFICATIONS = "general"
TOPIC = "hubot"

# Scripts often echo what people type; by default an answer cannot notify a whole
# channel (@**all**, @**everyone**, @**channel**, @**topic** are made inert).
# Environment: HUBOT_WYZEPAL_ALLOW_WILDCARD_MENTIONS=true
ALLOW_WILDCARD_MENTIONS = False

# What other bots say (and their reactions and edits) does not reach Hubot's scripts:
# two bots answering each other never stop. False passes them on, marked
# res.message.user.is_bot. The bot never hears itself either way.
# Environment: HUBOT_WYZEPAL_IGNORE_BOTS=false
IGNORE_BOTS = True

# --- TLS ---------------------------------------------------------------------------
# Certificates are always verified. For a server with a certificate from a private
# certificate authority, name its CA bundle (HUBOT_WYZEPAL_CERT_BUNDLE):
# WYZEPAL_CERT_BUNDLE = "/etc/ssl/certs/my-company-ca.pem"
# Only for a throwaway test server (HUBOT_WYZEPAL_INSECURE=true):
# WYZEPAL_INSECURE = True
