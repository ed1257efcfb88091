'use strict'

// Requests to the bridge that it has not answered yet, by ref. A request waits
// here until the bridge acks it or says it failed; when a bridge dies, the next
// one gets every request still waiting, in the order they were made.

export class PendingRequests {
  #nextRef = 1
  #byRef = new Map()

  get size () {
    return this.#byRef.size
  }

  // Register a request; returns the object to send and a promise of its outcome.
  add (type, fields) {
    const ref = String(this.#nextRef++)
    const request = { type, ref, ...fields }
    const outcome = new Promise(resolve => this.#byRef.set(ref, { request, resolve }))
    return { request, outcome }
  }

  // Every waiting request, oldest first (Map keeps insertion order).
  requests () {
    return Array.from(this.#byRef.values(), entry => entry.request)
  }

  // Settle the request `ref` with `result`; false when no such request waits.
  settle (ref, result) {
    const entry = this.#byRef.get(String(ref))
    if (!entry) {
      return false
    }
    this.#byRef.delete(String(ref))
    entry.resolve(result)
    return true
  }

  // Settle every waiting request with `result` (on shutdown).
  settleAll (result) {
    for (const ref of Array.from(this.#byRef.keys())) {
      this.settle(ref, result)
    }
  }
}
