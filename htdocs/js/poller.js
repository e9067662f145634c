/* poller.js — asks for messages after the cursor every `interval` ms. The
   next poll is scheduled only when the last one has finished, so polls
   never overlap. The cursor moves only here, from the server's reply
   (never from the id of a message we posted), which is what keeps a slow
   poll from skipping a message that committed just before ours. A full
   page (the server caps a reply) is followed at once by the next one.
   Transient failures (no answer, 5xx) retry with backoff and jitter and
   keep the cursor; a 429 waits for Retry-After; any other error is the
   room's business (onFatal) and stops the poller.
   now() (a push event, the tab or window coming back, the network coming
   back) polls at once. A poll already in flight may have left before the
   news committed, so normally the next one follows right after it; but a
   poll on a dead connection (a phone that changed networks, a NAT that
   forgot us) would not answer until the 15 s timeout and hold everything
   up, so one in flight for longer than `patience` is aborted and sent
   again at once. `online` passes patience 0: the old connection is
   suspect. Patience doubles with each such abort until a poll answers, so
   a server that is merely slow is still waited for. A given-up poll's
   reply, should it come, is ignored (its sequence number is stale). */

import { Backoff } from './backoff.js';

const PAGE_CAP = 200;
// A poll answers in milliseconds; one in flight this long is suspect.
const PATIENCE_MS = 2000;
const MAX_PATIENCE_MS = 16000;

export class Poller {
  /**
   * @param {object} options
   *   fetch(cursor, signal) → Promise<{messages, cursor}>
   *   onMessages(messages)         new messages, in order
   *   onRoom(room)                 the room, when its owner renamed it or changed its topic
   *                                since the cursor (the reply's "room"; optional)
   *   onAnswer(reply)              optional: every successful reply (its other fields)
   *   onHealth(ok, delayMs)        false while failing (with the wait), true after each success
   *   onFatal(error)               any non-transient error; polling stops
   *   interval                     ms between polls
   */
  constructor({ fetch, onMessages, onRoom, onAnswer = () => {}, onHealth, onFatal, interval, cursor }) {
    this.fetch = fetch;
    this.onMessages = onMessages;
    this.onRoom = onRoom;
    this.onAnswer = onAnswer;
    this.onHealth = onHealth;
    this.onFatal = onFatal;
    this.interval = interval;
    this.cursor = cursor;
    this.backoff = new Backoff();
    this.timer = null;
    this.stopped = true;
    this.inFlight = false;
    this.again = false;
    this.seq = 0; // numbers the polls; only the latest one's outcome counts
    this.controller = null; // aborts the poll in flight
    this.sentAt = 0;
    this.patience = PATIENCE_MS;
  }

  start() {
    this.stopped = false;
    this.schedule(this.interval);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abandon();
  }

  /**
   * Polls as soon as possible. A poll in flight for `patience` ms or more
   * is given up and sent again; a younger one is followed right after.
   */
  now({ patience = this.patience } = {}) {
    if (this.stopped) return;
    if (!this.inFlight) {
      this.schedule(0);
    } else if (Date.now() - this.sentAt >= patience) {
      this.abandon();
      this.patience = Math.min(MAX_PATIENCE_MS, this.patience * 2);
      this.schedule(0);
    } else {
      this.again = true;
    }
  }

  /** Forgets the poll in flight: aborts it, and its outcome will be ignored. */
  abandon() {
    this.seq += 1;
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.inFlight = false;
  }

  schedule(delay) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  async tick() {
    if (this.stopped || this.inFlight) return;
    this.seq += 1;
    const seq = this.seq;
    const controller = new AbortController();
    this.controller = controller;
    this.inFlight = true;
    this.sentAt = Date.now();
    this.again = false;
    let delay = this.interval;
    try {
      const reply = await this.fetch(this.cursor, controller.signal);
      if (this.stopped || seq !== this.seq) return;
      const messages = Array.isArray(reply.messages) ? reply.messages : [];
      if (Number.isSafeInteger(reply.cursor) && reply.cursor > this.cursor) this.cursor = reply.cursor;
      this.backoff.reset();
      this.patience = PATIENCE_MS;
      this.onHealth(true, 0);
      if (messages.length) this.onMessages(messages);
      if (reply.room && typeof reply.room === 'object' && this.onRoom) this.onRoom(reply.room);
      this.onAnswer(reply);
      if (reply.more === true || messages.length >= PAGE_CAP) delay = 0;
    } catch (error) {
      if (this.stopped || seq !== this.seq) return;
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
      if (seq === this.seq) {
        this.inFlight = false;
        this.controller = null;
      }
    }
    // Rung during the poll: go again now, unless waiting out a failure.
    this.schedule(this.again && delay === this.interval ? 0 : delay);
  }
}
