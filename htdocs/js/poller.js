/* poller.js — asks for messages after the cursor every `interval` ms. The
   next poll is scheduled only when the last one has finished, so polls
   never overlap. The cursor moves only here, from the server's reply
   (never from the id of a message we posted), which is what keeps a slow
   poll from skipping a message that committed just before ours. A full
   page (the server caps a reply) is followed at once by the next one.
   Transient failures (no answer, 5xx) retry with backoff and jitter and
   keep the cursor; a 429 waits for Retry-After; any other error is the
   room's business (onFatal) and stops the poller. now() (a push event, the
   tab coming back) polls at once, or right after the poll in flight, since
   that one may have left before the news committed. */

import { Backoff } from './backoff.js';

const PAGE_CAP = 200;

export class Poller {
  /**
   * @param {object} options
   *   fetch(cursor) → Promise<{messages, cursor}>
   *   onMessages(messages)         new messages, in order
   *   onHealth(ok, delayMs)        false while failing (with the wait), true after each success
   *   onFatal(error)               any non-transient error; polling stops
   *   interval                     ms between polls
   */
  constructor({ fetch, onMessages, onHealth, onFatal, interval, cursor }) {
    this.fetch = fetch;
    this.onMessages = onMessages;
    this.onHealth = onHealth;
    this.onFatal = onFatal;
    this.interval = interval;
    this.cursor = cursor;
    this.backoff = new Backoff();
    this.timer = null;
    this.stopped = true;
    this.inFlight = false;
    this.again = false;
  }

  start() {
    this.stopped = false;
    this.schedule(this.interval);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Polls as soon as possible (e.g. when the tab becomes visible). */
  now() {
    if (this.stopped) return;
    if (this.inFlight) this.again = true;
    else this.schedule(0);
  }

  schedule(delay) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  async tick() {
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    this.again = false;
    let delay = this.interval;
    try {
      const reply = await this.fetch(this.cursor);
      if (this.stopped) return;
      const messages = Array.isArray(reply.messages) ? reply.messages : [];
      if (Number.isSafeInteger(reply.cursor) && reply.cursor > this.cursor) this.cursor = reply.cursor;
      this.backoff.reset();
      this.onHealth(true, 0);
      if (messages.length) this.onMessages(messages);
      if (reply.more === true || messages.length >= PAGE_CAP) delay = 0;
    } catch (error) {
      if (this.stopped) return;
      if (error.transient) {
        delay = this.backoff.next();
        this.onHealth(false, delay);
      } else if (error.status === 429) {
        delay = Math.max(this.interval, (error.retryAfter ?? 2) * 1000);
      } else {
        this.stop();
        this.onFatal(error);
        return;
      }
    } finally {
      this.inFlight = false;
    }
    // Rung during the poll: go again now, unless waiting out a failure.
    this.schedule(this.again && delay === this.interval ? 0 : delay);
  }
}
