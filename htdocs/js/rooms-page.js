/* rooms-page.js — behaviour of `/rooms`, the profile. Loads who is signed
   in and the rooms, then refreshes the list every few seconds while the tab
   is visible (and at once when it becomes visible again). Creating a room
   (open or private, with an optional topic) takes the user straight into it; deleting asks first (see room-list.js).
   The rooms come in three groups, each its own list under its own heading:
   direct conversations, private rooms, open rooms (an empty group is not
   shown). Hiding a direct conversation takes it off this person's list
   until a new message arrives; the other person keeps it.
   Each row shows its unread messages and mentions of the reader
   (room-badges.js); with push, the person's own stream makes the list
   refresh at once when they change. A 401 anywhere means the session is
   gone: back to `/`. */

import { api } from './api.js';
import { avatarHueClass, byId, go, initial, isolate } from './dom.js';
import { plainWords } from './errors.js';
import { takeFlash } from './flash.js';
import { wirePasswordForm } from './password-form.js';
import { Push, pushWasOn } from './push.js';
import { RoomList } from './room-list.js';
import { roomTitle } from './room-title.js';

const REFRESH_MS = 4000;

const state = {
  me: null, currentRoomId: null, timer: null, loading: false, again: false, seq: 0, freshFrom: 0,
};
// The groups, in the order the page shows them; a room of an unknown kind is open.
const GROUPS = ['direct', 'private', 'open'];
const lists = Object.fromEntries(GROUPS.map((kind) => [kind, new RoomList(byId(`rooms-${kind}`), deleteRoom, hideRoom)]));

function handleAuth(error) {
  if (error && error.status === 401) {
    go('/');
    return true;
  }
  return false;
}

function showMe(user, room) {
  state.me = user;
  state.currentRoomId = room ? room.id : null;
  byId('me-name').textContent = user.username;
  byId('admin-link').hidden = !user.admin; // the admin page (/admin), for admins only
  const avatar = byId('me-avatar');
  avatar.textContent = initial(user.username);
  avatar.className = `avatar ${avatarHueClass(user)}`;
  byId('current-room').hidden = !room;
  if (room) {
    byId('current-room-name').textContent = roomTitle(room, user);
    byId('current-room-link').href = `/rooms/${room.id}`;
  }
}

function showRooms(rooms) {
  byId('rooms-loading').hidden = true;
  for (const kind of GROUPS) {
    const mine = rooms.filter((room) => (GROUPS.includes(room.kind) ? room.kind : 'open') === kind);
    lists[kind].update(mine, state.me, state.currentRoomId);
    byId(`group-${kind}`).hidden = mine.length === 0;
  }
  byId('rooms-empty').hidden = rooms.length > 0;
  byId('rooms-count').textContent = rooms.length ? `${rooms.length} ${rooms.length === 1 ? 'room' : 'rooms'}` : '';
}

function showListError(error) {
  const box = byId('list-error');
  box.hidden = !error;
  box.textContent = error ? `Could not refresh the rooms. ${plainWords(error)}` : '';
}

/**
 * Loads who is signed in and the rooms, and shows them. A refresh asked
 * for while one is on its way runs right after it; a reply that started
 * before a change this page made (a delete) is dropped, so a deleted room
 * never flickers back.
 */
async function refresh() {
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  const seq = ++state.seq;
  try {
    const [me, rooms] = await Promise.all([api.me(), api.rooms()]);
    if (seq >= state.freshFrom) {
      showMe(me.user, me.room);
      showRooms(Array.isArray(rooms.rooms) ? rooms.rooms : []);
      showListError(null);
    }
  } catch (error) {
    if (!handleAuth(error)) showListError(error);
  } finally {
    state.loading = false;
  }
  if (state.again) {
    state.again = false;
    await refresh();
  }
}

function schedule() {
  clearTimeout(state.timer);
  if (document.hidden) return;
  state.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

async function deleteRoom(room) {
  try {
    await api.deleteRoom(room.id);
  } catch (error) {
    if (handleAuth(error)) return;
    throw error;
  }
  state.freshFrom = state.seq + 1;
  const flash = byId('flash');
  flash.textContent = `Deleted “${isolate(roomTitle(room, state.me))}”.`;
  flash.hidden = false;
  byId('rooms-heading').focus();
  refresh();
}

// Hide, on a direct conversation: the server takes it off this person's
// list only (README, POST /api/direct); it comes back with a new message.
async function hideRoom(room) {
  try {
    await api.removeMember(room.id, state.me.id);
  } catch (error) {
    if (handleAuth(error)) return;
    throw error;
  }
  state.freshFrom = state.seq + 1;
  const flash = byId('flash');
  flash.textContent = `Hid your conversation with ${isolate(roomTitle(room, state.me))}. It comes back when a new message arrives.`;
  flash.hidden = false;
  byId('rooms-heading').focus();
  refresh();
}

// The create form: a name, open or private, and an optional topic. A
// refusal about the topic is said under the form and focuses the topic.
function wireCreateForm() {
  const form = byId('create-room');
  const input = byId('room-name');
  const topicInput = byId('room-topic');
  const errorBox = byId('room-name-error');
  const button = byId('create');
  const fail = (text, field = input) => {
    errorBox.textContent = text;
    errorBox.hidden = false;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  };
  for (const field of [input, topicInput]) {
    field.addEventListener('input', () => {
      errorBox.hidden = true;
      field.removeAttribute('aria-invalid');
    });
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    const topic = topicInput.value.trim();
    const kind = form.elements.kind.value === 'private' ? 'private' : 'open';
    if (!name) return fail('Give the room a name.');
    if ([...name].length > 64) return fail('Room names are at most 64 characters.');
    if ([...topic].length > 250) return fail('A topic is at most 250 characters.', topicInput);
    button.disabled = true;
    button.textContent = 'Creating…';
    try {
      const reply = await api.createRoom(name, kind, topic);
      go(`/rooms/${reply.room.id}`);
    } catch (error) {
      button.disabled = false;
      button.textContent = 'Create room';
      if (!handleAuth(error)) fail(plainWords(error), error.code === 'invalid_topic' ? topicInput : input);
    }
    return undefined;
  });
}

function wireLogout() {
  const button = byId('logout');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.logout();
    } catch (error) {
      if (!handleAuth(error) && error.transient) {
        button.disabled = false;
        showListError(error);
        return;
      }
    }
    go('/');
  });
}

function start() {
  const note = takeFlash();
  if (note) {
    const flash = byId('flash');
    flash.textContent = note;
    flash.hidden = false;
  }
  byId('rooms-heading').tabIndex = -1;
  wireCreateForm();
  wireLogout();
  wirePasswordForm(() => go('/'));
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
    schedule();
  });
  refresh().then(schedule);
  // Unread counts (issue 14): with push, the person's own stream rings when
  // something calls for them (a mention, a direct message, a read mark
  // moved in another tab) and the list is fetched at once; the timed
  // refresh above goes on regardless.
  if (pushWasOn()) {
    new Push({ // eslint-disable-line no-new
      url: '/api/me/events',
      stateKey: 'personPush',
      onRing: (type) => { if (type === 'attention') refresh(); },
    }).start();
  }
}

start();
