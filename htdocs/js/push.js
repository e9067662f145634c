/* push.js — the room's doorbell (issue 7). When the server offers push (the
   join reply carries `events`, the room's EventSource address served by
   nginx's nchan module), this listens there and calls onRing() for each
   event; the page answers by polling at once. Events carry no messages, so
   the page still learns what is new only from its usual poll, and the 2 s
   poll goes on whatever happens here: push only makes it early. When the
   stream fails for good (the browser gives up on a refusal or an error
   reply) it is opened again after a growing, jittered wait. The state is
   shown on <body data-push> ("open", "retrying", "off") for tests and
   curious people; nothing else on the page depends on it. */

import { Backoff } from './backoff.js';

const PUSH_SEEN = 'chatroom.pushOn';

/**
 * Pages without a join reply (the profile) cannot tell whether the server
 * has push, and asking a server without it costs a refused request (and a
 * console error): the room page remembers what its last join said.
 */
export function rememberPush(on) {
  try { localStorage.setItem(PUSH_SEEN, on ? '1' : '0'); } catch { /* no storage: poll only */ }
}

/** True when the last room entered in this browser had push. */
export function pushWasOn() {
  try { return localStorage.getItem(PUSH_SEEN) === '1'; } catch { return false; }
}

// When, after a stream opens, the page catches up on what it may have missed.
const CATCH_UP_MS = [1000, 3000];

export class Push {
  /**
   * @param {object} options
   *   url       the events address from the join reply (falsy: push is off)
   *   onRing    called with the event's type ("message", "room_deleted",
   *             "members" …) and its data (the parsed object, or {}); with
   *             "open" each time the stream (re)opens, and "young" 1 s and
   *             3 s later (see the open listener)
   *   stateKey  the <body> data attribute for the state (default "push";
   *             the person's own stream, attention.js, uses another)
   */
  constructor({ url, onRing, stateKey = 'push' }) {
    this.url = typeof url === 'string' && url.startsWith('/api/') ? url : null;
    this.stateKey = stateKey; // <body data-…> that shows this stream's state
    this.onRing = onRing;
    this.backoff = new Backoff({ base: 1000, max: 30000 });
    this.source = null;
    this.timer = null;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    if (!this.url || typeof window.EventSource !== 'function') {
      this.show('off');
      return;
    }
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }

  open() {
    if (this.stopped) return;
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener('open', () => {
      this.backoff.reset();
      this.show('open');
      // nchan finishes subscribing a stream to its channels just after it
      // answers (about 1 fresh stream in 200 missed a ring sent in its first
      // 200 ms here, and a loaded machine stretches that gap): the page
      // catches up as if it had heard a ring, at once ("open") and twice
      // more while the stream is young ("young": a poll only, cheap).
      this.onRing('open', {});
      for (const delay of CATCH_UP_MS) {
        setTimeout(() => { if (source === this.source && !this.stopped) this.onRing('young', {}); }, delay);
      }
    });
    source.addEventListener('message', (event) => {
      let type = 'message';
      let data = {};
      try {
        const parsed = JSON.parse(event.data);
        if (parsed && typeof parsed === 'object') data = parsed;
        if (typeof data.type === 'string') type = data.type;
      } catch {
        // not JSON: still a ring
      }
      this.onRing(type, data);
    });
    source.addEventListener('error', () => {
      if (this.stopped || source !== this.source) return;
      this.show('retrying');
      // CONNECTING: the browser reconnects by itself. CLOSED: it gave up.
      if (source.readyState !== EventSource.CLOSED) return;
      source.close();
      this.source = null;
      this.timer = setTimeout(() => this.open(), this.backoff.next());
    });
  }

  show(state) {
    document.body.dataset[this.stateKey] = state;
  }
}
