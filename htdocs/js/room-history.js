/* room-history.js — the room's past on the room page: which messages a
   visit opens on (the latest from the join reply, or those around #m-N
   when a search result links here, issue 15), "Load older" a page at a
   time (before=<oldest id>, cursor pagination, never an offset) and the
   edge of the log: the button while more is kept, "the start of the
   room" once everything is shown. Newer messages are the poller's. */

import { api } from './api.js';
import { byId } from './dom.js';

/** Messages asked for at a time, when joining and when paging back. */
export const PAGE = 50;

export class RoomHistory {
  /**
   * @param {object} options
   * @param {number} options.roomId
   * @param {MessageList} options.list  message-list.js
   * @param {{ended: boolean}} options.state  the page's; a visit over keeps the button disabled
   * @param {(error) => void} options.onLost  ends the visit
   */
  constructor({ roomId, list, state, onLost }) {
    this.roomId = roomId;
    this.list = list;
    this.state = state;
    this.onLost = onLost;
    this.loading = null;
  }

  /** Shows "Load older" while more is kept, else "the start of the room". */
  edge(more) {
    byId('load-older').hidden = !more;
    byId('log-start').hidden = more || this.list.size === 0;
  }

  /** Loads the page of history before the oldest loaded: 'more', 'end' or 'error'. */
  async older() {
    const button = byId('load-older');
    const { list } = this;
    if (list.oldestId === null || this.loading) return this.loading || 'end';
    button.disabled = true;
    button.textContent = 'Loading…';
    this.loading = (async () => {
      try {
        const reply = await api.messagesBefore(this.roomId, list.oldestId, PAGE);
        const messages = Array.isArray(reply.messages) ? reply.messages : [];
        list.add(messages, 'older');
        const more = typeof reply.more === 'boolean' ? reply.more : messages.length >= PAGE;
        this.edge(more);
        button.textContent = 'Load older';
        return more ? 'more' : 'end';
      } catch (error) {
        if (!error.transient && error.status !== 429) this.onLost(error);
        else button.textContent = 'Could not load. Try again';
        return 'error';
      } finally {
        this.loading = null;
        if (!this.state.ended) button.disabled = false;
      }
    })();
    return this.loading;
  }

  /**
   * The messages a visit opens on, from the join reply: { messages, cursor,
   * moreBefore, targetId }, targetId the message #m-N names (else null).
   * Rejects with the refusal that ends the visit.
   */
  async opening(joined) {
    let messages = Array.isArray(joined.messages) ? joined.messages : [];
    let cursor = Number(joined.cursor) || 0;
    let moreBefore = messages.length >= PAGE;
    // A search result (js/search-page.js) opens the room at #m-N: the page
    // starts from the messages around N (around=, issue 15) instead of the
    // latest, then loads history up (Load older, before=) and down: the poll
    // starts from the last message shown (after=<id> is everything since that
    // message) and pages on at once while more is waiting, down to the live end.
    const target = /^#m-(\d+)$/.exec(window.location.hash);
    const targetId = target ? Number(target[1]) : null;
    if (targetId !== null && !messages.some((m) => m.id === targetId)) {
      try {
        const around = await api.messagesAround(this.roomId, targetId, PAGE);
        if (Array.isArray(around.messages) && around.messages.length) {
          messages = around.messages;
          moreBefore = around.more_before === true;
          if (around.more_after === true) cursor = messages[messages.length - 1].id;
        }
      } catch (error) {
        // 404 message_not_found: deleted since; jumpTo (reply-jump.js) says so.
        if (error.status !== 404) throw error;
      }
    }
    return { messages, cursor, moreBefore, targetId };
  }
}
