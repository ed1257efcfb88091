// One real Hubot Robot with the installed hubot-wyzepal adapter and a stand-in bridge.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, mkdtempSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Robot } from 'hubot'
import { WyzePalAdapter } from 'hubot-wyzepal'

const here = path.dirname(fileURLToPath(import.meta.url))
export const STAND_IN = path.join(here, 'stand-in-bridge.mjs')
const SOURCE = path.resolve(here, '../../../plugins/hubot/hubot-wyzepal')
const INSTALLED = path.resolve(here, '../node_modules/hubot-wyzepal')

// The tests use the adapter as npm installed it; a copy older than the source would test old code.
export function assertInstalledAdapterIsCurrent () {
  const sources = readdirSync(path.join(SOURCE, 'src')).filter(name => name.endsWith('.mjs')).map(name => `src/${name}`)
  for (const file of ['index.mjs', ...sources]) {
    const installed = path.join(INSTALLED, file)
    assert.ok(existsSync(installed) && readFileSync(installed, 'utf8') === readFileSync(path.join(SOURCE, file), 'utf8'),
      `tests/hubot/node_modules/hubot-wyzepal/${file} differs from the source: run npm ci --prefix tests/hubot --install-links`)
  }
}

// A logger that keeps lines, so tests can see what the adapter said.
export function capturingLogger () {
  const lines = []
  const logger = {}
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    logger[level] = message => lines.push({ level, message: String(message) })
  }
  logger.lines = lines
  logger.find = (level, pattern) => lines.find(l => l.level === level && pattern.test(l.message))
  return logger
}

export function tempFile (name) {
  return path.join(mkdtempSync(path.join(tmpdir(), 'hubot-wyzepal-')), name)
}

export function records (logPath) {
  if (!existsSync(logPath)) return []
  return readFileSync(logPath, 'utf8').trim().split('\n').filter(Boolean).map(line => JSON.parse(line))
}

export function requestsIn (logPath) {
  return records(logPath).filter(r => r.event === 'request').map(r => r.request)
}

// Wait until `check()` returns something truthy (or fail after `ms`).
export async function eventually (check, ms = 5000, what = 'condition') {
  const until = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

// A Robot running the adapter against the stand-in bridge with `env` added.
// `beforeRun(robot)` runs after the adapter is loaded and before robot.run(), as bin/hubot does its set-up.
export async function startRobot ({ env = {}, script, exit, backoff, command, args, name = 'Hubot', beforeRun, scriptsHoldMs } = {}) {
  assertInstalledAdapterIsCurrent()
  const log = tempFile('stand-in.log')
  const logger = capturingLogger()
  const exits = []
  const options = {
    command: command ?? process.execPath,
    args: args ?? [STAND_IN],
    env: { ...process.env, STAND_IN_LOG: log, ...(script ? { STAND_IN_SCRIPT: JSON.stringify(script) } : {}), ...env },
    backoff: backoff ?? { initialMs: 50, maxMs: 200, stableMs: 10000 },
    handleSignals: false,
    scriptsHoldMs,
    exit: exit ?? (code => exits.push(code))
  }
  const robot = new Robot({ use: r => new WyzePalAdapter(r, options) }, false, name)
  robot.logger = logger
  await robot.loadAdapter()
  await beforeRun?.(robot)
  await robot.run()
  return {
    robot,
    adapter: robot.adapter,
    logger,
    log,
    exits,
    get connected () {
      return eventually(() => robot.adapter.bot, 15000, 'the bridge to be ready')
    },
    async stop () {
      robot.shutdown()
      await robot.adapter.stopped()
    }
  }
}
