// Reactions, topic changes, res.react and bot users: the adapter in a real Hubot 14 Robot, stand-in bridge.
import assert from 'node:assert/strict'
import { afterEach, test } from 'node:test'
import { TopicMessage } from 'hubot'
import { ReactionMessage } from 'hubot-wyzepal'
import { eventually, requestsIn, startRobot } from './harness.mjs'

const alice = { id: 11, name: 'Alice', email: 'alice@example.com', bot: false }
const hubot = { id: 9, name: 'Hubot', email: 'hubot@example.com', bot: true }
const ciBot = { id: 21, name: 'CI Bot', email: 'ci-bot@example.com', bot: true }
const inGeneral = 'stream:general topic:deploys'
const reactionLine = (op, emoji, messageId = 500, user = alice) => ({
  type: 'reaction', op, emoji, emoji_code: '1f44d', reaction_type: 'unicode_emoji', message_id: messageId,
  user, item_user: hubot, room: inGeneral, stream: 'general', topic: 'deploys'
})

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

test('a reaction reaches robot.hearReaction as a hubot-slack ReactionMessage', async () => {
  const bot = await start({ script: [reactionLine('add', 'thumbs_up'), reactionLine('remove', 'thumbs_up')] })
  const heard = []
  bot.robot.hearReaction(res => heard.push(res.message))
  await eventually(() => heard.length === 2, 10000, 'two reactions')
  const [added, removed] = heard
  assert.ok(added instanceof ReactionMessage)
  assert.equal(added.type, 'added')
  assert.equal(removed.type, 'removed')
  assert.equal(added.reaction, 'thumbs_up')
  assert.deepEqual(added.item, { type: 'message', room: inGeneral, id: 500, stream: 'general', topic: 'deploys' })
  assert.equal(added.user.id, 11)
  assert.equal(added.user.name, 'Alice')
  assert.equal(added.room, inGeneral, 'answers go to the room of the message reacted to')
  assert.equal(added.item_user.id, 9)
  assert.equal(added.item_user.is_bot, true)
  assert.equal(typeof added.event_ts, 'string')
})

test('hearReaction takes a matcher, as in hubot-slack', async () => {
  const bot = await start({ script: [reactionLine('add', 'eyes', 501), reactionLine('add', 'white_check_mark', 502)] })
  const heard = []
  bot.robot.hearReaction(msg => msg.reaction === 'white_check_mark' && msg.type === 'added', res => heard.push(res.message))
  const older = []
  bot.robot.react(res => older.push(res.message.reaction)) // hubot-slack's older name for hearReaction
  await eventually(() => heard.length === 1 && older.length === 2, 10000, 'the matching reaction')
  await new Promise(resolve => setTimeout(resolve, 200))
  assert.deepEqual(heard.map(m => m.item.id), [502])
  assert.deepEqual(older, ['eyes', 'white_check_mark'])
})

test('res.react adds the bot reaction to the message heard, and to the message reacted to', async () => {
  const bot = await start({ script: [{ type: 'message', id: 700, room: inGeneral, text: '@Hubot deploy', user: alice },
    reactionLine('add', 'rocket', 701)] })
  const results = []
  bot.robot.respond(/deploy/, async res => results.push(await res.react('thumbs_up', ':hourglass:')))
  bot.robot.hearReaction(async res => {
    results.push(await res.react('eyes'))
    results.push(await res.unreact('eyes'))
  })
  await eventually(() => results.length === 3, 10000, 'the reactions to be acknowledged')
  const sent = requestsIn(bot.log).filter(r => r.type === 'react' || r.type === 'unreact')
    .map(({ type, message_id: id, text, room }) => ({ type, id, text, room }))
  assert.deepEqual(sent, [
    { type: 'react', id: 700, text: 'thumbs_up', room: inGeneral },
    { type: 'react', id: 700, text: ':hourglass:', room: inGeneral },
    { type: 'react', id: 701, text: 'eyes', room: inGeneral },
    { type: 'unreact', id: 701, text: 'eyes', room: inGeneral }
  ])
  assert.ok(results.every(result => result.every(r => r.ok)), JSON.stringify(results))
})

test('res.react without a message to react to says so instead of sending', async () => {
  const bot = await start()
  await bot.connected
  const [result] = await bot.adapter.react({ room: inGeneral }, 'tada')
  assert.equal(result.ok, false)
  assert.match(result.error, /message to react to/)
  assert.equal(requestsIn(bot.log).length, 0)
})

test('a topic moved or resolved by a person reaches robot.topic as a TopicMessage in the new room', async () => {
  const moved = {
    type: 'update', change: 'resolved', message_id: 800, message_ids: [800, 801], user: alice,
    room: 'stream:general topic:%E2%9C%94+deploys', stream: 'general', topic: '✔ deploys',
    old_room: inGeneral, old_stream: 'general', old_topic: 'deploys'
  }
  const edited = { type: 'update', change: 'edited', message_id: 802, message_ids: [802], user: alice, room: inGeneral,
    content: 'new words', old_content: 'old words' }
  const bot = await start({ script: [edited, moved] })
  const topics = []
  const texts = []
  bot.robot.topic(res => topics.push(res.message))
  bot.robot.hear(/words/, res => texts.push(res.message))
  await eventually(() => topics.length === 1, 10000, 'the topic change')
  const [message] = topics
  assert.ok(message instanceof TopicMessage)
  assert.equal(message.text, '✔ deploys')
  assert.equal(message.room, 'stream:general topic:%E2%9C%94+deploys')
  assert.equal(message.user.name, 'Alice')
  assert.equal(message.change, 'resolved')
  assert.equal(message.previousRoom, inGeneral)
  assert.deepEqual(message.messageIds, [800, 801])
  assert.deepEqual(texts, [], 'a content edit is not a new message for scripts')
})

test('a message from another bot carries user.is_bot', async () => {
  const bot = await start({ script: [{ type: 'message', id: 900, room: inGeneral, text: 'build 7 passed', user: ciBot },
    { type: 'message', id: 901, room: inGeneral, text: 'build 7 passed?', user: alice }] })
  const heard = []
  bot.robot.hear(/build 7/, res => heard.push(res.message.user))
  await eventually(() => heard.length === 2, 10000, 'both messages')
  assert.deepEqual(heard.map(u => [u.name, u.is_bot]), [['CI Bot', true], ['Alice', false]])
})
