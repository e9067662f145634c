/* message-list.js — the room's log. Messages are kept in a Map by id and
   inserted in id order (id order is the server's commit order), so a
   message that arrives twice — from the join, a poll, the reply to our own
   post, or an older page — is shown once, and every screen shows the same
   order. It also owns scrolling: it follows new messages while the reader
   is at the bottom, shows a "New messages" button instead of jumping when
   they have scrolled up, and keeps the view still when older messages are
   put above. Consecutive messages by one author within a few minutes are
   drawn as one group.
   Polls carry changes too (DESIGN "One change feed"): a message already
   shown is re-filled in place (text, "(edited)", reactions, quote), a
   deleted one is removed (and quotes of it say "deleted message"), and a
   change to a message older than anything loaded is ignored: that part of
   the history is not on screen, and when it is loaded it comes in its
   current state. `floor` is the oldest id ever loaded, kept even when that
   message is deleted, so that "older than loaded" does not drift. */

import { fillMessage, fillQuote, renderMessage } from './message-view.js';

const GROUP_GAP_MS = 5 * 60 * 1000;
const BOTTOM_SLACK_PX = 48;

export class MessageList {
  /**
   * @param {object} parts  {container, scroller, marker, empty}: the role=log
   *   element, the element that scrolls, the "New messages" button and the
   *   "no messages yet" note.
   */
  constructor({ container, scroller, marker, empty }) {
    this.container = container;
    this.scroller = scroller;
    this.marker = marker;
    this.empty = empty;
    this.viewer = { myId: null, ownerId: null, admin: false };
    this.byId = new Map(); // id → element
    this.data = new Map(); // id → the message as last received
    this.ids = [];
    this.floor = null; // the oldest id ever loaded
    this.stuck = true; // the reader is at the bottom and should stay there
    scroller.addEventListener('scroll', () => {
      this.stuck = this.atBottom();
      if (this.stuck) this.marker.hidden = true;
    }, { passive: true });
    // A narrower window or an on-screen keyboard must not unstick the view.
    new ResizeObserver(() => {
      if (this.stuck) this.scroller.scrollTop = this.scroller.scrollHeight;
    }).observe(scroller);
    marker.addEventListener('click', () => {
      this.scrollToBottom();
      this.scroller.focus({ preventScroll: true });
    });
  }

  get size() { return this.ids.length; }
  get oldestId() { return this.floor; }
  get newestId() { return this.ids.length ? this.ids[this.ids.length - 1] : null; }
  has(id) { return this.byId.has(id); }
  message(id) { return this.data.get(id) || null; }
  element(id) { return this.byId.get(id) || null; }

  /** The newest message by the reader that is on screen, or null. */
  lastOwn() {
    for (let i = this.ids.length - 1; i >= 0; i -= 1) {
      const message = this.data.get(this.ids[i]);
      if (message.user && message.user.id === this.viewer.myId) return message;
    }
    return null;
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stuck = true;
    this.marker.hidden = true;
  }

  /**
   * Adds the messages not shown yet and returns them.
   * how: 'initial' (scroll to the end), 'poll' (follow or mark), 'own'
   * (our own message: always scroll to it), 'older' (keep the view still),
   * 'update' (the reply to an edit or a reaction: only changes what is shown),
   * 'newer' (history below what is shown, loaded after a search result
   * opened the room in the middle of it: not new, the view stays still).
   * Messages shown already, and deleted ones, are changes (change()).
   */
  add(messages, how) {
    const wasAtBottom = this.stuck || this.atBottom();
    const oldHeight = this.scroller.scrollHeight;
    const oldTop = this.scroller.scrollTop;
    const newestBefore = this.newestId;
    const added = [];
    for (const message of messages) {
      if (!message || !Number.isSafeInteger(message.id)) continue;
      if (this.byId.has(message.id) || message.deleted) {
        this.change(message);
        continue;
      }
      // An action's reply for a message no longer shown: nothing to update.
      if (how === 'update') continue;
      // Not shown: new, unless it is older than what is loaded (see above).
      if (how !== 'older' && how !== 'initial' && this.floor !== null && message.id < this.floor) continue;
      const element = renderMessage(message, this.viewer);
      if (how === 'poll' || how === 'own') element.classList.add('is-new');
      this.data.set(message.id, message);
      this.insert(message.id, element);
      if (this.floor === null || message.id < this.floor) this.floor = message.id;
      added.push(message);
    }
    this.empty.hidden = this.ids.length > 0;
    if (!added.length) return added;

    if (how === 'older') {
      this.scroller.scrollTop = oldTop + (this.scroller.scrollHeight - oldHeight);
    } else if (how === 'newer') {
      // Below the view: it stays where the reader is.
    } else if (how === 'initial' || how === 'own' || wasAtBottom) {
      this.scrollToBottom();
    } else if (added.some((m) => newestBefore === null || m.id > newestBefore)) {
      this.marker.hidden = false;
    }
    return added;
  }

  /** A message shown already, in its new state (or deleted: removed). */
  change(message) {
    if (message.deleted) {
      this.remove(message.id);
      this.requote(message.id, { id: message.id, deleted: true });
      return;
    }
    const element = this.byId.get(message.id);
    if (!element) return;
    const keep = this.stuck || this.atBottom();
    this.data.set(message.id, message);
    fillMessage(element, message, this.viewer);
    const { user, text } = message;
    this.requote(message.id, { id: message.id, user, text: [...String(text ?? '')].slice(0, 200).join('') });
    if (keep) this.scrollToBottom();
  }

  /** Quotes of message `id` in the replies on screen, brought up to date. */
  requote(id, reply) {
    for (const quote of this.container.querySelectorAll(`.message-quote[data-target="${id}"]`)) {
      fillQuote(quote, reply);
      const element = quote.closest('.message');
      const data = element && this.data.get(Number(element.dataset.id));
      if (data) data.reply_to = reply;
    }
  }

  remove(id) {
    const element = this.byId.get(id);
    if (!element) return;
    const next = element.nextElementSibling;
    element.remove();
    this.byId.delete(id);
    this.data.delete(id);
    this.ids.splice(this.positionFor(id), 1);
    if (next) this.regroup(next);
    this.empty.hidden = this.ids.length > 0;
  }

  insert(id, element) {
    const position = this.positionFor(id);
    const before = position < this.ids.length ? this.byId.get(this.ids[position]) : null;
    this.container.insertBefore(element, before);
    this.ids.splice(position, 0, id);
    this.byId.set(id, element);
    this.regroup(element);
    if (element.nextElementSibling) this.regroup(element.nextElementSibling);
  }

  /** Index in the sorted id list where `id` belongs (binary search). */
  positionFor(id) {
    let low = 0;
    let high = this.ids.length;
    // Nearly every message is the newest: check the end first.
    if (high === 0 || this.ids[high - 1] < id) return high;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.ids[mid] < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  regroup(element) {
    const previous = element.previousElementSibling;
    const continued = Boolean(previous)
      && previous.dataset.userId === element.dataset.userId
      && Math.abs(Number(element.dataset.time) - Number(previous.dataset.time)) < GROUP_GAP_MS;
    element.classList.toggle('is-continued', continued);
  }
}
