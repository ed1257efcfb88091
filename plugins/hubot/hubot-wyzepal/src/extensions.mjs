'use strict'

// What scripts can call besides Hubot's own API, installed once on Hubot's classes:
//
//   robot.hearReaction([matcher], [options], callback)  hubot-slack's listener for ReactionMessages
//   robot.react(...)                                    its older name, still used by some scripts
//   res.react('thumbs_up', ...)                          add the bot's reaction to the message heard
//   res.unreact('hourglass', ...)                        take it back
//
// res.react answers like res.send: a promise of [{ ok, ids }] or [{ ok: false, error }].

import { Response, Robot } from 'hubot'
import { ReactionMessage } from './ReactionMessage.mjs'

export function installExtensions () {
  if (typeof Robot.prototype.hearReaction !== 'function') {
    // As hubot-slack's Robot::hearReaction: (callback), (options, callback) or (matcher, options, callback).
    Robot.prototype.hearReaction = function (matcher, options, callback) {
      let matchReaction = msg => msg instanceof ReactionMessage
      if (!options && !callback) {
        return this.listen(matchReaction, matcher)
      }
      if (matcher instanceof Function) {
        const test = matcher
        matchReaction = msg => msg instanceof ReactionMessage && test(msg)
      } else {
        callback = options
        options = matcher
      }
      return this.listen(matchReaction, options, callback)
    }
  }
  if (typeof Robot.prototype.react !== 'function') {
    Robot.prototype.react = function (...args) {
      return this.hearReaction(...args)
    }
  }
  for (const method of ['react', 'unreact']) {
    if (typeof Response.prototype[method] !== 'function') {
      Response.prototype[method] = async function (...emoji) {
        const adapter = this.robot.adapter
        if (typeof adapter?.[method] !== 'function') {
          this.robot.logger.info(`res.${method} is not supported by this adapter; ignored ${emoji.join(', ')}`)
          return []
        }
        return adapter[method](this.envelope, ...emoji)
      }
    }
  }
}
