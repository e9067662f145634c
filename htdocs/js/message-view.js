/* message-view.js — turns one message from the API into its element, by
   cloning #message-template and filling it with textContent only. Shows
   the author, the time in the reader's own time zone (with the full date
   on hover and in <time datetime>), and marks the reader's own messages. */

import { avatarHueClass, fromTemplate, initial, part } from './dom.js';
import { renderText } from './linkify.js';

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "Nov 24, 14:05" on other days, in local time. */
export function formatTime(date, now = new Date()) {
  return sameDay(date, now) ? timeOnly.format(date) : dayAndTime.format(date);
}

/**
 * @param {object} message  {id, user:{id,username}, text, created_at}
 * @param {number|null} myId  the signed-in user's id
 */
export function renderMessage(message, myId) {
  const element = fromTemplate('message-template');
  const user = message.user || { id: 0, username: '?' };
  element.dataset.id = String(message.id);
  element.dataset.userId = String(user.id);
  element.dataset.time = String(Date.parse(message.created_at) || 0);
  if (user.id === myId) element.classList.add('is-own');

  const avatar = part(element, '.avatar');
  avatar.textContent = initial(user.username);
  avatar.classList.add(avatarHueClass(user));

  part(element, '.message-author').textContent = user.id === myId ? `${user.username} (you)` : user.username;

  const time = part(element, '.message-time');
  const date = new Date(message.created_at);
  if (!Number.isNaN(date.getTime())) {
    time.dateTime = date.toISOString();
    time.textContent = formatTime(date);
    time.title = full.format(date);
  }

  renderText(part(element, '.message-text'), String(message.text ?? ''));
  return element;
}
