'use strict'

// Environment to adapter options, as hubot-slack's index.mjs does: a Hubot user
// configures an adapter with HUBOT_<ADAPTER>_* variables. The WyzePal settings
// themselves (HUBOT_WYZEPAL_SITE, _USER, _API_KEY, _CONFIG, ...) pass through the
// environment to the bridge, which reads and validates them.

export const DEFAULT_BRIDGE_COMMAND = 'wyzepal-hubot-bridge'

// HUBOT_WYZEPAL_BRIDGE is a command line split on spaces, or a JSON array of words
// (for paths with spaces), e.g. '["/opt/venv/bin/python", "-m", "wyzepal_hubot"]'.
export function bridgeCommand (value) {
  const text = (value ?? '').trim()
  if (text === '') {
    return [DEFAULT_BRIDGE_COMMAND]
  }
  if (text.startsWith('[')) {
    let words
    try {
      words = JSON.parse(text)
    } catch (error) {
      throw new Error(`HUBOT_WYZEPAL_BRIDGE starts with "[" but is not JSON (${error.message}); ` +
        'write a JSON list of words, e.g. ["/opt/venv/bin/wyzepal-hubot-bridge"], or the command without brackets')
    }
    if (!Array.isArray(words) || words.length === 0 || !words.every(w => typeof w === 'string')) {
      throw new Error('HUBOT_WYZEPAL_BRIDGE is a JSON value but not a list of strings; ' +
        'write e.g. ["/opt/venv/bin/python", "-m", "wyzepal_hubot"]')
    }
    return words
  }
  return text.split(/\s+/)
}

function seconds (value, fallback) {
  const number = Number.parseFloat(value)
  return Number.isFinite(number) && number >= 0 ? number * 1000 : fallback
}

export function optionsFromEnv (env) {
  const [command, ...args] = bridgeCommand(env.HUBOT_WYZEPAL_BRIDGE)
  return {
    command,
    args,
    env,
    backoff: {
      initialMs: seconds(env.HUBOT_WYZEPAL_RESTART_DELAY, 500),
      maxMs: seconds(env.HUBOT_WYZEPAL_RESTART_MAX_DELAY, 30000)
    }
  }
}
