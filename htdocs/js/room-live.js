/* room-live.js — keeping an open room up to date: poll for newer messages
   on a timer (poller.js) and, when the server offers push (push.js), poll
   at once on each ring; the timer keeps polling regardless. A push event,
   the window coming back and the network coming back also cut short a poll
   that hangs on a dead connection (poller.js). Polls bring edits,
   deletions and reactions like new messages (message-list.js), and the
   room itself when its owner renamed it or changed its topic. */

import { api } from './api.js';
import { Poller } from './poller.js';
import { Push } from './push.js';
import { showRoomMeta } from './room-header.js';

/** Poll interval: ?poll=<ms> (tests), else <body data-poll-ms>, else 2 s. */
function pollInterval() {
  const fromQuery = Number(new URLSearchParams(window.location.search).get('poll'));
  if (Number.isFinite(fromQuery) && fromQuery >= 100 && fromQuery <= 60000) return fromQuery;
  const fromPage = Number(document.body.dataset.pollMs);
  return Number.isFinite(fromPage) && fromPage >= 100 ? fromPage : 2000;
}

/**
 * Starts polling room `roomId` after `cursor` and listening to its event
 * stream at `events`; sets state.poller and state.push (room-page.js stops
 * them when the visit ends). Messages up to `historyEnd` (the newest when
 * the person joined) are history, never "new". `showRoom(room)` shows the
 * room anew; `end(error)` ends the visit.
 */
export function goLive({
  roomId, state, cursor, historyEnd, events, list, composer, attention, banner, showRoom, end,
}) {
  // A ring from the room's event stream: a member count is shown as it is;
  // anything else (a message, the room deleted, the room renamed or given a
  // new topic) makes the page poll at once.
  // When the stream (re)opens, what it may have missed is fetched: a poll and
  // the room (its member count, name and topic); "young" (1 s and 3 s after)
  // is a poll only, so a room deleted meanwhile costs no extra refusal.
  function onRing(type, data) {
    if (attention.ring(type, data)) return;
    if (type === 'open') {
      api.room(roomId).then((reply) => {
        if (reply && reply.room && !state.ended) showRoom(reply.room);
      }, () => { /* the poll below reports a lost room or connection */ });
    }
    if (type === 'members') {
      if (Number.isInteger(data.count) && data.count >= 0) {
        state.room.member_count = data.count;
        showRoomMeta(state.room);
      }
      return;
    }
    state.poller.now();
  }

  state.poller = new Poller({
    cursor,
    interval: pollInterval(),
    fetch: (after, signal) => api.messagesAfter(roomId, after, signal, attention.version()),
    onMessages: (batch) => {
      for (const m of batch) if (m && m.deleted) composer.forget(m.id);
      list.add(batch.filter((m) => m && m.id <= historyEnd), 'newer');
      const added = list.add(batch.filter((m) => !m || m.id > historyEnd), 'poll');
      const fromOthers = added.filter((m) => !m.user || m.user.id !== state.me.id);
      attention.arrived(added, fromOthers);
    },
    onAnswer: (reply) => attention.answered(reply),
    // The owner renamed the room or changed its topic (the poll carries
    // the room once; with push a {"type":"room"} ring makes that poll now).
    onRoom: (room) => { if (room.id === roomId) showRoom(room); },
    onHealth: (ok) => {
      banner.report(ok);
      if (ok) composer.retryNow();
    },
    onFatal: (error) => end(error),
  });
  state.poller.start();
  state.push = new Push({ url: events, onRing });
  state.push.start();
  // The person is back: poll now (and give up a poll that hangs, see poller.js).
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !state.ended) state.poller.now();
  });
  window.addEventListener('focus', () => { if (!state.ended) state.poller.now(); });
  // The browser knows before we do when the network comes and goes; a poll
  // in flight when it comes back went out on the old network: resend it.
  window.addEventListener('offline', () => { if (!state.ended) banner.report(false); });
  window.addEventListener('online', () => {
    if (state.ended) return;
    state.poller.now({ patience: 0 });
    composer.retryNow();
  });
}
