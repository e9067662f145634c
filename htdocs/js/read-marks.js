/* read-marks.js — the reader's last-read mark in this room, and the "New
   messages" divider. A message counts as read once it has been on screen
   (any part of it inside the scrolling log) while the tab was visible;
   nothing that arrives in a hidden tab, or sits above or below the view,
   is. The page tells the server with POST /api/rooms/{id}/read {"id"} at
   most once every 5 s (a batch: the newest message read since the last
   report, sent only when someone else's message is among them: the
   reader's own are never unread), right away when the tab is hidden or the
   page is left (with fetch keepalive, which outlives the page), and never
   with an id at or below what it reported before: the server keeps the
   highest anyway (DESIGN "Version 2"), and a smaller one would be a wasted
   request. The divider sits above the first message from someone else
   after the mark the reader had when they came in (the join reply's
   `last_read`: 0 when they have read nothing, the newest message on the
   first visit of an open room), and the log is scrolled so that it shows
   when it would be off screen. It stays for the visit; it is a separator
   with words, so a screen reader finds it in browse mode. */

// One report per this long at most while messages keep coming (the mark
// lags by as much; leaving or hiding the tab reports at once).
const BATCH_MS = 5000;

/**
 * The id of the first loaded message from someone else after `mark` (the
 * mark before this visit), or null: the reader's own messages are never
 * news to them (the server does not count them as unread either).
 */
export function firstUnread(mark, messages, myId) {
  if (!Number.isSafeInteger(mark)) return null;
  const ids = messages.filter((m) => Number.isSafeInteger(m.id) && m.id > mark && !(m.user && m.user.id === myId))
    .map((m) => m.id);
  return ids.length ? Math.min(...ids) : null;
}

export class ReadMarks {
  /**
   * @param {object} options
   *   list       the MessageList
   *   scroller   the element that scrolls the log
   *   send(id, {keepalive}) → Promise   POST …/read
   *   mine(message) → bool               the reader's own (never worth a report alone)
   */
  constructor({ list, scroller, send, mine }) {
    this.mine = mine;
    this.news = 0; // the highest id from someone else seen on screen
    this.list = list;
    this.scroller = scroller;
    this.send = send;
    this.reported = 0; // the highest id the server has been told
    this.seen = 0; // the highest id seen on screen
    this.timer = null;
    this.divider = null;
    this.stopped = true; // until start()
    let pending = false;
    scroller.addEventListener('scroll', () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        this.look();
      });
    }, { passive: true });
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) this.flush(true);
      else this.look();
    });
    window.addEventListener('pagehide', () => this.flush(true));
  }

  /** The server's mark when the room was entered (nothing before it is reported again). */
  start(mark) {
    this.stopped = false;
    if (Number.isSafeInteger(mark) && mark > this.reported) this.reported = mark;
    this.look();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Notes the newest message on screen, if the tab is visible. */
  look() {
    if (this.stopped || document.hidden) return;
    const view = this.scroller.getBoundingClientRect();
    const { ids } = this.list;
    let newest = 0;
    for (let i = ids.length - 1; i >= 0 && ids[i] > this.seen; i -= 1) {
      const box = this.list.element(ids[i]).getBoundingClientRect();
      if (box.bottom <= view.top) break; // above the view: older ones are too
      if (box.top >= view.bottom) continue; // below the view
      if (!newest) newest = ids[i];
      if (!this.mine(this.list.message(ids[i]))) {
        this.news = Math.max(this.news, ids[i]);
        break;
      }
    }
    if (newest > this.seen) this.seen = newest;
    // Only someone else's message is worth a request; the mark then also
    // passes the reader's own messages seen with it.
    if (this.news > this.reported && !this.timer) {
      this.timer = setTimeout(() => this.flush(false), BATCH_MS);
    }
  }

  /** Reports the newest message seen, if the server does not know it yet; resolves when done. */
  flush(leaving) {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || this.news <= this.reported) return Promise.resolve();
    const id = this.seen;
    this.reported = id;
    return this.send(id, { keepalive: leaving }).catch((error) => {
      // Not stored: try again with the next batch (unless the visit ended,
      // which the poll reports).
      if (error && error.transient && this.reported === id) this.reported = 0;
    });
  }

  /** Puts the "New messages" divider above message `id`; scrolls to it if it is off screen. */
  showDivider(id) {
    if (this.divider) this.divider.remove();
    const element = id === null ? null : this.list.element(id);
    if (!element) return;
    const divider = document.createElement('div');
    divider.className = 'new-divider';
    divider.id = 'new-divider';
    divider.setAttribute('role', 'separator');
    divider.setAttribute('aria-label', 'New messages');
    const words = document.createElement('span');
    words.textContent = 'New messages';
    divider.append(words);
    element.before(divider);
    element.classList.remove('is-continued');
    this.divider = divider;
    const view = this.scroller.getBoundingClientRect();
    const box = divider.getBoundingClientRect();
    if (box.top < view.top || box.bottom > view.bottom) {
      // A little of what was read stays in sight above it, for context.
      this.scroller.scrollTop += box.top - view.top - Math.min(96, view.height / 4);
      this.list.stuck = this.list.atBottom();
    }
  }
}
