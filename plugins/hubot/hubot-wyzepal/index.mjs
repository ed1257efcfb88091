'use strict'

// hubot-wyzepal: `hubot -a hubot-wyzepal` imports this module and calls use(robot).

import { WyzePalAdapter } from './src/WyzePalAdapter.mjs'
import { optionsFromEnv } from './src/options.mjs'

export { WyzePalAdapter }
export { BridgeProcess } from './src/BridgeProcess.mjs'
export { ReactionMessage } from './src/ReactionMessage.mjs'

export default {
  use (robot) {
    return new WyzePalAdapter(robot, optionsFromEnv(process.env))
  }
}
