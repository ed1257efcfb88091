'use strict'

// The bridge child process: started, watched, restarted with backoff, stopped.
// It knows nothing of Hubot; it turns the child's stdout into protocol values
// and its stderr into log lines, and never lets a bad line or a dead pipe throw.

import { spawn as spawnProcess } from 'node:child_process'
import EventEmitter from 'node:events'
import readline from 'node:readline'
import { decodeLine, encodeLine } from './protocol.mjs'

// Exit status of the bridge for a bad config or bad usage: restarting cannot help.
export const EXIT_USAGE = 2

export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 500, maxMs: 30000, stableMs: 10000 })

const LOG_LEVELS = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'error' }

// Events: 'value' (a decoded protocol object), 'exit' ({ code, signal, restartInMs }),
// 'fatal' (reason: the bridge cannot run as configured; restarting would not help).
export class BridgeProcess extends EventEmitter {
  #child = null
  #failures = 0
  #readySince = null
  #restartTimer = null
  #stopping = false

  constructor ({ command, args = [], env = process.env, logger, spawn = spawnProcess, backoff = DEFAULT_BACKOFF }) {
    super()
    this.command = command
    this.args = args
    this.env = env
    this.logger = logger
    this.spawn = spawn
    this.backoff = { ...DEFAULT_BACKOFF, ...backoff }
  }

  get running () {
    return this.#child !== null
  }

  get pid () {
    return this.#child?.pid
  }

  // Start the bridge; `extraArgs` is a function so each restart can say where to resume.
  start (extraArgs = () => []) {
    this.#stopping = false
    this.extraArgs = extraArgs
    this.#launch()
  }

  // The bridge said `ready`: if it stays up a while, the backoff starts over.
  markReady () {
    this.#readySince = Date.now()
  }

  // Send one object to the bridge; false when no bridge is running to take it.
  write (object) {
    const stdin = this.#child?.stdin
    if (!stdin || stdin.destroyed || !stdin.writable) {
      return false
    }
    stdin.write(encodeLine(object))
    return true
  }

  // No more restarts; close the bridge's stdin (it exits on end of input), then
  // SIGTERM it after `graceMs`, and SIGKILL it after another `graceMs` (a stuck
  // bridge must not keep Hubot from stopping). Resolves when it has exited.
  stop (graceMs = 5000) {
    this.#stopping = true
    clearTimeout(this.#restartTimer)
    const child = this.#child
    if (!child) {
      return Promise.resolve()
    }
    return new Promise(resolve => {
      const timers = [
        setTimeout(() => child.kill('SIGTERM'), graceMs),
        setTimeout(() => {
          this.logger.warn('the WyzePal bridge did not stop; killing it')
          child.kill('SIGKILL')
        }, 2 * graceMs)
      ]
      child.once('exit', () => {
        timers.forEach(clearTimeout)
        resolve()
      })
      child.stdin?.end()
    })
  }

  #launch () {
    const args = [...this.args, ...this.extraArgs()]
    this.logger.info(`starting the WyzePal bridge: ${this.command} ${args.join(' ')}`)
    let child
    try {
      child = this.spawn(this.command, args, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    } catch (error) {
      this.#spawnFailed(error)
      return
    }
    this.#child = child
    this.#readySince = null
    child.once('error', error => this.#spawnFailed(error))
    child.stdin.on('error', error => this.logger.debug(`bridge stdin: ${error.message}`))
    readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', line => this.#onLine(line))
    readline.createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', line => this.#onLog(line))
    child.once('exit', (code, signal) => this.#onExit(child, code, signal))
  }

  #spawnFailed (error) {
    this.#child = null
    const hint = error.code === 'ENOENT'
      ? "; install it with: pip install 'wyzepal-integrations[hubot]', or set HUBOT_WYZEPAL_BRIDGE to its path"
      : ''
    this.emit('fatal', `the WyzePal bridge ${this.command} could not be started: ${error.message}${hint}`)
  }

  #onLine (line) {
    const decoded = decodeLine(line)
    if (!decoded.ok) {
      if (line.trim() !== '') {
        this.logger.warn(`ignored a line from the WyzePal bridge (${decoded.reason}): ${line.slice(0, 200)}`)
      }
      return
    }
    this.emit('value', decoded.value)
  }

  #onLog (line) {
    const match = /^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+(.*)$/.exec(line)
    const level = match ? LOG_LEVELS[match[1]] : 'info'
    this.logger[level](`bridge: ${match ? match[2] : line}`)
  }

  #onExit (child, code, signal) {
    if (this.#child !== child) {
      return
    }
    this.#child = null
    const wasReadyFor = this.#readySince === null ? 0 : Date.now() - this.#readySince
    if (this.#stopping) {
      this.emit('exit', { code, signal, restartInMs: null })
      return
    }
    if (code === EXIT_USAGE && this.#readySince === null) {
      this.emit('exit', { code, signal, restartInMs: null })
      this.emit('fatal', 'the WyzePal bridge cannot start with this configuration (see the error above)')
      return
    }
    if (wasReadyFor >= this.backoff.stableMs) {
      this.#failures = 0
    }
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.#failures)
    this.#failures += 1
    this.logger.warn(`the WyzePal bridge exited (${signal ?? `code ${code}`}); restarting in ${(delay / 1000).toFixed(1)} s`)
    this.emit('exit', { code, signal, restartInMs: delay })
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) {
        this.#launch()
      }
    }, delay)
  }
}
