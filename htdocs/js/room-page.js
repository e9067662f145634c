/* room-page.js — behaviour of `/rooms/{id}`, wiring the parts together:
   join the room (which leaves any other), show the last messages, poll for
   newer ones (poller.js), send (composer.js), page back through history
   (Load older), and end the visit cleanly when the room is deleted (410),
   the user moved to another room in another tab (409) or the session is
   gone (401). When the server offers push (push.js), each event polls at
   once; the timer keeps polling regardless. A push event, the window
   coming back and the network coming back also cut short a poll that
   hangs on a dead connection (poller.js). While the server is unreachable
   the page says so, retries by itself and loses nothing: the cursor, the
   log and the typed text stay. */

import { Announcer } from './announcer.js';
import { api } from './api.js';
import { Backoff } from './backoff.js';
import { Composer } from './composer.js';
import { ConnectionBanner } from './connection.js';
import { byId, go, isolate } from './dom.js';
import { plainWords } from './errors.js';
import { setFlash } from './flash.js';
import { MessageList } from './message-list.js';
import { Poller } from './poller.js';
import { Push } from './push.js';
import { UnreadTitle } from './unread.js';

const PAGE = 50;
const LEAVE_AFTER_MS = 3000;

const roomId = Number((window.location.pathname.match(/^\/rooms\/(\d+)\/?$/) || [])[1]) || null;
const state = { room: null, me: null, poller: null, push: null, ended: false };

const banner = new ConnectionBanner(byId('connection'), byId('connection-text'));
const unread = new UnreadTitle();
const announcer = new Announcer(byId('announcer'));
const list = new MessageList({
  container: byId('messages'),
  scroller: byId('log-scroller'),
  marker: byId('new-marker'),
  empty: byId('room-empty'),
});
const composer = new Composer({
  form: byId('composer'),
  textarea: byId('message'),
  button: byId('send'),
  status: byId('composer-status'),
  hint: byId('composer-hint'),
  count: byId('composer-count'),
  send: async (text, clientId) => (await api.post(roomId, text, clientId)).message,
  onSent: (message) => list.add([message], 'own'),
  onHealth: (ok) => banner.report(ok),
  onFatal: (error) => end(error),
});

/** Poll interval: ?poll=<ms> (tests), else <body data-poll-ms>, else 2 s. */
function pollInterval() {
  const fromQuery = Number(new URLSearchParams(window.location.search).get('poll'));
  if (Number.isFinite(fromQuery) && fromQuery >= 100 && fromQuery <= 60000) return fromQuery;
  const fromPage = Number(document.body.dataset.pollMs);
  return Number.isFinite(fromPage) && fromPage >= 100 ? fromPage : 2000;
}

/** Ends the visit: says why, then goes where the user belongs. */
function end(error) {
  if (state.ended) return;
  state.ended = true;
  if (state.poller) state.poller.stop();
  if (state.push) state.push.stop();
  composer.disable();
  banner.hide();
  byId('load-older').disabled = true;
  byId('leave').disabled = true;
  if (error.status === 401) {
    go(`/?next=${encodeURIComponent(window.location.pathname)}`);
    return;
  }
  const name = state.room ? `“${isolate(state.room.name)}”` : 'This room';
  let text;
  if (error.code === 'room_deleted') {
    text = `${name} was deleted by its owner. Taking you back to your rooms…`;
    setFlash(`${name} was deleted by its owner.`);
  } else if (error.code === 'not_in_room' && error.body && typeof error.body.in_room === 'number') {
    text = 'You moved to another room in another tab, so you left this one. Taking you back to your rooms…';
    setFlash('You moved to another room in another tab.');
  } else if (error.code === 'not_in_room') {
    // in_room null: left in another tab, or the owner removed you.
    text = 'You are no longer in this room. Taking you back to your rooms…';
    setFlash('You are no longer in this room.');
  } else if (error.status === 404) {
    text = 'This room does not exist. Taking you back to your rooms…';
  } else {
    text = `${plainWords(error)} Taking you back to your rooms…`;
  }
  byId('notice-text').textContent = text;
  byId('notice').hidden = false;
  setTimeout(() => go('/rooms'), LEAVE_AFTER_MS);
}

function showRoom(room) {
  state.room = room;
  byId('room-name').textContent = room.name;
  showMeta();
  unread.setBase(`${isolate(room.name)} · Chatroom`);
}

// "3 people here · Created by alice" (the count first, so a narrow header
// that cuts the line keeps it): the count from the join reply, then from the
// room's members events while push is on.
function showMeta() {
  const { room } = state;
  const parts = [];
  const n = Number(room.member_count);
  if (Number.isInteger(n) && n > 0) parts.push(n === 1 ? '1 person here' : `${n} people here`);
  if (room.owner) parts.push(`Created by ${room.owner.username}`);
  byId('room-meta').textContent = parts.join(' · ');
}

// A ring from the room's event stream: a member count is shown as it is;
// anything else (a message, the room deleted) makes the page poll at once.
function onRing(type, data) {
  if (type === 'members') {
    if (Number.isInteger(data.count) && data.count >= 0) {
      state.room.member_count = data.count;
      showMeta();
    }
    return;
  }
  state.poller.now();
}

function showHistoryEdge(more) {
  byId('load-older').hidden = !more;
  byId('log-start').hidden = more || list.size === 0;
}

async function loadOlder() {
  const button = byId('load-older');
  if (list.oldestId === null) return;
  button.disabled = true;
  button.textContent = 'Loading…';
  try {
    const reply = await api.messagesBefore(roomId, list.oldestId, PAGE);
    const messages = Array.isArray(reply.messages) ? reply.messages : [];
    list.add(messages, 'older');
    showHistoryEdge(typeof reply.more === 'boolean' ? reply.more : messages.length >= PAGE);
    button.textContent = 'Load older';
  } catch (error) {
    if (!error.transient && error.status !== 429) return end(error);
    button.textContent = 'Could not load. Try again';
  } finally {
    if (!state.ended) button.disabled = false;
  }
  return undefined;
}

async function leave() {
  const button = byId('leave');
  button.disabled = true;
  if (state.poller) state.poller.stop();
  try {
    await api.leave(roomId);
  } catch (error) {
    if (error.status === 401) return end(error);
    if (error.transient) {
      banner.report(false);
      button.disabled = false;
      if (state.poller) state.poller.start();
      return undefined;
    }
    // 404/410: the room is gone already, which is as good as having left.
  }
  state.ended = true;
  go('/rooms');
  return undefined;
}

/** Joins, retrying with backoff while the server cannot be reached. */
async function join() {
  const backoff = new Backoff();
  for (;;) {
    try {
      const [me, joined] = await Promise.all([api.me(), api.join(roomId)]);
      banner.report(true);
      return { me, joined };
    } catch (error) {
      if (!error.transient && error.status !== 429) throw error;
      banner.report(false);
      await new Promise((resolve) => { setTimeout(resolve, backoff.next()); });
    }
  }
}

async function start() {
  if (!roomId) return go('/rooms');
  byId('load-older').addEventListener('click', loadOlder);
  byId('leave').addEventListener('click', leave);
  let me;
  let joined;
  try {
    ({ me, joined } = await join());
  } catch (error) {
    return end(error);
  }
  state.me = me.user;
  list.myId = me.user.id;
  showRoom(joined.room);
  const messages = Array.isArray(joined.messages) ? joined.messages : [];
  list.add(messages, 'initial');
  showHistoryEdge(messages.length >= PAGE);

  state.poller = new Poller({
    cursor: Number(joined.cursor) || 0,
    interval: pollInterval(),
    fetch: (cursor, signal) => api.messagesAfter(roomId, cursor, signal),
    onMessages: (batch) => {
      const added = list.add(batch, 'poll');
      const fromOthers = added.filter((m) => !m.user || m.user.id !== state.me.id);
      unread.arrived(fromOthers.length);
      announcer.announce(fromOthers);
    },
    onHealth: (ok) => {
      banner.report(ok);
      if (ok) composer.retryNow();
    },
    onFatal: (error) => end(error),
  });
  state.poller.start();
  state.push = new Push({ url: joined.events, onRing });
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
  composer.enable();
  composer.focus();
  return undefined;
}

start();
