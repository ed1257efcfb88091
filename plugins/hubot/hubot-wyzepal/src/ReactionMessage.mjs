'use strict'

// A reaction added to or removed from a message, in the shape hubot-slack gives
// scripts (its src/message.coffee), so scripts written for it work here too:
//
//   robot.hearReaction(res => {
//     const { type, reaction, item, item_user: author } = res.message
//     // type: 'added' | 'removed'; reaction: the emoji name ('thumbs_up');
//     // item: { type: 'message', room, id, stream, topic }; res.message.user: who reacted
//   })

import { Message } from 'hubot'

export class ReactionMessage extends Message {
  // type: 'added' or 'removed' (hubot-slack's 'reaction_added'/'reaction_removed' are read too);
  // user: the brain User who reacted (user.room is the message's room); reaction: the emoji name;
  // itemUser: the brain User who wrote the message ({} when not known); item: the message;
  // eventTs: when it was heard (seconds, as a string).
  constructor (type, user, reaction, itemUser, item, eventTs) {
    super(user)
    this.type = String(type).replace('reaction_', '')
    this.user = user
    this.reaction = reaction
    this.item_user = itemUser
    this.item = item
    this.event_ts = eventTs
  }
}
