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
   log and the typed text stay. Messages can be answered, edited, deleted
   and reacted to (message-actions.js); polls bring those changes like new
   messages (message-list.js). The header shows the topic; Members opens
   members-panel.js and, for the owner, room-settings.js. A person removed
   from a private room (or banned from an open one) while inside is told
   so in words when their next poll or post is refused (404 or 403), and
   sent back to the room list. Files are attached, uploaded and shown by
   uploads.js and attachment-view.js; this page only hands them the room. */

import { Announcer } from './announcer.js';
import { api } from './api.js';
import { ImageViewer } from './attachment-view.js';
import { Backoff } from './backoff.js';
import { Composer } from './composer.js';
import { ComposerBar } from './composer-bar.js';
import { confirmAction } from './confirm.js';
import { ConnectionBanner } from './connection.js';
import { byId, go, isolate } from './dom.js';
import { plainWords } from './errors.js';
import { setFlash } from './flash.js';
import { MessageActions } from './message-actions.js';
import { MembersPanel } from './members-panel.js';
import { MessageList } from './message-list.js';
import { Poller } from './poller.js';
import { Push } from './push.js';
import { jumpTo } from './reply-jump.js';
import { RoomAttention } from './room-attention.js';
import { RoomSettings } from './room-settings.js';
import { roomTitle } from './room-title.js';
import { UnreadTitle } from './unread.js';
import { Uploads } from './uploads.js';

const PAGE = 50;
const LEAVE_AFTER_MS = 3000;

const roomId = Number((window.location.pathname.match(/^\/rooms\/(\d+)\/?$/) || [])[1]) || null;
const state = { room: null, me: null, poller: null, push: null, ended: false, loadingOlder: null };

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
  send: async (text, clientId, replyTo, attachments) =>
    (await api.post(roomId, text, clientId, replyTo, attachments)).message,
  onSent: (message) => list.add([message], 'own'),
  edit: async (id, text) => (await api.editMessage(id, text)).message,
  onEdited: (message) => list.add([message], 'update'),
  lastOwn: () => list.lastOwn(),
  bar: new ComposerBar({
    bar: byId('composer-context'),
    label: byId('composer-context-label'),
    quote: byId('composer-context-quote'),
    cancel: byId('composer-cancel'),
    onCancel: () => composer.cancelMode(),
  }),
  onHealth: (ok) => banner.report(ok),
  onFatal: (error) => end(error),
});
composer.files = new Uploads({
  roomId,
  button: byId('attach'),
  input: byId('attach-input'),
  tray: byId('uploads'),
  textarea: byId('message'),
  dropZone: byId('composer'),
  say: (text, isError) => composer.setStatus(text, isError),
  onIdle: () => composer.uploadsDone(),
  onFatal: (error) => end(error),
});
new ImageViewer().listen(byId('messages'));

const current = () => ({ room: state.room, me: state.me });
const attention = new RoomAttention({
  roomId, list, announcer, unread, current, pollNow: () => { if (state.poller) state.poller.now(); },
});
const settings = new RoomSettings({
  roomId,
  current,
  onChanged: (room) => showRoom(room),
  onLost: (error) => {
    if (error.status === 401 || error.status === 404 || error.status === 410 || error.code === 'banned') {
      end(error);
      return true;
    }
    return false;
  },
});
const members = new MembersPanel({
  roomId,
  current,
  onOpen: () => settings.prepare(),
  onLost: (error) => end(error),
  onLeftForGood: () => {
    state.ended = true;
    if (state.poller) state.poller.stop();
    if (state.push) state.push.stop();
    setFlash(`You left “${isolate(state.room ? roomTitle(state.room, state.me) : 'the room')}” for good.`);
    go('/rooms');
  },
});

// What the buttons on a message do. A refusal is said under the message
// box; 401, 409 and 410 end the visit as everywhere else.
function actionFailed(error) {
  if (error.status === 401 || error.status === 404 || error.status === 409 || error.status === 410
      || error.code === 'banned') {
    end(error);
    return;
  }
  composer.setStatus(plainWords(error), true);
}

new MessageActions({ // eslint-disable-line no-new
  list,
  reply: (message) => composer.replyTo(message),
  direct: async (message) => {
    try {
      const reply = await api.direct(message.user.username);
      go(`/rooms/${reply.room.id}`);
    } catch (error) {
      if (error.status === 401) end(error);
      else composer.setStatus(plainWords(error), true);
    }
  },
  edit: (message) => composer.startEdit(message),
  remove: async (message) => {
    const mine = message.user && message.user.id === list.viewer.myId;
    const whose = mine ? 'your message' : `this message by ${isolate(message.user ? message.user.username : '?')}`;
    if (!await confirmAction(`Delete ${whose}? It is removed for everyone.`, 'Delete')) return;
    try {
      await api.deleteMessage(message.id);
      const element = list.element(message.id);
      const hadFocus = Boolean(element && element.contains(document.activeElement));
      list.add([{ id: message.id, room_id: roomId, deleted: true }], 'update');
      composer.forget(message.id);
      if (hadFocus) composer.focus(); // its Delete button is gone with it
    } catch (error) {
      actionFailed(error);
    }
  },
  react: async (message, emoji, add) => {
    try {
      const reply = add ? await api.react(message.id, emoji) : await api.unreact(message.id, emoji);
      list.add([reply.message], 'update');
    } catch (error) {
      actionFailed(error);
    }
  },
  jump: (id) => jumpTo(id, {
    list,
    loadOlder,
    say: (text) => composer.setStatus(text, true),
  }),
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
  attention.stop();
  composer.disable();
  composer.files.disable();
  banner.hide();
  byId('load-older').disabled = true;
  byId('leave').disabled = true;
  members.close();
  if (error.status === 401) {
    go(`/?next=${encodeURIComponent(window.location.pathname)}`);
    return;
  }
  const name = state.room ? `“${isolate(roomTitle(state.room, state.me))}”` : 'This room';
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
  } else if (error.code === 'banned') {
    text = `The owner of ${name} put you out of it, and you may not come back. Taking you back to your rooms…`;
    setFlash(`The owner of ${name} put you out of it.`);
  } else if (error.status === 404 && state.room) {
    // A room we were inside answers 404 only when we lost the right to see
    // it: the owner removed us from their private room (README, "Security").
    if (state.room.kind === 'private') {
      text = `You are no longer a member of ${name}: its owner removed you. Taking you back to your rooms…`;
      setFlash(`You are no longer a member of ${name}.`);
    } else {
      text = `You can no longer enter ${name}: its owner put you out. Taking you back to your rooms…`;
      setFlash(`The owner of ${name} put you out of it.`);
    }
  } else if (error.status === 404) {
    text = 'This room does not exist, or it is private and you are not one of its members. Taking you back to your rooms…';
  } else {
    text = `${plainWords(error)} Taking you back to your rooms…`;
  }
  byId('notice-text').textContent = text;
  byId('notice').hidden = false;
  setTimeout(() => go('/rooms'), LEAVE_AFTER_MS);
}

function showRoom(room) {
  state.room = room;
  byId('room-name').textContent = roomTitle(room, state.me);
  const topic = typeof room.topic === 'string' ? room.topic : '';
  byId('room-topic').textContent = topic;
  byId('room-topic').hidden = !topic;
  byId('room-topic').title = topic;
  showMeta();
  unread.setBase(`${isolate(roomTitle(room, state.me))} · Chatroom`);
}

// "3 people here · messages kept 30 days · Created by alice" ("… · Direct conversation" for two
// people's own room; the count first, so a narrow header
// that cuts the line keeps it): the count from the join reply, then from the
// room's members events while push is on.
function showMeta() {
  const { room } = state;
  const parts = [];
  const n = Number(room.member_count);
  if (Number.isInteger(n) && n > 0) parts.push(n === 1 ? '1 person here' : `${n} people here`);
  if (room.kind === 'private') parts.push('Private');
  // A direct conversation has no owner to name (README "The pages"): the
  // API's owner is only whoever opened it first, which reads as if that
  // person ran the conversation.
  if (room.kind === 'direct') parts.push('Direct conversation');
  // Everyone inside should know their words do not stay (README
  // "Retention"); before "Created by", which a phone's header cuts first.
  const days = room.retention_days;
  if (Number.isInteger(days) && days > 0) parts.push(days === 1 ? 'messages kept 1 day' : `messages kept ${days} days`);
  if (room.kind !== 'direct' && room.owner) parts.push(`Created by ${room.owner.username}`);
  byId('room-meta').textContent = parts.join(' · ');
}

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

/** Loads the page of history before the oldest loaded: 'more', 'end' or 'error'. */
async function loadOlder() {
  const button = byId('load-older');
  if (list.oldestId === null || state.loadingOlder) return state.loadingOlder || 'end';
  button.disabled = true;
  button.textContent = 'Loading…';
  state.loadingOlder = (async () => {
    try {
      const reply = await api.messagesBefore(roomId, list.oldestId, PAGE);
      const messages = Array.isArray(reply.messages) ? reply.messages : [];
      list.add(messages, 'older');
      const more = typeof reply.more === 'boolean' ? reply.more : messages.length >= PAGE;
      showHistoryEdge(more);
      button.textContent = 'Load older';
      return more ? 'more' : 'end';
    } catch (error) {
      if (!error.transient && error.status !== 429) end(error);
      else button.textContent = 'Could not load. Try again';
      return 'error';
    } finally {
      state.loadingOlder = null;
      if (!state.ended) button.disabled = false;
    }
  })();
  return state.loadingOlder;
}

async function leave() {
  const button = byId('leave');
  button.disabled = true;
  if (state.poller) state.poller.stop();
  await attention.leaving();
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
  byId('load-older').addEventListener('click', () => { loadOlder(); });
  byId('leave').addEventListener('click', leave);
  let me;
  let joined;
  try {
    ({ me, joined } = await join());
  } catch (error) {
    return end(error);
  }
  state.me = me.user;
  list.viewer = {
    myId: me.user.id,
    ownerId: joined.room && joined.room.owner ? joined.room.owner.id : null,
    myName: me.user.username,
    admin: me.user.admin === true,
    direct: Boolean(joined.room && joined.room.kind === 'direct'),
  };
  showRoom(joined.room);
  let messages = Array.isArray(joined.messages) ? joined.messages : [];
  let cursor = Number(joined.cursor) || 0;
  let moreBefore = messages.length >= PAGE;
  // The newest message when we joined: anything up to it is history, never
  // "new" (no marker, no announcement, no unread count).
  const historyEnd = messages.length ? messages[messages.length - 1].id : 0;
  // A search result (js/search-page.js) opens the room at #m-N: the page
  // starts from the messages around N (around=, issue 15) instead of the
  // latest, then loads history up (Load older, before=) and down: the poll
  // starts from the last message shown (after=<id> is everything since that
  // message) and pages on at once while more is waiting, down to the live end.
  const target = /^#m-(\d+)$/.exec(window.location.hash);
  const targetId = target ? Number(target[1]) : null;
  if (targetId !== null && !messages.some((m) => m.id === targetId)) {
    try {
      const around = await api.messagesAround(roomId, targetId, PAGE);
      if (Array.isArray(around.messages) && around.messages.length) {
        messages = around.messages;
        moreBefore = around.more_before === true;
        if (around.more_after === true) cursor = messages[messages.length - 1].id;
      }
    } catch (error) {
      // 404 message_not_found: deleted since; jumpTo below says so.
      if (error.status !== 404) return end(error);
    }
  }
  list.add(messages, 'initial');
  showHistoryEdge(moreBefore);
  attention.entered(joined, messages);

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
  // The history as a download, for whoever is inside (README, export).
  byId('export-jsonl').href = `/api/rooms/${roomId}/export?format=jsonl`;
  byId('export-html').href = `/api/rooms/${roomId}/export?format=html`;
  members.enable();
  composer.enable();
  composer.files.enable();
  composer.focus();
  // The search result is shown, highlighted and focused as a reply's quote
  // does (reply-jump.js).
  if (targetId !== null) {
    jumpTo(targetId, { list, loadOlder, say: (text) => composer.setStatus(text, true) });
  }
  return undefined;
}

start();
