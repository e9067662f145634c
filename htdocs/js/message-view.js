/* message-view.js — one message from the API as its element: cloned from
   #message-template once (renderMessage), then filled and re-filled in
   place whenever the message changes (fillMessage), so an edit or a
   reaction that arrives while someone has a button of that message
   focused does not take their focus away. Shows the author, the time in
   the reader's own time zone (full date on hover and in <time datetime>),
   "(edited)" with the edit time on hover and on keyboard focus, the quote
   of the message it answers, the text as safe Markdown (markdown.js), the
   reactions (reactions.js), the mentions (mentions.js: a message that
   names the reader is marked "mentions-me"), and only the actions the reader may take:
   Edit on their own messages, Delete on their own and, for the room's
   owner, on every message (the server checks again: DESIGN "Version 2"). */

import { avatarHueClass, fromTemplate, initial, part } from './dom.js';
import { plainText, renderMarkdown } from './markdown.js';
import { markMentions, mentionsMe } from './mentions.js';
import { renderReactions } from './reactions.js';

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const QUOTE_CHARS = 120;

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "Nov 24, 14:05" on other days, in local time. */
export function formatTime(date, now = new Date()) {
  return sameDay(date, now) ? timeOnly.format(date) : dayAndTime.format(date);
}

/**
 * @param {object} message  {id, user:{id,username}, text, created_at, edited_at,
 *   reply_to, reactions}
 * @param {object} viewer   {myId, myName, ownerId, admin, direct}: who is reading, and whether in a direct room
 */
export function renderMessage(message, viewer) {
  const element = fromTemplate('message-template');
  const user = message.user || { id: 0, username: '?' };
  element.dataset.id = String(message.id);
  element.dataset.userId = String(user.id);
  element.dataset.time = String(Date.parse(message.created_at) || 0);
  const mine = user.id === viewer.myId;
  if (mine) element.classList.add('is-own');

  const avatar = part(element, '.avatar');
  avatar.textContent = initial(user.username);
  avatar.classList.add(avatarHueClass(user));

  part(element, '.message-author').textContent = mine ? `${user.username} (you)` : user.username;

  const time = part(element, '.message-time');
  const date = new Date(message.created_at);
  if (!Number.isNaN(date.getTime())) {
    time.dateTime = date.toISOString();
    time.textContent = formatTime(date);
    time.title = full.format(date);
  }
  part(element, '[data-action="edit"]').hidden = !mine;
  part(element, '[data-action="delete"]').hidden = !(mine || viewer.admin
    || (viewer.ownerId !== null && viewer.ownerId === viewer.myId));
  for (const button of element.querySelectorAll('.message-action')) {
    button.setAttribute('aria-label', `${button.dataset.label} (message from ${user.username})`);
  }
  // Talk to the author one to one (POST /api/direct): not to yourself, and
  // not inside a direct conversation, which is already that.
  const direct = part(element, '[data-action="direct"]');
  direct.hidden = mine || viewer.direct === true || !user.id;
  direct.setAttribute('aria-label', `Message ${user.username}`);
  direct.title = `Message ${user.username}`;
  fillMessage(element, message, viewer);
  return element;
}

/** Puts the message's current state (text, edit, quote, reactions) into `element`. */
export function fillMessage(element, message, viewer) {
  const text = String(message.text ?? '');
  const mentions = JSON.stringify(message.mentions ?? []);
  if (element.dataset.text !== text || element.dataset.mentions !== mentions) {
    element.dataset.text = text;
    element.dataset.mentions = mentions;
    renderMarkdown(part(element, '.message-text'), text);
    markMentions(part(element, '.message-text'), message, viewer.myName);
  }
  element.classList.toggle('mentions-me', mentionsMe(message, viewer.myName));
  fillEdited(element, part(element, '.message-edited'), message.edited_at);
  fillQuote(part(element, '.message-quote'), message.reply_to);
  renderReactions(part(element, '.reactions'), Array.isArray(message.reactions) ? message.reactions : [],
    viewer.myId);
}

function fillEdited(element, edited, editedAt) {
  const date = editedAt ? new Date(editedAt) : null;
  const shown = Boolean(date) && !Number.isNaN(date.getTime());
  // A continued message hides its header (messages.css); "is-edited" keeps
  // "(edited)" in sight there.
  element.classList.toggle('is-edited', shown);
  if (!shown) {
    edited.hidden = true;
    return;
  }
  edited.hidden = false;
  edited.dateTime = date.toISOString();
  // title for the mouse; data-tip is drawn on keyboard focus (tooltip.css),
  // and the label is what a screen reader says.
  const when = `Edited ${full.format(date)}`;
  edited.title = when;
  edited.dataset.tip = when;
  edited.setAttribute('aria-label', `(edited) ${when}`);
}

/**
 * The quote of the message this one answers: a button that scrolls to it.
 * `reply` is null, {id, user, text}, or {id, deleted: true}.
 */
export function fillQuote(quote, reply) {
  if (!reply || !Number.isSafeInteger(reply.id)) {
    quote.hidden = true;
    delete quote.dataset.target;
    return;
  }
  quote.hidden = false;
  quote.dataset.target = String(reply.id);
  const author = part(quote, '.message-quote-author');
  const body = part(quote, '.message-quote-text');
  if (reply.deleted) {
    quote.classList.add('is-deleted');
    author.textContent = '';
    body.textContent = 'deleted message';
    quote.disabled = true;
    quote.setAttribute('aria-label', 'Reply to a deleted message');
    return;
  }
  quote.classList.remove('is-deleted');
  quote.disabled = false;
  const name = reply.user ? reply.user.username : '?';
  const words = plainText(reply.text);
  const short = [...words].length > QUOTE_CHARS ? `${[...words].slice(0, QUOTE_CHARS).join('')}…` : words;
  author.textContent = name;
  body.textContent = short;
  quote.setAttribute('aria-label', `Reply to ${name}: ${short}. Show that message`);
}
