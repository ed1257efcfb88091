// A stand-in for wyzepal-hubot-bridge: speaks the protocol, records what it hears.
//
// Environment (all optional):
//   STAND_IN_LOG        file to append one JSON record per event (start, request, eof)
//   STAND_IN_SCRIPT     JSON list of lines to write after `ready` (objects, or raw strings)
//   STAND_IN_NO_READY   never say ready (a bridge that cannot reach the server)
//   STAND_IN_DIE_ONCE   a file path: the first stand-in (the one that creates it) dies,
//                       without answering, on its STAND_IN_DIE_AT-th request (default 1)
//   STAND_IN_EXIT_CODE  exit status to exit with at start, before ready
//   STAND_IN_FAIL_TEXT  requests with this text get an `error` instead of an `ack`
//   STAND_IN_STUBBORN   ignore SIGTERM and end of input (a stuck bridge)
//   STAND_IN_LAST_MESSAGE_ID  the `last_message_id` its `ready` says
import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import readline from 'node:readline'

const env = process.env
const record = entry => {
  if (env.STAND_IN_LOG) {
    appendFileSync(env.STAND_IN_LOG, JSON.stringify({ pid: process.pid, ...entry }) + '\n')
  }
}
const write = line => process.stdout.write((typeof line === 'string' ? line : JSON.stringify(line)) + '\n')

record({ event: 'start', argv: process.argv.slice(2) })
if (env.STAND_IN_EXIT_CODE) {
  process.stderr.write('ERROR wyzepal_hubot: stand-in refuses to start\n')
  process.exit(Number(env.STAND_IN_EXIT_CODE))
}
if (!env.STAND_IN_NO_READY) {
  process.stderr.write('INFO wyzepal_hubot: stand-in ready\n')
  const lastMessageId = env.STAND_IN_LAST_MESSAGE_ID ? Number(env.STAND_IN_LAST_MESSAGE_ID) : null
  write({ type: 'ready', protocol: 1, site: 'http://stand-in', bot: { id: 9, name: 'Hubot', email: 'hubot@example.com' }, last_message_id: lastMessageId })
  for (const line of JSON.parse(env.STAND_IN_SCRIPT || '[]')) {
    write(line)
  }
}

let requests = 0
const diesAt = env.STAND_IN_DIE_ONCE && !existsSync(env.STAND_IN_DIE_ONCE) ? Number(env.STAND_IN_DIE_AT || 1) : 0
if (diesAt) {
  writeFileSync(env.STAND_IN_DIE_ONCE, String(process.pid))
}
let nextId = 1000
readline.createInterface({ input: process.stdin }).on('line', line => {
  const request = JSON.parse(line)
  requests += 1
  record({ event: 'request', request })
  if (requests === diesAt) {
    record({ event: 'die' })
    process.exit(3)
  }
  if (env.STAND_IN_FAIL_TEXT && request.text === env.STAND_IN_FAIL_TEXT) {
    write({ type: 'error', ref: request.ref, message: `channel does not exist: ${request.room}`, permanent: true })
  } else {
    write({ type: 'ack', ref: request.ref, ids: [nextId++] })
  }
}).on('close', () => {
  record({ event: 'eof' })
  if (!env.STAND_IN_STUBBORN) {
    process.exit(0)
  }
})
if (env.STAND_IN_STUBBORN) {
  process.on('SIGTERM', () => record({ event: 'sigterm ignored' }))
  setInterval(() => {}, 1000)
}
