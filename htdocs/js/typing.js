/* typing.js — "alice is typing…". While the reader types in the message
   box, the page says so with POST /api/rooms/{id}/typing at most once every
   3.5 s (the server takes one each 3 s), and only while the room's push stream is open (<body data-push=
   "open">, push.js): without push nobody would hear it before the next
   poll, and a request per keystroke burst would cost the server for
   nothing. The room's stream brings others' {"type": "typing", "user"};
   each name is shown for 5 s after its last event, and goes at once when a
   message from that person arrives. The line is not a live region: screen
   readers are not interrupted by typing (WAI-ARIA: polite announcements
   are for what the reader needs; the message itself is announced when it
   comes). Names go in with textContent. */

// nginx allows one a person each 3 s (limit_req); a little more keeps network
// jitter from bunching two into one window (a 429 is a wasted request).
const SEND_EVERY_MS = 3500;
const SHOW_FOR_MS = 5000;

const KEY = 'chatroom.typingSentAt';

function readStored() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

function writeStored(value) {
  try { localStorage.setItem(KEY, String(value)); } catch { /* no storage: this page's own count */ }
}

export class Typing {
  /**
   * @param {object} options
   *   textarea      the message box
   *   line          the element that says who is typing
   *   send() → Promise   POST …/typing
   *   myId() → number    the reader (their own events are not shown)
   */
  constructor({ textarea, line, send, myId }) {
    this.line = line;
    this.send = send;
    this.myId = myId;
    this.lastSent = 0;
    this.enabled = false; // the server has the route (room-attention.js)
    this.people = new Map(); // user id → {name, timer}
    textarea.addEventListener('input', (event) => {
      // Only what the person typed; the page's own changes (a sent message
      // taken out, a name completed) dispatch synthetic events.
      if (event.isTrusted && textarea.value.trim()) this.typed();
    });
  }

  typed() {
    if (!this.enabled || document.body.dataset.push !== 'open') return;
    const now = Date.now();
    // The server counts per session, not per page: a room entered a moment
    // ago in this tab or another counts too (localStorage is shared by them).
    const last = Math.max(this.lastSent, Number(readStored()) || 0);
    if (now - last < SEND_EVERY_MS && now >= last) return;
    this.lastSent = now;
    writeStored(now);
    this.send().catch(() => {
      // Typing is a nicety: a refusal or an outage is said by the poll.
    });
  }

  /** A typing event from the room's stream. */
  heard(user) {
    if (!user || !Number.isSafeInteger(user.id) || user.id === this.myId()) return;
    const known = this.people.get(user.id);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this.gone(user.id), SHOW_FOR_MS);
    this.people.set(user.id, { name: String(user.username ?? '?'), timer });
    this.render();
  }

  /** `userId` sent a message (or stopped): no longer typing. */
  gone(userId) {
    const known = this.people.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.people.delete(userId);
    this.render();
  }

  render() {
    const names = [...this.people.values()].map((p) => p.name);
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = 'Several people are typing…';
    this.line.textContent = text;
    this.line.hidden = !text;
  }
}
