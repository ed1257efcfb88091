'use strict'

// The newline-delimited JSON spoken between this adapter and the Python bridge
// (wyzepal-hubot-bridge) over the bridge's stdin and stdout. One JSON object per
// line, each with a "type". plugins/hubot/PROTOCOL.md is the full contract; this
// file only encodes and decodes, so a bad line is a value, never an exception.

export const PROTOCOL_VERSION = 1

// Bridge -> adapter.
export const FROM_BRIDGE = Object.freeze(['ready', 'users', 'message', 'reaction', 'update', 'ack', 'error'])
// Adapter -> bridge: the Hubot actions that put text in a room, and reactions to a message.
export const TO_BRIDGE = Object.freeze(['send', 'reply', 'emote', 'topic', 'react', 'unreact'])

// One protocol line (with its newline) for an object.
export function encodeLine (object) {
  return JSON.stringify(object) + '\n'
}

// Decode one line from the bridge: { ok: true, value } or { ok: false, reason }.
export function decodeLine (line) {
  const text = line.trim()
  if (text === '') {
    return { ok: false, reason: 'empty line' }
  }
  let value
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, reason: `not JSON (${error.message})` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' }
  }
  if (!FROM_BRIDGE.includes(value.type)) {
    return { ok: false, reason: `unknown type ${JSON.stringify(value.type)}` }
  }
  return { ok: true, value }
}

// The sender as the bridge needs it to reply or to open a direct conversation.
export function userOf (envelope) {
  const user = envelope?.user
  if (!user) {
    return undefined
  }
  return {
    id: user.id,
    name: user.name,
    email: user.email_address ?? user.email
  }
}
