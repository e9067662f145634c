/* room-page.js — behaviour of `/rooms/{id}`, wiring the parts together:
   join the room (which leaves any other), show its past (room-history.js)
   and keep it up to date (room-live.js: polls, and push when the server
   offers it), send (composer.js), and end the visit cleanly when the room
   is deleted (410), the user moved to another room in another tab (409)
   or the session is gone (401). While the server is unreachable the page
   says so, retries by itself and loses nothing: the cursor, the log and
   the typed text stay. Messages can be answered, edited, deleted and
   reacted to (message-actions.js, room-actions.js). The header
   (room-header.js) shows the topic; Members opens members-panel.js and,
   for the owner, room-settings.js. A person removed from a private room
   (or banned from an open one) while inside is told so in words
   (room-end.js) when their next poll or post is refused (404 or 403), and
   sent back to the room list. Files are attached, uploaded and shown by
   uploads.js and attachment-view.js; this page only hands them the room. */

import { Announcer } from './announcer.js';
import { api } from './api.js';
import { ImageViewer } from './attachment-view.js';
import { Backoff } from './backoff.js';
import { Composer } from './composer.js';
import { ComposerBar } from './composer-bar.js';
import { ConnectionBanner } from './connection.js';
import { byId, go, isolate } from './dom.js';
import { setFlash } from './flash.js';
import { MembersPanel } from './members-panel.js';
import { MessageList } from './message-list.js';
import { jumpTo } from './reply-jump.js';
import { listenToMessageActions } from './room-actions.js';
import { RoomAttention } from './room-attention.js';
import { endWords } from './room-end.js';
import { showRoomHeader } from './room-header.js';
import { RoomHistory } from './room-history.js';
import { goLive } from './room-live.js';
import { RoomSettings } from './room-settings.js';
import { roomTitle } from './room-title.js';
import { UnreadTitle } from './unread.js';
import { Uploads } from './uploads.js';

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

const roomHistory = new RoomHistory({ roomId, list, state, onLost: end });
const loadOlder = () => roomHistory.older();
listenToMessageActions({ roomId, list, composer, loadOlder, end });

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
  const { text, flash } = endWords(error, state.room, state.me);
  if (flash) setFlash(flash);
  byId('notice-text').textContent = text;
  byId('notice').hidden = false;
  setTimeout(() => go('/rooms'), LEAVE_AFTER_MS);
}

function showRoom(room) {
  state.room = room;
  showRoomHeader(room, state.me, unread);
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
  // The newest message when we joined: anything up to it is history, never
  // "new" (no marker, no announcement, no unread count).
  const latest = Array.isArray(joined.messages) ? joined.messages : [];
  const historyEnd = latest.length ? latest[latest.length - 1].id : 0;
  let opening;
  try {
    opening = await roomHistory.opening(joined);
  } catch (error) {
    return end(error);
  }
  const { messages, cursor, moreBefore, targetId } = opening;
  list.add(messages, 'initial');
  roomHistory.edge(moreBefore);
  attention.entered(joined, messages);

  goLive({
    roomId, state, cursor, historyEnd, events: joined.events, list, composer, attention, banner, showRoom, end,
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
