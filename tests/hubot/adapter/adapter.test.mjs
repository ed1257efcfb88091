// The adapter inside a real Hubot 14 Robot, talking to a stand-in bridge process.
import assert from 'node:assert/strict'
import { afterEach, test } from 'node:test'
import { eventually, records, requestsIn, startRobot, tempFile } from './harness.mjs'

const alice = { id: 11, name: 'Alice', email: 'alice@example.com' }
const inGeneral = 'stream:general topic:deploys'
const messageLine = (id, text, room = inGeneral, user = alice) => ({ type: 'message', id, room, text, user })

let running = []
async function start (options) {
  const bot = await startRobot(options)
  running.push(bot)
  return bot
}
afterEach(async () => {
  await Promise.all(running.map(bot => bot.stop()))
  running = []
})

test('the adapter emits connected once the bridge is ready, and knows the bot', async () => {
  let connected
  const bot = await start({
    beforeRun: robot => { connected = new Promise(resolve => robot.adapter.once('connected', resolve)) }
  })
  await connected
  assert.equal(bot.adapter.name, 'WyzePal')
  assert.deepEqual(bot.adapter.bot, { id: 9, name: 'Hubot', email: 'hubot@example.com' })
  const [start0] = records(bot.log)
  assert.deepEqual(start0.argv, ['--robot-name', 'Hubot'])
  assert.ok(bot.logger.find('info', /bridge: wyzepal_hubot: stand-in ready/), 'bridge stderr reaches the Hubot log')
})

test('users from the bridge are known to the brain with id, name and email', async () => {
  const bot = await start({ script: [{ type: 'users', users: [alice, { id: 12, name: 'Bob', email: 'bob@example.com' }] }] })
  await bot.connected
  const bob = await eventually(() => bot.robot.brain.userForName('Bob'), 10000, 'Bob in the brain')
  assert.equal(bob.id, 12)
  assert.equal(bob.email_address, 'bob@example.com')
  assert.equal(bot.robot.brain.userForId(11).name, 'Alice')
})

test('a message reaches robot.respond and res.send answers in the same room', async () => {
  const bot = await start({ script: [messageLine(101, '@Hubot ping')] })
  const answered = new Promise(resolve => {
    bot.robot.respond(/ping$/i, async res => resolve(await res.send('PONG')))
  })
  const result = await answered
  assert.deepEqual(result, [{ ok: true, ids: [1000] }])
  const [sent] = requestsIn(bot.log)
  assert.equal(sent.type, 'send')
  assert.equal(sent.room, inGeneral)
  assert.equal(sent.text, 'PONG')
  assert.deepEqual(sent.user, alice)
})

test('the message carries its sender, room and id into Hubot', async () => {
  const bot = await start({ script: [messageLine(102, 'hello there', 'dm:alice@example.com')] })
  const heard = await new Promise(resolve => bot.robot.hear(/hello/, res => resolve(res.message)))
  assert.equal(heard.id, 102)
  assert.equal(heard.room, 'dm:alice@example.com')
  assert.equal(heard.user.id, 11)
  assert.equal(heard.user.name, 'Alice')
  assert.equal(heard.user.email_address, 'alice@example.com')
})

test('reply, emote, topic and messageRoom each become their request', async () => {
  const bot = await start({ script: [messageLine(103, '@Hubot go')] })
  await new Promise(resolve => {
    bot.robot.respond(/go/, async res => {
      await res.reply('on it')
      await res.emote('waves')
      await res.topic('release', '1.2')
      await bot.robot.messageRoom('stream:ops topic:alerts', 'heads up')
      resolve()
    })
  })
  const seen = requestsIn(bot.log).map(({ type, room, text }) => ({ type, room, text }))
  assert.deepEqual(seen, [
    { type: 'reply', room: inGeneral, text: 'on it' },
    { type: 'emote', room: inGeneral, text: 'waves' },
    { type: 'topic', room: inGeneral, text: 'release 1.2' },
    { type: 'send', room: 'stream:ops topic:alerts', text: 'heads up' }
  ])
  assert.equal(requestsIn(bot.log)[0].user.name, 'Alice')
})

test('several strings are sent in order, each acknowledged', async () => {
  const bot = await start()
  await bot.connected
  const results = await bot.robot.messageRoom(inGeneral, 'one', 'two', 'three')
  assert.deepEqual(results.map(r => r.ids[0]), [1000, 1001, 1002])
  assert.deepEqual(requestsIn(bot.log).map(r => r.text), ['one', 'two', 'three'])
})

test('a failed send resolves with the error and is logged; the robot carries on', async () => {
  const bot = await start({ env: { STAND_IN_FAIL_TEXT: 'to nowhere' } })
  await bot.connected
  const [failed] = await bot.robot.messageRoom('stream:nowhere topic:x', 'to nowhere')
  assert.equal(failed.ok, false)
  assert.match(failed.error, /does not exist/)
  assert.ok(bot.logger.find('error', /WyzePal: channel does not exist/))
  const [ok] = await bot.robot.messageRoom(inGeneral, 'still here')
  assert.equal(ok.ok, true)
})

test('bad lines from the bridge are logged and skipped, never a crash', async () => {
  const bot = await start({
    script: ['this is not json', '{"type": "bogus"}', '[]', { type: 'message', id: 5 }, { type: 'ack', ref: 'nope' },
      messageLine(104, 'after the noise')]
  })
  const heard = await new Promise(resolve => bot.robot.hear(/noise/, res => resolve(res.message.text)))
  assert.equal(heard, 'after the noise')
  assert.ok(bot.logger.find('warn', /not JSON/))
  assert.ok(bot.logger.find('warn', /unknown type "bogus"/))
  assert.ok(bot.logger.find('warn', /not a JSON object/))
  assert.ok(bot.logger.find('warn', /without user, text or room/))
})

test('a script that throws does not take the adapter down', async () => {
  const bot = await start({ script: [messageLine(105, 'boom'), messageLine(106, 'calm')] })
  bot.robot.hear(/boom/, () => { throw new Error('script bug') })
  const calm = await new Promise(resolve => bot.robot.hear(/calm/, res => resolve(res.message.id)))
  assert.equal(calm, 106)
})

test('a dead bridge is restarted, resumes after the last message, and gets unanswered requests again', async () => {
  const marker = tempFile('died')
  const bot = await start({ env: { STAND_IN_DIE_ONCE: marker }, script: [messageLine(107, 'trigger')] })
  await new Promise(resolve => bot.robot.hear(/trigger/, resolve))
  const result = await bot.robot.messageRoom(inGeneral, 'survives the crash')
  assert.equal(result[0].ok, true)
  const starts = records(bot.log).filter(r => r.event === 'start')
  assert.equal(starts.length, 2)
  assert.deepEqual(starts[1].argv, ['--robot-name', 'Hubot', '--resume-after', '107'])
  const texts = requestsIn(bot.log).map(r => r.text)
  assert.deepEqual(texts, ['survives the crash', 'survives the crash'])
  assert.ok(bot.logger.find('warn', /bridge exited \(code 3\); restarting in/))
  assert.ok(bot.logger.find('info', /reconnected/))
})

test('a bridge that dies before Hubot heard anything is resumed from where the first queue began', async () => {
  const marker = tempFile('died')
  const bot = await start({ env: { STAND_IN_DIE_ONCE: marker, STAND_IN_LAST_MESSAGE_ID: '50' } })
  await bot.connected
  const [result] = await bot.robot.messageRoom(inGeneral, 'first words')
  assert.equal(result.ok, true)
  const starts = records(bot.log).filter(r => r.event === 'start')
  assert.deepEqual(starts.map(s => s.argv), [['--robot-name', 'Hubot'], ['--robot-name', 'Hubot', '--resume-after', '50']])
})

test('restarts back off: each quick death waits twice as long, up to the cap', async () => {
  const delays = []
  const bot = await start({ env: { STAND_IN_NO_READY: '1', STAND_IN_DIE_ONCE: '' }, args: ['-e', 'process.exit(4)', '--'],
    backoff: { initialMs: 20, maxMs: 80, stableMs: 10000 },
    beforeRun: robot => robot.adapter.bridge.on('exit', ({ restartInMs }) => delays.push(restartInMs)) })
  await eventually(() => delays.length >= 5, 10000, 'five restarts')
  assert.deepEqual(delays.slice(0, 5), [20, 40, 80, 80, 80])
  assert.ok(bot.logger.find('warn', /the WyzePal bridge exited \(code 4\); restarting in/))
  assert.equal(bot.exits.length, 0, 'a dying bridge does not stop Hubot')
})

test('a bridge that refuses its configuration stops Hubot with status 1 instead of looping', async () => {
  const bot = await start({ env: { STAND_IN_EXIT_CODE: '2' } })
  await eventually(() => bot.exits.length > 0, 10000, 'exit')
  assert.deepEqual(bot.exits, [1])
  assert.ok(bot.logger.find('error', /cannot start with this configuration/))
  assert.ok(bot.logger.find('error', /bridge: wyzepal_hubot: stand-in refuses to start/))
  assert.equal(records(bot.log).filter(r => r.event === 'start').length, 1)
})

test('a missing bridge command says how to install it', async () => {
  const bot = await start({ command: '/nonexistent/wyzepal-hubot-bridge', args: [] })
  await eventually(() => bot.exits.length > 0, 10000, 'exit')
  assert.ok(bot.logger.find('error', /pip install 'wyzepal-integrations\[hubot\]'/))
})

test('when Hubot shuts down, the bridge sees end of input and exits', async () => {
  const bot = await start()
  await bot.connected
  running = []
  await bot.stop()
  assert.equal(records(bot.log).at(-1).event, 'eof')
  assert.equal(bot.adapter.bridge.running, false)
})

test('a bridge that ignores end of input and SIGTERM is killed, so Hubot still stops', async () => {
  const bot = await start({ env: { STAND_IN_STUBBORN: '1' } })
  await bot.connected
  const pid = bot.adapter.bridge.pid
  await bot.adapter.bridge.stop(500)
  const events = records(bot.log).map(r => r.event)
  assert.ok(events.includes('eof') && events.includes('sigterm ignored'), `the stand-in saw ${events}`)
  assert.ok(bot.logger.find('warn', /did not stop; killing it/))
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' })
})

test('as under bin/hubot, messages that arrive while scripts load wait for them', async () => {
  let loadScripts
  const bot = await start({
    script: [messageLine(108, 'early bird')],
    beforeRun: robot => {
      robot.adapter.once('connected', () => { loadScripts = () => robot.emit('scripts have loaded', robot) })
    }
  })
  await bot.connected
  await new Promise(resolve => setTimeout(resolve, 200))
  const heard = new Promise(resolve => bot.robot.hear(/early/, res => resolve(res.message.id)))
  loadScripts()
  assert.equal(await heard, 108)
})

test('messages are not held forever when no one says the scripts have loaded', async () => {
  const bot = await start({
    script: [messageLine(109, 'patient')],
    scriptsHoldMs: 100,
    beforeRun: robot => robot.adapter.once('connected', () => {})
  })
  const heard = await new Promise(resolve => bot.robot.hear(/patient/, res => resolve(res.message.id)))
  assert.equal(heard, 109)
  assert.ok(bot.logger.find('warn', /scripts have not loaded yet/))
})
