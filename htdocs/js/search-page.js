/* search-page.js — /search?q=…[&room=N]: asks GET /api/search and lists the
   results, newest first, 20 at a time ("More results" sends before= the last
   id). The highlights are [start, end) offsets in code points; the text is
   cut at them into text nodes and <mark> elements, so nothing a person wrote
   is ever parsed as HTML. */
import { api, request } from './api.js';
import { byId, go } from './dom.js';
import { plainWords } from './errors.js';
import { markdownSyntax } from './markdown-marks.js';
import { roomTitle } from './room-title.js';

const params = new URLSearchParams(window.location.search);
const q = params.get('q') || '';
const room = params.get('room');
let before = null;

/**
 * The message text as nodes: plain text between <mark>s, by code point,
 * without the Markdown syntax the room page does not show ("**the lobby**"
 * reads "the lobby"): those characters are skipped, never moved, so the
 * offsets into the raw text stay right (js/markdown-marks.js).
 */
export function highlighted(text, highlights) {
  const chars = Array.from(text); // one entry per code point, as the API counts
  const syntax = markdownSyntax(text);
  const shown = (from, to) => chars.slice(from, to).filter((_, i) => !syntax[from + i]).join('');
  const nodes = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (start < at || end <= start || end > chars.length) continue;
    if (start > at) nodes.push(document.createTextNode(shown(at, start)));
    const mark = document.createElement('mark');
    mark.textContent = shown(start, end);
    nodes.push(mark);
    at = end;
  }
  if (at < chars.length) nodes.push(document.createTextNode(shown(at, chars.length)));
  return nodes;
}

function resultItem({ message, room: where, highlights }) {
  const li = document.createElement('li');
  li.className = 'search-result';
  const a = document.createElement('a');
  a.href = `/rooms/${encodeURIComponent(where.id)}#m-${encodeURIComponent(message.id)}`;
  a.dataset.messageId = String(message.id);
  const meta = document.createElement('p');
  meta.className = 'search-result-meta';
  const roomName = document.createElement('strong');
  roomName.dir = 'auto';
  roomName.textContent = `#${where.name}`;
  const author = document.createElement('span');
  author.dir = 'auto';
  author.textContent = message.user ? message.user.username : '';
  const time = document.createElement('time');
  time.dateTime = message.created_at;
  time.textContent = new Date(message.created_at).toLocaleString();
  meta.append(roomName, author, time);
  const text = document.createElement('p');
  text.className = 'search-result-text';
  text.dir = 'auto';
  text.append(...highlighted(message.text || '', Array.isArray(highlights) ? highlights : []));
  a.append(meta, text);
  li.append(a);
  return li;
}

async function load() {
  const status = byId('search-status');
  const more = byId('search-more');
  more.disabled = true;
  const query = new URLSearchParams({ q });
  if (room) query.set('room', room);
  if (before) query.set('before', String(before));
  try {
    const reply = await request('GET', `/api/search?${query}`);
    const list = byId('search-results');
    const first = !before;
    const items = reply.results.map(resultItem);
    list.append(...items);
    // The first answer puts the focus on the first result: Enter opens it,
    // Tab walks on (keyboard only, issue 15). Later pages keep the focus.
    if (first && items.length) items[0].querySelector('a').focus();
    if (reply.results.length) before = reply.results[reply.results.length - 1].message.id;
    const shown = list.children.length;
    status.textContent = shown === 0 ? `Nothing found for “${q}”.`
      : `${shown}${reply.more ? '+' : ''} message${shown === 1 ? '' : 's'} found for “${q}”.`;
    more.hidden = !reply.more;
  } catch (error) {
    if (error.status === 401) return go('/');
    // A 400 (empty, too long, too short) says in its own words what to change.
    status.textContent = error.status === 400 && error.message ? error.message : plainWords(error);
  } finally {
    more.disabled = false;
  }
  return undefined;
}

// "Search in": the rooms the person can read (GET /api/rooms), by what
// they are called on screen; choosing one searches again with room=N.
async function fillRooms() {
  const select = byId('search-room');
  select.addEventListener('change', () => {
    const next = new URLSearchParams({ q });
    if (select.value) next.set('room', select.value);
    go(`/search?${next}`);
  });
  let me = null;
  let rooms = [];
  try {
    [me, rooms] = await Promise.all([api.me().then((r) => r.user), api.rooms().then((r) => r.rooms)]);
  } catch {
    return; // the search itself says what went wrong
  }
  const options = rooms.map((r) => {
    const option = document.createElement('option');
    option.value = String(r.id);
    option.textContent = r.kind === 'direct' ? `${roomTitle(r, me)} (direct)` : `#${roomTitle(r, me)}`;
    return option;
  });
  select.append(...options);
  if (room) select.value = room;
}

fillRooms();
byId('search-more').addEventListener('click', load);
if (q.trim()) load();
else byId('search-status').textContent = 'Type what to look for in the box above.';
