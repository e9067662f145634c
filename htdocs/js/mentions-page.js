/* mentions-page.js — behaviour of `/mentions`: asks GET /api/mentions
   (newest first, at most 50, each message with its "room") and shows each
   as a link to /rooms/{room}#m-{message} (the room page opens there with
   around=, as for a search result); "Show older" asks for the page
   before the oldest shown (?before=N). The text is shown as it reads,
   without Markdown's marks (a card is one link, and links cannot nest),
   with the mentions highlighted (mentions.js), and its attachments small
   below it (attachment-preview.js: an image's thumbnail, a file's name),
   readable wherever the reader is now. A 401 sends the visitor to `/`.
   Everything the server sent goes in with textContent. */

import { api } from './api.js';
import { attachmentPreviews } from './attachment-preview.js';
import { byId, fromTemplate, go, part } from './dom.js';
import { plainWords } from './errors.js';
import { plainText } from './markdown.js';
import { markMentions } from './mentions.js';
import { formatTime } from './message-view.js';
import { roomTitle } from './room-title.js';

const PAGE = 50;
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const state = { me: null, oldest: null, loading: false };

function item(message) {
  const element = fromTemplate('mention-template');
  const room = message.room || { id: message.room_id };
  const link = part(element, '.mention-link');
  link.href = `/rooms/${encodeURIComponent(room.id)}#m-${encodeURIComponent(message.id)}`;
  part(element, '.mention-room').textContent = room.name || room.kind ? roomTitle(room, state.me) : 'a room';
  part(element, '.mention-author').textContent = message.user ? message.user.username : '?';
  const time = part(element, '.mention-time');
  const date = new Date(message.created_at);
  if (!Number.isNaN(date.getTime())) {
    time.dateTime = date.toISOString();
    time.textContent = formatTime(date);
    time.title = full.format(date);
  }
  const text = part(element, '.mention-text');
  text.textContent = plainText(message.text);
  markMentions(text, message, state.me ? state.me.username : null);
  const files = part(element, '.mention-files');
  files.replaceChildren(...attachmentPreviews(message.attachments));
  files.hidden = files.childElementCount === 0;
  return element;
}

async function load() {
  if (state.loading) return;
  state.loading = true;
  const more = byId('mentions-more');
  more.disabled = true;
  try {
    const reply = await api.mentions(state.oldest);
    const messages = Array.isArray(reply.messages) ? reply.messages : [];
    byId('mentions').append(...messages.map(item));
    if (messages.length) state.oldest = messages[messages.length - 1].id;
    byId('mentions-empty').hidden = byId('mentions').childElementCount > 0;
    more.hidden = typeof reply.more === 'boolean' ? !reply.more : messages.length < PAGE;
    byId('mentions-error').hidden = true;
  } catch (error) {
    if (error.status === 401) {
      go(`/?next=${encodeURIComponent('/mentions')}`);
      return;
    }
    byId('mentions-error').textContent = `Could not load your mentions. ${plainWords(error)}`;
    byId('mentions-error').hidden = false;
  } finally {
    byId('mentions-loading').hidden = true;
    more.disabled = false;
    state.loading = false;
  }
}

async function start() {
  byId('mentions-more').addEventListener('click', load);
  try {
    state.me = (await api.me()).user;
  } catch (error) {
    if (error.status === 401) {
      go(`/?next=${encodeURIComponent('/mentions')}`);
      return;
    }
  }
  await load();
}

start();
