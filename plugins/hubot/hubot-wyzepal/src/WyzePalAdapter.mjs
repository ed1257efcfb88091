'use strict'

// The Hubot side of WyzePal: a thin adapter over the Python bridge. The bridge
// does all WyzePal work (events, sending, retries, rate limits); this class maps
// Hubot's adapter API to protocol lines and protocol lines to Hubot messages:
// `message` -> TextMessage, `reaction` -> ReactionMessage (hubot-slack's shape),
// `update` of a topic -> TopicMessage (content edits are only logged).

import { Adapter, TextMessage, TopicMessage } from 'hubot'
import { BridgeProcess } from './BridgeProcess.mjs'
import { installExtensions } from './extensions.mjs'
import { PendingRequests } from './PendingRequests.mjs'
import { ReactionMessage } from './ReactionMessage.mjs'
import { userOf } from './protocol.mjs'

export class WyzePalAdapter extends Adapter {
  #pending = new PendingRequests()
  #ready = false
  #connected = false
  #lastMessageId = null
  #signalHandler = null
  #stopped = null
  #held = null
  #holdTimer = null

  // options: { command, args, env, backoff, handleSignals, exit, bridge, scriptsHoldMs } (see options.mjs).
  constructor (robot, options = {}) {
    super(robot)
    installExtensions() // robot.hearReaction, res.react, res.unreact
    this.name = 'WyzePal'
    this.options = options
    this.exit = options.exit ?? (code => process.exit(code))
    this.bridge = options.bridge ?? new BridgeProcess({
      command: options.command,
      args: options.args ?? [],
      env: options.env ?? process.env,
      backoff: options.backoff,
      logger: robot.logger
    })
    this.bridge.on('value', value => this.#onValue(value))
    this.bridge.on('exit', () => { this.#ready = false })
    this.bridge.on('fatal', reason => this.#onFatal(reason))
  }

  // The bot's own WyzePal user, once the bridge is ready.
  get bot () {
    return this.botUser
  }

  async run () {
    if (this.options.handleSignals !== false) {
      this.#installSignalHandlers()
    }
    this.bridge.start(() => this.#resumeArgs())
  }

  async send (envelope, ...strings) {
    return this.#requestEach('send', envelope, strings)
  }

  async reply (envelope, ...strings) {
    return this.#requestEach('reply', envelope, strings)
  }

  async emote (envelope, ...strings) {
    return this.#requestEach('emote', envelope, strings)
  }

  async topic (envelope, ...strings) {
    return this.#requestEach('topic', envelope, [strings.join(' ')])
  }

  // Add the bot's reaction(s) to the message the envelope is about (for a ReactionMessage:
  // the message reacted to). Colons are optional: 'thumbs_up' and ':thumbs_up:' are one emoji.
  async react (envelope, ...emoji) {
    return this.#requestReaction('react', envelope, emoji)
  }

  async unreact (envelope, ...emoji) {
    return this.#requestReaction('unreact', envelope, emoji)
  }

  // WyzePal has no unlogged rooms; a locked message is an ordinary one.
  async locked (envelope, ...strings) {
    return this.send(envelope, ...strings)
  }

  // WyzePal cannot play sounds; say so in the log instead of failing the script.
  async play (envelope, ...strings) {
    this.robot.logger.info(`play is not supported on WyzePal; ignored ${strings.join(', ')}`)
    return []
  }

  close () {
    if (this.#signalHandler) {
      process.off('SIGTERM', this.#signalHandler)
      process.off('SIGINT', this.#signalHandler)
      this.#signalHandler = null
    }
    clearTimeout(this.#holdTimer)
    this.#pending.settleAll({ ok: false, error: 'Hubot is shutting down' })
    this.#stopped = this.bridge.stop()
    super.close()
  }

  // Resolves when the bridge has exited after close().
  stopped () {
    return this.#stopped ?? Promise.resolve()
  }

  async #requestEach (type, envelope, strings, extra = {}) {
    const room = envelope?.room
    const user = userOf(envelope)
    const outcomes = strings.map(text => {
      const { request, outcome } = this.#pending.add(type, { room, user, text: String(text), ...extra })
      if (this.#ready) {
        this.bridge.write(request)
      }
      return outcome
    })
    return Promise.all(outcomes)
  }

  async #requestReaction (type, envelope, emoji) {
    const message = envelope?.message
    const messageId = Number(message?.item?.id ?? message?.id)
    if (!Number.isInteger(messageId) || messageId <= 0) {
      const error = `${type} needs a message to react to (the envelope has no message id)`
      this.robot.logger.error(`WyzePal: ${error}`)
      return emoji.map(() => ({ ok: false, error }))
    }
    return this.#requestEach(type, envelope, emoji, { message_id: messageId })
  }

  #onValue (value) {
    switch (value.type) {
      case 'ready': return this.#onReady(value)
      case 'users': return this.#onUsers(value)
      case 'message': return this.#onMessage(value)
      case 'reaction': return this.#onHeard(value, 'reaction')
      case 'update': return this.#onHeard(value, 'update')
      case 'ack': return this.#onAck(value)
      case 'error': return this.#onError(value)
    }
  }

  #onReady (value) {
    this.botUser = value.bot
    this.#ready = true
    if (this.#lastMessageId === null && Number.isInteger(value.last_message_id)) {
      this.#lastMessageId = value.last_message_id // heard nothing yet: a new bridge resumes from here
    }
    this.bridge.markReady()
    for (const request of this.#pending.requests()) {
      this.bridge.write(request)
    }
    if (!this.#connected) {
      this.#connected = true
      this.robot.logger.info(`connected to ${value.site} as ${value.bot?.email}`)
      if (this.listenerCount('connected') > 0) {
        this.#holdUntilScriptsLoad()
      }
      this.emit('connected')
    } else {
      this.robot.logger.info(`reconnected to ${value.site}; ${this.#pending.size} answers resent`)
    }
  }

  #onUsers (value) {
    for (const user of Array.isArray(value.users) ? value.users : []) {
      this.#remember(user)
    }
  }

  // bin/hubot loads the scripts when the adapter says `connected`; messages that
  // arrive meanwhile wait for 'scripts have loaded' (or scriptsHoldMs) instead of
  // reaching a robot without listeners.
  #holdUntilScriptsLoad () {
    this.#held = []
    const release = () => {
      clearTimeout(this.#holdTimer)
      const held = this.#held ?? []
      this.#held = null
      held.forEach(value => this.#deliver(value))
    }
    this.robot.events.once('scripts have loaded', release)
    this.#holdTimer = setTimeout(() => {
      this.robot.logger.warn('scripts have not loaded yet; passing the waiting messages to Hubot anyway')
      release()
    }, this.options.scriptsHoldMs ?? 30000)
    this.#holdTimer.unref?.()
  }

  #onMessage (value) {
    if (!value.user || typeof value.text !== 'string' || !value.room) {
      this.robot.logger.warn(`ignored a message line without user, text or room (id ${value.id})`)
      return
    }
    if (Number.isInteger(value.id)) {
      this.#lastMessageId = Math.max(this.#lastMessageId ?? 0, value.id)
    }
    this.#onHeard(value, 'message')
  }

  // Reactions and updates wait for the scripts like messages do.
  #onHeard (value, kind) {
    if (kind !== 'message' && (!value.user || !Number.isInteger(value.message_id))) {
      this.robot.logger.warn(`ignored a ${kind} line without user or message_id`)
      return
    }
    const heard = { ...value, kind }
    if (this.#held) {
      this.#held.push(heard)
      return
    }
    this.#deliver(heard)
  }

  async #deliver (value) {
    const message = this.#hubotMessage(value)
    if (!message) {
      return
    }
    try {
      await this.receive(message)
    } catch (error) {
      this.robot.logger.error(`a script failed on ${value.kind} ${value.id ?? value.message_id}: ${error.stack ?? error}`)
    }
  }

  #hubotMessage (value) {
    if (value.kind === 'reaction') {
      const room = value.room ?? ''
      const user = this.#remember(value.user, room)
      const itemUser = value.item_user ? this.#remember(value.item_user) : {}
      const item = { type: 'message', room, id: value.message_id, stream: value.stream, topic: value.topic }
      const type = value.op === 'remove' ? 'removed' : 'added'
      return new ReactionMessage(type, user, value.emoji, itemUser, item, String(Date.now() / 1000))
    }
    if (value.kind === 'update') {
      if (value.change === 'edited' || !value.room) {
        this.robot.logger.debug(`message ${value.message_id} was ${value.change}; not passed to scripts`)
        return null
      }
      // As Hubot's other adapters: the text of a TopicMessage is the new topic, in the new room.
      const message = new TopicMessage(this.#remember(value.user, value.room), value.topic ?? '', value.message_id)
      Object.assign(message, {
        change: value.change, // 'moved', 'resolved' or 'unresolved'
        previousRoom: value.old_room,
        previousTopic: value.old_topic,
        messageIds: value.message_ids
      })
      return message
    }
    return new TextMessage(this.#remember(value.user, value.room), value.text, value.id)
  }

  #onAck (value) {
    this.#pending.settle(value.ref, { ok: true, ids: value.ids ?? [] })
  }

  #onError (value) {
    this.robot.logger.error(`WyzePal: ${value.message}`)
    if (value.ref !== undefined && value.ref !== null) {
      this.#pending.settle(value.ref, { ok: false, error: value.message })
    }
  }

  #onFatal (reason) {
    this.robot.logger.error(reason)
    this.exit(1)
  }

  // Hubot's brain keeps one User per id; keep its name, email and bot flag current.
  // `is_bot` is the flag hubot-slack's users carry; scripts check `res.message.user.is_bot`.
  #remember (known, room) {
    const details = { name: known.name, email_address: known.email, room }
    if (room === undefined) {
      delete details.room
    }
    const user = this.robot.brain.userForId(known.id, { ...details })
    user.name = known.name ?? user.name
    user.email_address = known.email ?? user.email_address
    user.is_bot = Boolean(known.bot ?? user.is_bot)
    if (room !== undefined) {
      user.room = room
    }
    return user
  }

  #resumeArgs () {
    const args = ['--robot-name', this.robot.name]
    if (this.robot.alias) {
      args.push('--robot-alias', this.robot.alias)
    }
    if (this.#lastMessageId !== null) {
      args.push('--resume-after', String(this.#lastMessageId))
    }
    return args
  }

  #installSignalHandlers () {
    this.#signalHandler = signal => {
      this.robot.logger.info(`${signal}: stopping Hubot and the WyzePal bridge`)
      this.robot.shutdown()
      this.stopped().then(() => this.exit(0))
    }
    process.once('SIGTERM', this.#signalHandler)
    process.once('SIGINT', this.#signalHandler)
  }
}
