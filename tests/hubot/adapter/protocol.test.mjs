import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeLine, encodeLine, userOf } from '../node_modules/hubot-wyzepal/src/protocol.mjs'
import { bridgeCommand, optionsFromEnv } from '../node_modules/hubot-wyzepal/src/options.mjs'
import { assertInstalledAdapterIsCurrent } from './harness.mjs'

test('the installed adapter is the source under test', () => {
  assertInstalledAdapterIsCurrent()
})

test('a line is one JSON object ending in a newline', () => {
  const line = encodeLine({ type: 'send', ref: '1', room: 'stream:general topic:a\nb', text: 'x\ny' })
  assert.equal(line.split('\n').length, 2)
  assert.ok(line.endsWith('\n'))
  assert.deepEqual(JSON.parse(line), { type: 'send', ref: '1', room: 'stream:general topic:a\nb', text: 'x\ny' })
})

const badLines = [
  ['', /empty/],
  ['not json', /not JSON/],
  ['[1, 2]', /not a JSON object/],
  ['null', /not a JSON object/],
  ['"ready"', /not a JSON object/],
  ['{"type": "launch-missiles"}', /unknown type/],
  ['{"no": "type"}', /unknown type/]
]
for (const [line, reason] of badLines) {
  test(`a bad line from the bridge is a reason, not an exception: ${JSON.stringify(line)}`, () => {
    const decoded = decodeLine(line)
    assert.equal(decoded.ok, false)
    assert.match(decoded.reason, reason)
  })
}

test('known lines decode to their object', () => {
  assert.deepEqual(decodeLine('{"type": "ack", "ref": "4", "ids": [7]}\r'), { ok: true, value: { type: 'ack', ref: '4', ids: [7] } })
})

test('the sender goes to the bridge with id, name and email', () => {
  assert.deepEqual(userOf({ user: { id: 5, name: 'Alice', email_address: 'alice@example.com', room: 'x' } }),
    { id: 5, name: 'Alice', email: 'alice@example.com' })
  assert.equal(userOf({ room: 'stream:general topic:x' }), undefined)
})

test('HUBOT_WYZEPAL_BRIDGE is a command line or a JSON list of words', () => {
  assert.deepEqual(bridgeCommand(undefined), ['wyzepal-hubot-bridge'])
  assert.deepEqual(bridgeCommand(' python3 -m wyzepal_hubot '), ['python3', '-m', 'wyzepal_hubot'])
  assert.deepEqual(bridgeCommand('["/opt/my venv/bin/python", "-m", "wyzepal_hubot"]'),
    ['/opt/my venv/bin/python', '-m', 'wyzepal_hubot'])
  assert.throws(() => bridgeCommand('[1]'), /not a list of strings/)
  assert.throws(() => bridgeCommand('[/opt/venv/bin/wyzepal-hubot-bridge]'), /HUBOT_WYZEPAL_BRIDGE .* is not JSON/)
})

test('the environment sets the command and the restart backoff', () => {
  const options = optionsFromEnv({ HUBOT_WYZEPAL_BRIDGE: '/venv/bin/wyzepal-hubot-bridge -v', HUBOT_WYZEPAL_RESTART_MAX_DELAY: '5' })
  assert.equal(options.command, '/venv/bin/wyzepal-hubot-bridge')
  assert.deepEqual(options.args, ['-v'])
  assert.equal(options.backoff.maxMs, 5000)
  assert.equal(options.backoff.initialMs, 500)
})
