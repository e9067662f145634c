/* message-list.js — the room's log. Messages are kept in a Map by id and
   inserted in id order (id order is the server's commit order), so a
   message that arrives twice — from the join, a poll, the reply to our own
   post, or an older page — is shown once, and every screen shows the same
   order. It also owns scrolling: it follows new messages while the reader
   is at the bottom, shows a "New messages" button instead of jumping when
   they have scrolled up, and keeps the view still when older messages are
   put above. Consecutive messages by one author within a few minutes are
   drawn as one group. */

import { renderMessage } from './message-view.js';

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
    this.myId = null;
    this.byId = new Map();
    this.ids = [];
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
  get oldestId() { return this.ids.length ? this.ids[0] : null; }
  get newestId() { return this.ids.length ? this.ids[this.ids.length - 1] : null; }
  has(id) { return this.byId.has(id); }

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
   * (our own message: always scroll to it), 'older' (keep the view still).
   */
  add(messages, how) {
    const wasAtBottom = this.stuck || this.atBottom();
    const oldHeight = this.scroller.scrollHeight;
    const oldTop = this.scroller.scrollTop;
    const newestBefore = this.newestId;
    const added = [];
    for (const message of messages) {
      if (!message || !Number.isSafeInteger(message.id) || this.byId.has(message.id)) continue;
      const element = renderMessage(message, this.myId);
      if (how === 'poll' || how === 'own') element.classList.add('is-new');
      this.insert(message.id, element);
      added.push(message);
    }
    this.empty.hidden = this.ids.length > 0;
    if (!added.length) return added;

    if (how === 'older') {
      this.scroller.scrollTop = oldTop + (this.scroller.scrollHeight - oldHeight);
    } else if (how === 'initial' || how === 'own' || wasAtBottom) {
      this.scrollToBottom();
    } else if (added.some((m) => newestBefore === null || m.id > newestBefore)) {
      this.marker.hidden = false;
    }
    return added;
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
